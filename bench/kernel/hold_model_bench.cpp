// The classic hold model (Jones 1986): with N events pending, pop the earliest and push one
// at now + a random increment, so the queue size stays N. Increments are exponential with a
// mean of one minute, drawn from sim::Rng and rounded to whole milliseconds (so equal
// times, which the queue breaks by insertion order, happen as they do in real scenarios).
// One benchmark iteration = one event; items/s in the output is events/s.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>

#include "sim/event_queue.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"

namespace {

using selfheal::core::Duration;
using selfheal::core::TimePoint;
using selfheal::sim::EventQueue;
using selfheal::sim::Rng;
using selfheal::sim::Simulation;

constexpr double kMeanIncrementMs = 60'000.0;

Duration increment(Rng& rng) {
  return Duration{static_cast<std::int64_t>(rng.exponential(kMeanIncrementMs))};
}

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

// Through Simulation: each event is a small lambda that schedules its successor with
// Simulation::after, the way model code is written.
struct HoldModel {
  Simulation* sim;
  Rng rng;
  std::uint64_t fired = 0;
};

void hold_next(HoldModel& m) {
  m.sim->after(increment(m.rng), [&m] {
    ++m.fired;
    hold_next(m);
  });
}

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

// A lambda capturing three words (24 bytes) passed straight to Simulation::after: inline in
// EventCallback (40-byte buffer); std::function would have to allocate for it (its buffer
// is 16 bytes).
void hold_next_wide(HoldModel& m) {
  std::uint64_t* fired = &m.fired;
  Rng* rng = &m.rng;
  m.sim->after(increment(m.rng), [&m, fired, rng] {
    ++*fired;
    (void)rng;
    hold_next_wide(m);
  });
}

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

// The same through a std::function<void()> carrying three captured words (too big for
// std::function's own small buffer, so it allocates): the engine's Scheduler port hands
// the simulation callbacks of this type.
void hold_next_function(HoldModel& m) {
  std::uint64_t* fired = &m.fired;
  Rng* rng = &m.rng;
  std::function<void()> cb = [&m, fired, rng] {
    ++*fired;
    (void)rng;
    hold_next_function(m);
  };
  m.sim->after(increment(m.rng), std::move(cb));
}

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
