// Engine ports over values given up front: a clock that moves only when told, timers run
// by hand, telemetry/topology/calendar answers you set, and an actuator, notifier and audit
// sink that record. `selfheal decide` runs one dry-run decision over them; tests, benches
// and the simulator's unit tests drive the engine with them. Deterministic and
// single-threaded, like the engine; none reads the wall clock.
//
//   ManualClock clock{from_unix_ms(0)};
//   ManualScheduler scheduler{clock};
//   MemoryStateStore state;                 // engine/memory_state_store.hpp
//   VectorAuditSink audit;
//   RecordingActuator actuator;             // records; completes only when told
//   RecordingNotifier notifier;
//   StaticTelemetry telemetry; StaticTopology topology; StaticCalendar calendar;
//   Engine engine{{clock, scheduler, telemetry, topology, calendar, actuator, notifier,
//                  state, audit}, policies, ClassifierModel::builtin()};
//   engine.handle(incident);
//   actuator.complete_all({true, "ok", {}});
//   scheduler.advance(5min);   // runs the verification
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/ports.hpp"

namespace selfheal::engine {

/// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{}) : now_(start) {}
  TimePoint now() const override { return now_; }
  void set(TimePoint t) { now_ = t; }
  void advance(Duration d) { now_ += d; }

 private:
  TimePoint now_;
};

/// Callbacks from closures, for callers of the ports that are not an engine (tools, tests):
///   FunctionCallbacks cb{[&](std::uint64_t token) { ... }, [&](std::uint64_t id,
///                        ActionResult r) { ... }};
///   actuator.execute(request, cb);
/// An unset closure ignores its calls.
struct FunctionCallbacks final : Callbacks {
  std::function<void(std::uint64_t token)> timer;
  std::function<void(std::uint64_t request_id, ActionResult r)> done;
  FunctionCallbacks() = default;
  FunctionCallbacks(std::function<void(std::uint64_t)> t,
                    std::function<void(std::uint64_t, ActionResult)> d = {})
      : timer(std::move(t)), done(std::move(d)) {}
  void on_timer(std::uint64_t token) override {
    if (timer) timer(token);
  }
  void on_action_done(std::uint64_t request_id, ActionResult r) override {
    if (done) done(request_id, std::move(r));
  }
};

/// An ordered timer list over a ManualClock. Timers due at the same instant run in the
/// order they were scheduled. `advance` moves the clock to each timer's due time before
/// running it, so callbacks observe the time they were scheduled for; callbacks may
/// schedule or cancel timers (a timer scheduled with delay 0 inside a callback runs in
/// the same advance).
///
/// Copyable onto another clock (ManualScheduler(other, clock)): the copy has the same
/// timers under the same ids; `retarget` then re-addresses those of one Callbacks to another
/// (an engine's to its copy's). A closure timer (the second `after`) is copied as it is.
class ManualScheduler final : public Scheduler {
 public:
  explicit ManualScheduler(ManualClock& clock) : clock_(clock) {}
  ManualScheduler(const ManualScheduler& other, ManualClock& clock);
  ManualScheduler(const ManualScheduler&) = delete;
  ManualScheduler& operator=(const ManualScheduler&) = delete;
  TimerId after(Duration delay, Callbacks& to, std::uint64_t token) override;
  /// Runs `cb` once, `delay` from now (a test's own timer; the engine's go through Callbacks).
  TimerId after(Duration delay, std::function<void()> cb);
  bool cancel(TimerId id) override;
  /// Every pending timer addressed to `from` now calls `to` instead.
  void retarget(const Callbacks& from, Callbacks& to);

  /// Runs every timer due within `d` from now, then leaves the clock at now + d.
  void advance(Duration d);
  /// Runs every timer due at or before `t`; leaves the clock at `t` (if later than now).
  void run_until(TimePoint t);
  /// Runs timers until none is left (or `max_timers` ran: a guard against timer loops).
  /// Returns how many ran.
  std::size_t run_all(std::size_t max_timers = 100000);
  std::size_t pending() const { return timers_.size(); }
  /// Due time of the earliest pending timer.
  std::optional<TimePoint> next_due() const;

 private:
  struct Timer {
    Callbacks* to = nullptr;  ///< null: `fn` is the timer
    std::uint64_t token = 0;
    std::function<void()> fn;
  };
  TimerId add(Duration delay, Timer t);
  static void fire(Timer& t);

  ManualClock& clock_;
  TimerId next_id_ = 1;
  // (due, id) orders by time, then by scheduling order (ids increase).
  std::map<std::pair<TimePoint, TimerId>, Timer> timers_;
  std::unordered_map<TimerId, TimePoint> due_of_;
};

