// The discrete-event kernel: a virtual clock and an event queue.
//
// Events are ordered by (time, insertion sequence): two events at the same instant run in
// the order they were scheduled. An event may schedule or cancel other events, including
// siblings due at the same instant. Nothing here reads the wall clock.
//
//   sim::Simulation s{/*seed=*/7};
//   s.after(5min, [&] { ... });          // runs at start + 5 min
//   s.run_until(s.start() + 1h);         // runs every event due at or before +1h, now = +1h
//
// Ownership: callbacks are owned by the simulation until they run or are cancelled.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/time.hpp"
#include "sim/event_queue.hpp"
#include "sim/random.hpp"

namespace selfheal::sim {

using core::Duration;
using core::TimePoint;

/// The scenario epoch when none is given: Monday 2026-01-05 00:00 UTC, so time-of-day and
/// weekday shapes are meaningful.
inline constexpr TimePoint kDefaultStart{std::chrono::duration_cast<Duration>(
    std::chrono::sys_days{std::chrono::year{2026} / 1 / 5}.time_since_epoch())};

class Simulation {
 public:
  explicit Simulation(std::uint64_t seed, TimePoint start = kDefaultStart);

  TimePoint start() const { return start_; }
  TimePoint now() const { return now_; }
  std::uint64_t seed() const { return seed_; }

  /// Schedules `cb` at `t` (clamped to now() if earlier, so it runs after the events already
  /// due now). Returns its id (never 0).
  EventId at(TimePoint t, EventQueue::Callback&& cb) {
    return queue_.push(t < now_ ? now_ : t, std::move(cb));
  }
  /// Schedules `cb` at now() + d.
  EventId after(Duration d, EventQueue::Callback&& cb) { return at(now_ + d, std::move(cb)); }
  /// The same for any `void()` callable, stored in the queue without an intermediate
  /// EventCallback (how model code schedules a lambda).
  template <class F>
  requires(!std::is_same_v<std::decay_t<F>, EventQueue::Callback> &&
           std::is_invocable_v<std::decay_t<F>&>) EventId at(TimePoint t, F&& f) {
    return queue_.push(t < now_ ? now_ : t, std::forward<F>(f));
  }
  template <class F>
  requires(!std::is_same_v<std::decay_t<F>, EventQueue::Callback> &&
           std::is_invocable_v<std::decay_t<F>&>) EventId after(Duration d, F&& f) {
    return at(now_ + d, std::forward<F>(f));
  }
  /// Cancels a pending event; false when it already ran, was cancelled, or is unknown.
  bool cancel(EventId id) { return queue_.cancel(id); }

  /// Runs every event due at or before `t`, in order (including events those events
  /// schedule at or before `t`), then sets now() = t. Later events stay queued. The clock
  /// never goes back: a `t` earlier than now() runs nothing and leaves now() alone. After
  /// stop(), now() stays at the time of the event that called it.
  void run_until(TimePoint t);
  /// Runs until the queue is empty (or stop() is called). now() ends at the last event.
  void run();
  /// Runs the earliest pending event, if any. False when nothing was pending.
  bool step();
  /// Makes the current run()/run_until() return after the current event. Each run()/
  /// run_until() call starts un-stopped.
  void stop() { stopped_ = true; }

  /// Live events still queued (cancelled ones are not counted).
  std::size_t pending() const { return queue_.size(); }
  /// Events run so far (cancelled ones never count).
  std::uint64_t dispatched() const { return dispatched_; }

  /// A generator for `name`, independent of every other name under this seed.
  Rng stream(std::string_view name) const { return Rng::substream(seed_, name); }

 private:
  void dispatch_next();

  EventQueue queue_;
  TimePoint start_;
  TimePoint now_;
  std::uint64_t seed_;
  std::uint64_t dispatched_ = 0;
  bool stopped_ = false;
};

}  // namespace selfheal::sim
