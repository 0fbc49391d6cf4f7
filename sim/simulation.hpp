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
// Two kinds of events. A closure (any `void()` callable) is how tests and benchmarks
// schedule. A data event is a small trivially copyable `Event{kind, a, b}` delivered to an
// EventTarget its owner registered (add_target): it holds no pointer into the model, so a
// Simulation whose pending events are all data events can be copied to a new owner (the
// copy constructor below), which is how a run is branched (docs/architecture.md
// "Branching a run"):
//
//   struct Part final : sim::EventTarget {
//     explicit Part(sim::Simulation& s) : id(s.add_target(*this)) {}
//     void on_event(const sim::Event& e) override { ... e.kind, e.a, e.b ... }
//     sim::TargetId id;
//   };
//   s.after(5min, part.id, sim::Event{/*kind=*/1, /*a=*/k, /*b=*/0});
//   sim::Simulation copy{sim::Simulation::NewOwner{}, s};  // same now, ids, pending events
//   Part twin{copy};                                         // same registration order
//
// Ownership: callbacks are owned by the simulation until they run or are cancelled; targets
// are the owner's and must outlive the events sent to them.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

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

/// A data event: what happens (`kind`, the target's own enumeration) and two operands (an
/// incident index, a token into the target's own table, ...). Trivially copyable.
struct Event {
  std::uint32_t kind = 0;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
};
static_assert(std::is_trivially_copyable_v<Event>);

/// Receives data events (Simulation::add_target).
class EventTarget {
 public:
  virtual void on_event(const Event& e) = 0;

 protected:
  EventTarget() = default;
  EventTarget(const EventTarget&) = default;
  EventTarget& operator=(const EventTarget&) = default;
  ~EventTarget() = default;
};

/// A registered target's number: registration order, from 0.
using TargetId = std::uint32_t;

class Simulation {
 public:
  explicit Simulation(std::uint64_t seed, TimePoint start = kDefaultStart);

  /// Tag of the copy constructor.
  struct NewOwner {};
  /// A copy of `other` for a new owner: the same start, now, seed, dispatched count and
  /// every pending event with the same id, time and order, so event ids kept in the model's
  /// state stay valid in the copy, and the ids of later events are the original's too. No
  /// target is registered: the new owner registers its own, in the original's order (a data
  /// event is delivered to the target with its number). Throws std::logic_error when a
  /// closure event is pending (it may point into the original's model), or when called from
  /// inside an event.
  Simulation(NewOwner, const Simulation& other);
  // Pending data events refer to their Simulation: it stays where it was built.
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Registers `t` for data events; returns its number (0, 1, ... in call order).
  TargetId add_target(EventTarget& t);
  /// add_target for a part of a copied world, which registers in the original's order: it
  /// must get the original's number `as`. Throws std::logic_error naming `who` otherwise
  /// (its pending data events would reach another target).
  ///   Part(const Part& o, Simulation& sim) : Part(o) { sim.add_target_as(*this, o.id, "Part"); }
  void add_target_as(EventTarget& t, TargetId as, std::string_view who);
  /// Registered targets.
  std::size_t targets() const { return targets_.size(); }
  /// Schedules data event `e` for target `to` at `t` (clamped to now() like a closure).
  /// Delivering to an unregistered number throws std::logic_error.
  EventId at(TimePoint t, TargetId to, Event e) {
    return queue_.push(t < now_ ? now_ : t, DataCall{this, to, e});
  }
  /// Schedules data event `e` for target `to` at now() + d.
  EventId after(Duration d, TargetId to, Event e) { return at(now_ + d, to, e); }

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
  /// Runs events until `n` have been dispatched in all (or the queue is empty, or stop()
  /// is called); now() stays at the last one's time. That stops exactly between two
  /// events: inside the next one dispatched() would read n + 1. To be just before the event
  /// during which dispatched() read k in another run of the same world:
  /// run_until_dispatched(k - 1). Nothing runs when dispatched() >= n already.
  void run_until_dispatched(std::uint64_t n);
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
  /// What a data event is in the queue: a trivially copyable callable (40 bytes, inline).
  struct DataCall {
    Simulation* sim;
    TargetId to;
    Event e;
    void operator()() const { sim->deliver(to, e); }
  };
  static_assert(sizeof(DataCall) <= EventCallback::kInlineSize &&
                std::is_trivially_copyable_v<DataCall>);
  void deliver(TargetId to, const Event& e);
  void dispatch_next();

  EventQueue queue_;
  std::vector<EventTarget*> targets_;
  TimePoint start_;
  TimePoint now_;
  std::uint64_t seed_;
  std::uint64_t dispatched_ = 0;
  bool stopped_ = false;
};

}  // namespace selfheal::sim