/// Keeps every audit record in order.
class VectorAuditSink final : public AuditSink {
 public:
  void record(const AuditRecord& r) override { records_.push_back(r); }
  const std::vector<AuditRecord>& records() const { return records_; }
  void clear() { records_.clear(); }

 private:
  std::vector<AuditRecord> records_;
};

/// Records every request and never completes one by itself (`selfheal decide` runs nothing).
/// `complete` reports a result for a pending request, as a real Actuator would later.
/// Repeating a request id is idempotent: the second execute() is recorded in
/// `duplicates()` and never completes. (testing::ScriptedActuator completes by itself.)
/// A plain value: a copy has the same pending requests (`retarget` re-addresses them).
class RecordingActuator final : public Actuator {
 public:
  void execute(const ActionRequest& request, Callbacks& to) override;
  /// The pending completions owed to `to` stay pending but report to no one.
  void forget(Callbacks& to) override;
  /// Every pending completion owed to `from` is now owed to `to`.
  void retarget(const Callbacks& from, Callbacks& to);

  /// Completes a pending request. False when `id` is not pending.
  bool complete(std::uint64_t id, ActionResult result);
  /// Completes every pending request with `result`, oldest first; returns how many.
  std::size_t complete_all(const ActionResult& result);

  const std::vector<ActionRequest>& requests() const { return requests_; }
  std::size_t pending() const { return pending_.size(); }
  std::size_t duplicates() const { return duplicates_; }

 private:
  std::vector<ActionRequest> requests_;
  std::map<std::uint64_t, Callbacks*> pending_;  ///< request id -> whom (null: forgotten)
  std::unordered_set<std::uint64_t> ids_;
  std::size_t duplicates_ = 0;
};

/// Keeps every escalation.
class RecordingNotifier final : public Notifier {
 public:
  void escalate(const Escalation& e) override { escalations_.push_back(e); }
  const std::vector<Escalation>& escalations() const { return escalations_; }
  /// Escalations that page (approval requests and updates of an open page excluded).
  std::size_t pages() const;
  void clear() { escalations_.clear(); }

 private:
  std::vector<Escalation> escalations_;
};

/// Telemetry from values you set. Services never set get `fallback`. `query` answers
/// from `set_query` values (nullopt otherwise, like the simulator). The window is ignored:
/// the values stand for whatever window is asked.
class StaticTelemetry final : public Telemetry {
 public:
  ServiceSignals signals(const ServiceRef& service, Duration window) override;
  std::optional<double> query(const std::string& expr, const ServiceRef& service) override;
  void set(const ServiceRef& service, ServiceSignals s) { signals_[service] = std::move(s); }
  void set_query(const std::string& expr, double value) { queries_[expr] = value; }
  ServiceSignals fallback;
  /// How many signals() calls were made (tests assert laziness).
  std::size_t calls() const { return calls_; }

 private:
  std::unordered_map<ServiceRef, ServiceSignals, ServiceRefHash> signals_;
  std::map<std::string, double> queries_;
  std::size_t calls_ = 0;
};

/// Topology from values you set: upstreams per service and service counts per namespace
/// (a namespace never set counts `default_services_per_namespace`). health(s) answers the
/// value set_health gave, else the entry for `s` in any upstream list set (the first one
/// set), else healthy with reason "unknown service".
class StaticTopology final : public Topology {
 public:
  std::vector<DependencyHealth> upstreams(const ServiceRef& service) override;
  DependencyHealth health(const ServiceRef& service) override;
  std::size_t services_in_namespace(const std::string& ns) override;
  void set_upstreams(const ServiceRef& service, std::vector<DependencyHealth> deps) {
    upstreams_[service] = std::move(deps);
  }
  void set_health(DependencyHealth h) { health_[h.service] = std::move(h); }
  void set_services_in_namespace(const std::string& ns, std::size_t n) { counts_[ns] = n; }
  std::size_t default_services_per_namespace = 1;

 private:
  std::unordered_map<ServiceRef, std::vector<DependencyHealth>, ServiceRefHash> upstreams_;
  std::unordered_map<ServiceRef, DependencyHealth, ServiceRefHash> health_;
  std::map<std::string, std::size_t> counts_;
};

/// Planned events from values you set. An event added without a service applies to every
/// service; `active` returns those with start <= now < end.
class StaticCalendar final : public Calendar {
 public:
  std::vector<PlannedEvent> active(const ServiceRef& service, TimePoint now) override;
  void add(PlannedEvent e, std::optional<ServiceRef> service = std::nullopt) {
    events_.emplace_back(std::move(service), std::move(e));
  }
  void clear() { events_.clear(); }

 private:
  std::vector<std::pair<std::optional<ServiceRef>, PlannedEvent>> events_;
};

}  // namespace selfheal::engine
