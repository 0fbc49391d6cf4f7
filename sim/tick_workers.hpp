// Tick workers: the threads one world's scrape tick splits its per-service work over
// (WorldOptions::threads). Internal to sim/ (owned by World::Impl, used by the tick in
// sim/traffic.cpp).
//
//   TickWorkers w{2};
//   w.run([&](unsigned chunk) { /* services of chunk `chunk` of 2 */ });
//
// run() calls job(0) on the caller and job(1 .. threads-1) on helper threads, and returns
// when all are done (everything the helpers wrote is visible to the caller). The helpers
// start on the first run() with threads > 1, not before, and wait between runs (a short
// spin, then a futex wait: they cost nothing while the world does serial work).
//
// fork(): a child process has none of its parent's threads. run() notices it is in a
// process other than the one that started the helpers and runs every chunk on the caller
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
  /// `threads` >= 1; 1 runs every chunk on the caller and never starts a thread.
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
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (auto& t : *helpers_)
      t.join();
  }

  /// Chunks a run() splits the work into (the thread count asked for).
  unsigned chunks() const { return threads_; }

  /// Runs job(c) for every chunk c in [0, chunks()), in parallel when threads > 1 and this
  /// is the process that started the helpers (or none was started yet).
  void run(const std::function<void(unsigned)>& job) {
    if (threads_ == 1 || forked()) {
      for (unsigned c = 0; c < threads_; ++c)
        job(c);
      return;
    }
    if (!helpers_) start();
    job_ = &job;
    pending_.store(threads_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    job(0);
    for (int spin = 0;; ++spin) {
      const std::uint32_t left = pending_.load(std::memory_order_acquire);
      if (left == 0) break;
      if (spin < kSpins) {
        relax();
      } else {
        pending_.wait(left, std::memory_order_acquire);
      }
    }
    job_ = nullptr;
  }

 private:
  /// Spins before a futex wait: a tick's parallel phase at thousands of services lasts
  /// ~100 µs, a futex wake-up ~10-50 µs.
  static constexpr int kSpins = 4000;

  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
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
      helpers_->emplace_back([this, c] { helper(c); });
  }

  void helper(unsigned chunk) {
    std::uint32_t seen = 0;
    for (;;) {
      std::uint32_t g = 0;
      for (int spin = 0; (g = generation_.load(std::memory_order_acquire)) == seen; ++spin) {
        if (spin < kSpins) {
          relax();
        } else {
          generation_.wait(seen, std::memory_order_acquire);
        }
      }
      seen = g;
      if (stop_.load(std::memory_order_relaxed)) return;
      (*job_)(chunk);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
    }
  }

  unsigned threads_;
  bool in_child_ = false;  // a forked child: every chunk on the caller
  pid_t owner_ = 0;
  std::unique_ptr<std::vector<std::thread>> helpers_;
  const std::function<void(unsigned)>* job_ = nullptr;
  std::atomic<std::uint32_t> generation_{0};
  std::atomic<std::uint32_t> pending_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace selfheal::sim::model
