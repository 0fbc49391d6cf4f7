// The hold model (bench/kernel/hold_model.hpp) on the bare queue and through Simulation.
// One benchmark iteration = one event; items/s in the output is events/s.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <vector>

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

// The bare queue: pop, run the (tiny) callback, push the successor.
void BM_HoldEventQueue(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  EventQueue q;
  q.reserve(pending);
  Rng rng = Rng::substream(1, "bench/hold");
  std::uint64_t fired = 0;
  const TimePoint start{};
  for (std::size_t i = 0; i < pending; ++i)
    q.push(start + increment(rng), [&fired] { ++fired; });
  for (auto _ : state) {
    TimePoint now;
    EventQueue::Callback cb = q.pop(&now);
    cb();
    q.push(now + increment(rng), std::move(cb));
  }
  benchmark::DoNotOptimize(fired);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HoldEventQueue)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

void BM_HoldSimulation(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  Simulation sim{1};
  HoldModel model{&sim, sim.stream("bench/hold")};
  for (std::size_t i = 0; i < pending; ++i)
    hold_next(model);
  for (auto _ : state)
    sim.step();
  benchmark::DoNotOptimize(model.fired);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HoldSimulation)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

void BM_HoldSimulationWideCapture(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  Simulation sim{1};
  HoldModel model{&sim, sim.stream("bench/hold")};
  for (std::size_t i = 0; i < pending; ++i)
    hold_next_wide(model);
  for (auto _ : state)
    sim.step();
  benchmark::DoNotOptimize(model.fired);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HoldSimulationWideCapture)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

void BM_HoldSimulationStdFunction(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  Simulation sim{1};
  HoldModel model{&sim, sim.stream("bench/hold")};
  for (std::size_t i = 0; i < pending; ++i)
    hold_next_function(model);
  for (auto _ : state)
    sim.step();
  benchmark::DoNotOptimize(model.fired);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HoldSimulationStdFunction)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

// The timeout pattern on the bare queue: every event re-arms its stream's timeout (cancel
// the pending one, push a new one 30 s ahead) and schedules its successor, so each event is
// a pop, a cancel and two pushes. Timeouts almost never fire; cancel is the hot path.
void BM_TimeoutRearm(benchmark::State& state) {
  const auto streams = static_cast<std::size_t>(state.range(0));
  EventQueue q;
  Rng rng = Rng::substream(1, "bench/timeout");
  std::vector<selfheal::sim::EventId> timeout(streams, 0);
  std::uint64_t fired = 0;
  const TimePoint start{};
  for (std::size_t i = 0; i < streams; ++i)
    q.push(start + increment(rng), [&fired] { ++fired; });
  std::size_t stream = 0;
  for (auto _ : state) {
    TimePoint now;
    EventQueue::Callback cb = q.pop(&now);
    cb();
    if (timeout[stream] != 0) q.cancel(timeout[stream]);
    timeout[stream] = q.push(now + std::chrono::seconds{30}, [&fired] { ++fired; });
    q.push(now + increment(rng), std::move(cb));
    stream = stream + 1 == streams ? 0 : stream + 1;
  }
  benchmark::DoNotOptimize(fired);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimeoutRearm)->Arg(1'000)->Arg(100'000);

// The increment draw alone, to separate the generator's share from the queue's.
void BM_ExponentialDraw(benchmark::State& state) {
  Rng rng = Rng::substream(1, "bench/hold");
  for (auto _ : state)
    benchmark::DoNotOptimize(increment(rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ExponentialDraw);

}  // namespace

BENCHMARK_MAIN();
