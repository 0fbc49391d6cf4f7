// Tick workers: the threads one world's scrape tick splits its per-service work over
// (WorldOptions::threads). Internal to sim/ (owned by World::Impl, used by the tick in
// sim/traffic.cpp).
//
//   TickWorkers w{2};
//   w.run(64, [&](unsigned block) { /* services of block `block` of 64 */ });
//
// run() calls job(b) once for every block b, on the caller and on helper threads, and
// returns when all are done (everything the helpers wrote is visible to the caller). Blocks
// are claimed one at a time from a shared counter, so which thread runs a block varies but
// never what a block computes: results must depend only on the block index. The caller
// never waits for a helper to start: on a machine busy with other processes a helper may
// wake late, and the caller then runs every block itself (no slower than one thread). The
// helpers start on the first run() with threads > 1, and wait between runs (a short spin,
// then a futex wait).
//
// fork(): a child process has none of its parent's threads. run() notices it is in a
// process other than the one that started the helpers and runs every block on the caller
// from then on (the helpers' handles are abandoned, never joined: joining a thread that does
// not exist in this process would hang). A world created before fork() keeps working,
// single-threaded, in the child; the parent's helpers are untouched.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace selfheal::sim::model {

class TickWorkers {
 public:
  /// `threads` >= 1; 1 runs every block on the caller and never starts a thread.
  explicit TickWorkers(unsigned threads) : threads_(threads < 1 ? 1 : threads) {}
  TickWorkers(const TickWorkers&) = delete;
  TickWorkers& operator=(const TickWorkers&) = delete;
  ~TickWorkers() {
    if (!helpers_) return;
    if (getpid() != owner_) {
      (void)helpers_.release();  // a forked child: the threads are not ours to join
      return;
    }
    stop_.store(true, std::memory_order_relaxed);
    gen_.fetch_add(1, std::memory_order_release);
    gen_.notify_all();
    for (auto& t : *helpers_)
      t.join();
  }

  /// Runs job(b) for every block b in [0, blocks).
  void run(std::uint32_t blocks, const std::function<void(unsigned)>& job) {
    if (threads_ == 1 || forked()) {
      for (std::uint32_t b = 0; b < blocks; ++b)
        job(b);
      return;
    }
    if (!helpers_) start();
    const std::uint32_t g = gen_.load(std::memory_order_relaxed) + 1;
    // The claim counter moves to generation g first: a helper still looking at the previous
    // generation's exhausted counter could otherwise see this run's larger block count and
    // claim a block of the previous run (its job, and a count in this run's done_). Its
    // compare-exchange now fails, whatever blocks_ it reads.
    claim_.store(std::uint64_t{g} << 32, std::memory_order_release);
    job_.store(&job, std::memory_order_release);
    blocks_.store(blocks, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    gen_.store(g, std::memory_order_release);
    gen_.notify_all();
    work(g, job);
    for (int spin = 0;; ++spin) {
      const std::uint32_t d = done_.load(std::memory_order_acquire);
      if (d == blocks) break;
      if (spin < kSpins) {
        relax();
      } else {
        done_.wait(d, std::memory_order_acquire);
      }
    }
  }

 private:
  /// Spins before a futex wait: a tick's parallel phase at thousands of services lasts
  /// ~100 µs, a futex wake-up ~10-50 µs on an idle machine.
  static constexpr int kSpins = 2000;

  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  /// Claims and runs blocks of generation g until none is left (or g is over).
  void work(std::uint32_t g, const std::function<void(unsigned)>& job) {
    std::uint64_t c = claim_.load(std::memory_order_acquire);
    for (;;) {
      if (static_cast<std::uint32_t>(c >> 32) != g) return;
      const auto b = static_cast<std::uint32_t>(c);
      if (b >= blocks_.load(std::memory_order_relaxed)) return;
      if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) continue;
      job(b);
      const std::uint32_t n = blocks_.load(std::memory_order_relaxed);
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == n) done_.notify_all();
      c = claim_.load(std::memory_order_acquire);
    }
  }

  bool forked() {
    if (in_child_) return true;
    if (!helpers_ || getpid() == owner_) return false;
    (void)helpers_.release();  // see the file comment: abandoned, not joined
    in_child_ = true;
    return true;
  }

  void start() {
    owner_ = getpid();
    helpers_ = std::make_unique<std::vector<std::thread>>();
    for (unsigned c = 1; c < threads_; ++c)
      helpers_->emplace_back([this] { helper(); });
  }

  void helper() {
    std::uint32_t seen = 0;
    for (;;) {
      std::uint32_t g = 0;
      for (int spin = 0; (g = gen_.load(std::memory_order_acquire)) == seen; ++spin) {
        if (spin < kSpins) {
          relax();
        } else {
          gen_.wait(seen, std::memory_order_acquire);
        }
      }
      seen = g;
      if (stop_.load(std::memory_order_relaxed)) return;
      // job_ and blocks_ are generation g's while a claim of generation g succeeds: the
      // caller changes them only after every block of g is done, and after it moved the
      // claim counter on (a job_ read here that is already the next run's makes that move
      // visible to the claim's compare-exchange: release/acquire on job_).
      const auto* job = job_.load(std::memory_order_acquire);
      if (job != nullptr) work(g, *job);
    }
  }

  unsigned threads_;
  bool in_child_ = false;  // a forked child: every block on the caller
  pid_t owner_ = 0;
  std::unique_ptr<std::vector<std::thread>> helpers_;
  // Written by the caller before it publishes a generation (claim_, release), read by
  // helpers after they see it (acquire).
  std::atomic<const std::function<void(unsigned)>*> job_{nullptr};
  std::atomic<std::uint32_t> blocks_{0};
  std::atomic<std::uint32_t> gen_{0};
  std::atomic<std::uint64_t> claim_{0};  // generation << 32 | next block
  std::atomic<std::uint32_t> done_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace selfheal::sim::model
