// The run loops re-check stopped_ and the queue after every event because an event may
// schedule, cancel or stop anything, including events due at this same instant.
#include "sim/simulation.hpp"

namespace selfheal::sim {

Simulation::Simulation(std::uint64_t seed, TimePoint start)
    : start_(start), now_(start), seed_(seed) {}

void Simulation::dispatch_next() {
  // The callback runs where the queue stores it (no move out and back in).
  queue_.run_next([this](TimePoint when) {
    now_ = when;
    ++dispatched_;
  });
}

void Simulation::run_until(TimePoint t) {
  stopped_ = false;
  while (!stopped_ && !queue_.empty() && queue_.next_time() <= t)
    dispatch_next();
  if (!stopped_ && t > now_) now_ = t;
}

void Simulation::run() {
  stopped_ = false;
  while (!stopped_ && !queue_.empty())
    dispatch_next();
}

bool Simulation::step() {
  if (queue_.empty()) return false;
  dispatch_next();
  return true;
}

}  // namespace selfheal::sim
