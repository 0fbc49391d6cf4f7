// The run loops re-check stopped_ and the queue after every event because an event may
// schedule, cancel or stop anything, including events due at this same instant.
#include "sim/simulation.hpp"

#include <stdexcept>
#include <string>

namespace selfheal::sim {

Simulation::Simulation(std::uint64_t seed, TimePoint start)
    : start_(start), now_(start), seed_(seed) {}

Simulation::Simulation(NewOwner, const Simulation& other)
    : queue_(other.queue_,
             [this](const EventQueue::Callback& cb) -> EventQueue::Callback {
               const DataCall* d = cb.target<DataCall>();
               if (d == nullptr) {
                 throw std::logic_error(
                     "Simulation: cannot copy while a closure event is pending (only data "
                     "events can be copied: a closure may point into the original's model)");
               }
               return DataCall{this, d->to, d->e};
             }),
      start_(other.start_),
      now_(other.now_),
      seed_(other.seed_),
      dispatched_(other.dispatched_) {}

TargetId Simulation::add_target(EventTarget& t) {
  targets_.push_back(&t);
  return static_cast<TargetId>(targets_.size() - 1);
}

void Simulation::add_target_as(EventTarget& t, TargetId as, std::string_view who) {
  if (add_target(t) != as) {
    throw std::logic_error(std::string(who) +
                           ": the copy's simulation numbers its targets differently");
  }
}

void Simulation::deliver(TargetId to, const Event& e) {
  if (to >= targets_.size()) {
    throw std::logic_error("Simulation: a data event for target " + std::to_string(to) +
                           ", which is not registered");
  }
  targets_[to]->on_event(e);
}

void Simulation::run_until_dispatched(std::uint64_t n) {
  stopped_ = false;
  while (!stopped_ && !queue_.empty() && dispatched_ < n)
    dispatch_next();
}

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
