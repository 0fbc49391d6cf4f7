// A fixed-length hold model for instruction counting (valgrind), where Google Benchmark's
// adaptive iteration count gets in the way. The loop of each variant is its own non-inlined
// function, so
//
//   valgrind --tool=callgrind --toggle-collect='*hold_loop_*' bench_kernel_count queue 1000 2000000
//
// counts exactly the instructions of N events (setup excluded): divide Ir by N.
// Variants: queue (bare EventQueue), sim (Simulation::step with a small lambda), wide
// (24-byte capture), function (std::function that allocates). Prints a checksum so the
// compiler keeps the work and two builds can be compared for identical results.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string_view>

#include "bench/kernel/hold_model.hpp"
#include "sim/event_queue.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"

namespace {

using selfheal::core::TimePoint;
using selfheal::sim::EventQueue;
using selfheal::sim::Rng;
using selfheal::sim::Simulation;

using selfheal::bench::hold_next;
using selfheal::bench::hold_next_function;
using selfheal::bench::hold_next_wide;
using selfheal::bench::HoldModel;
using selfheal::bench::increment;

[[gnu::noinline]] std::uint64_t hold_loop_queue(EventQueue& q, Rng& rng, std::uint64_t n) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    TimePoint now;
    EventQueue::Callback cb = q.pop(&now);
    cb();
    sum += static_cast<std::uint64_t>(now.time_since_epoch().count());
    q.push(now + increment(rng), std::move(cb));
  }
  return sum;
}

[[gnu::noinline]] void hold_loop_sim(Simulation& sim, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; ++i)
    sim.step();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s queue|sim|wide|function PENDING EVENTS\n", argv[0]);
    return 2;
  }
  const std::string_view variant = argv[1];
  const auto pending = static_cast<std::size_t>(std::strtoull(argv[2], nullptr, 10));
  const std::uint64_t events = std::strtoull(argv[3], nullptr, 10);
  if (variant == "queue") {
    EventQueue q;
    q.reserve(pending);
    Rng rng = Rng::substream(1, "bench/hold");
    std::uint64_t fired = 0;
    for (std::size_t i = 0; i < pending; ++i)
      q.push(TimePoint{} + increment(rng), [&fired] { ++fired; });
    const std::uint64_t sum = hold_loop_queue(q, rng, events);
    std::printf("queue pending=%zu events=%llu fired=%llu checksum=%llu\n", pending,
                static_cast<unsigned long long>(events), static_cast<unsigned long long>(fired),
                static_cast<unsigned long long>(sum));
    return 0;
  }
  Simulation sim{1};
  HoldModel model{&sim, sim.stream("bench/hold")};
  void (*next)(HoldModel&) = nullptr;
  if (variant == "sim") {
    next = hold_next;
  } else if (variant == "wide") {
    next = hold_next_wide;
  } else if (variant == "function") {
    next = hold_next_function;
  } else {
    std::fprintf(stderr, "unknown variant %s\n", argv[1]);
    return 2;
  }
  for (std::size_t i = 0; i < pending; ++i)
    next(model);
  hold_loop_sim(sim, events);
  std::printf("%s pending=%zu events=%llu fired=%llu now_ms=%lld\n", argv[1], pending,
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(model.fired),
              static_cast<long long>(sim.now().time_since_epoch().count()));
  return 0;
}
