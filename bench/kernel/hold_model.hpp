// The hold model's pieces, shared by the Google Benchmark suite (hold_model_bench.cpp) and
// the fixed-length instruction counter (hold_model_count.cpp), so both measure the same
// code. The classic hold model (Jones 1986): with N events pending, pop the earliest and
// push one at now + a random increment, so the queue size stays N. Increments are
// exponential with a mean of one minute, drawn from sim::Rng and rounded to whole
// milliseconds (so equal times, which the queue breaks by insertion order, happen as they do
// in real scenarios).
#pragma once

#include <cstdint>
#include <functional>

#include "sim/random.hpp"
#include "sim/simulation.hpp"

namespace selfheal::bench {

inline constexpr double kMeanIncrementMs = 60'000.0;

inline core::Duration increment(sim::Rng& rng) {
  return core::Duration{static_cast<std::int64_t>(rng.exponential(kMeanIncrementMs))};
}

/// One self-perpetuating stream of events through Simulation::after.
struct HoldModel {
  sim::Simulation* sim;
  sim::Rng rng;
  std::uint64_t fired = 0;
};

/// Each event a small lambda (one captured reference) scheduling its successor, the way
/// model code is written.
inline void hold_next(HoldModel& m) {
  m.sim->after(increment(m.rng), [&m] {
    ++m.fired;
    hold_next(m);
  });
}

/// A lambda capturing three words (24 bytes), passed straight to Simulation::after: inline
/// in EventCallback (40-byte buffer); std::function would have to allocate for it.
inline void hold_next_wide(HoldModel& m) {
  std::uint64_t* fired = &m.fired;
  sim::Rng* rng = &m.rng;
  m.sim->after(increment(m.rng), [&m, fired, rng] {
    ++*fired;
    (void)rng;
    hold_next_wide(m);
  });
}

/// The same through a std::function<void()> carrying three captured words (too big for its
/// small buffer, so it allocates): the engine's Scheduler port hands callbacks of this type.
inline void hold_next_function(HoldModel& m) {
  std::uint64_t* fired = &m.fired;
  sim::Rng* rng = &m.rng;
  std::function<void()> cb = [&m, fired, rng] {
    ++*fired;
    (void)rng;
    hold_next_function(m);
  };
  m.sim->after(increment(m.rng), std::move(cb));
}

}  // namespace selfheal::bench
