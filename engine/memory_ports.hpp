// In-memory implementations of every engine port: for tests, for `selfheal decide`, and for
// the simulator (which may use them directly or wrap them).
//
// All of them are deterministic and single-threaded, like the engine. None reads the wall
// clock: time comes from a ManualClock that the owner advances.
//
//   ManualClock clock{from_unix_ms(0)};
//   ManualScheduler scheduler{clock};
//   MemoryStateStore state;
//   VectorAuditSink audit;
//   RecordingActuator actuator{&scheduler, 30s};   // completes every action 30s later, ok
//   RecordingNotifier notifier;
//   StaticTelemetry telemetry; StaticTopology topology; StaticCalendar calendar;
//   Engine engine{{clock, scheduler, telemetry, topology, calendar, actuator, notifier,
//                  state, audit}, policies, ClassifierModel::builtin()};
//   engine.handle(incident);
//   scheduler.advance(5min);   // runs the actuator completion and the verification
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

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "engine/ports.hpp"

namespace selfheal::engine {

/// Hash for ServiceRef keys (no allocation: combines the two strings' hashes).
struct ServiceRefHash {
  std::size_t operator()(const ServiceRef& s) const noexcept;
};

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

/// An ordered timer list over a ManualClock. Timers due at the same instant run in the
/// order they were scheduled. `advance` moves the clock to each timer's due time before
/// running it, so callbacks observe the time they were scheduled for; callbacks may
/// schedule or cancel timers (a timer scheduled with delay 0 inside a callback runs in
/// the same advance).
class ManualScheduler final : public Scheduler {
 public:
  explicit ManualScheduler(ManualClock& clock) : clock_(clock) {}
  TimerId after(Duration delay, std::function<void()> cb) override;
  bool cancel(TimerId id) override;

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
  ManualClock& clock_;
  TimerId next_id_ = 1;
  // (due, id) orders by time, then by scheduling order (ids increase).
  std::map<std::pair<TimePoint, TimerId>, std::function<void()>> timers_;
  std::unordered_map<TimerId, TimePoint> due_of_;
};

/// The StateStore in memory: a hash map keyed by target (O(1) load/save; 10,000 targets
/// and more). `to_json`/`from_json` persist it (what `selfheal decide --state` reads and
/// rewrites).
class MemoryStateStore final : public StateStore {
 public:
  TargetState load(const ServiceRef& target) override;
  void save(const ServiceRef& target, const TargetState& state) override;
  std::vector<std::pair<ServiceRef, TargetState>> in_flight() override;
  BreakerState load_breaker() override { return breaker_; }
  void save_breaker(const BreakerState& b) override { breaker_ = b; }
  bool kill_switch() override { return kill_switch_; }
  void set_kill_switch(bool engaged) override { kill_switch_ = engaged; }
  bool seen(const std::string& dedup_key) override;
  void mark_seen(const std::string& dedup_key, TimePoint at) override;

  /// Drops dedup keys marked before `cutoff` (keeps memory bounded in long runs).
  void forget_seen_before(TimePoint cutoff);
  std::size_t targets() const { return targets_.size(); }
  /// Direct read access (tests, reports); nullptr when never saved.
  const TargetState* peek(const ServiceRef& target) const;

  /// Stable JSON form (docs/audit.md#state-file):
  /// {"version":1,"kill_switch":false,"breaker":{...},"targets":[{"namespace":..,
  ///  "name":..,"last_action_at":..,"attempts":..,"ladder_step":..,"escalate_only":..,
  ///  "in_flight":{...}}],"seen":[{"key":..,"at":..}]}
  nlohmann::json to_json() const;
  /// The inverse of to_json; an Error naming the field when the document is malformed.
  static core::Result<MemoryStateStore> from_json(const nlohmann::json& j);

 private:
  std::unordered_map<ServiceRef, TargetState, ServiceRefHash> targets_;
  BreakerState breaker_;
  bool kill_switch_ = false;
  std::unordered_map<std::string, TimePoint> seen_;
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

/// Records every request. Completion is either manual (`complete`) or automatic: with a
/// scheduler, each action completes `delay` after execute() with `auto_result` (the
/// `undo` of a result is filled in by `undo_for` when set). Completion never happens
/// inside execute(), as the Actuator contract requires. Repeating a request id is
/// idempotent: the second execute() is recorded in `duplicates()` and never completes.
class RecordingActuator final : public Actuator {
 public:
  RecordingActuator() = default;
  RecordingActuator(Scheduler* scheduler, Duration delay,
                    ActionResult auto_result = {true, "ok", {}})
      : scheduler_(scheduler), delay_(delay), auto_result_(std::move(auto_result)) {}

  void execute(const ActionRequest& request, std::function<void(ActionResult)> done) override;

  /// Completes a pending request. False when `id` is not pending.
  bool complete(std::uint64_t id, ActionResult result);
  /// Completes every pending request with `result`, oldest first; returns how many.
  std::size_t complete_all(const ActionResult& result);

  const std::vector<ActionRequest>& requests() const { return requests_; }
  std::size_t pending() const { return pending_.size(); }
  std::size_t duplicates() const { return duplicates_; }
  /// How an action would be undone, attached to automatic results (e.g. the previous
  /// replica count for a scale). Unset: results carry no undo.
  std::function<std::optional<ActionSpec>(const ActionRequest&)> undo_for;
  /// Result for automatic completion (may be changed between actions).
  ActionResult& auto_result() { return auto_result_; }

 private:
  Scheduler* scheduler_ = nullptr;
  Duration delay_{0};
  ActionResult auto_result_{true, "ok", {}};
  std::vector<ActionRequest> requests_;
  std::map<std::uint64_t, std::function<void(ActionResult)>> pending_;
  std::unordered_set<std::uint64_t> ids_;
  std::size_t duplicates_ = 0;
};

/// Keeps every escalation.
class RecordingNotifier final : public Notifier {
 public:
  void escalate(const Escalation& e) override { escalations_.push_back(e); }
  const std::vector<Escalation>& escalations() const { return escalations_; }
  /// Escalations that page (approval requests excluded).
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
/// (a namespace never set counts `default_services_per_namespace`).
class StaticTopology final : public Topology {
 public:
  std::vector<DependencyHealth> upstreams(const ServiceRef& service) override;
  std::size_t services_in_namespace(const std::string& ns) override;
  void set_upstreams(const ServiceRef& service, std::vector<DependencyHealth> deps) {
    upstreams_[service] = std::move(deps);
  }
  void set_services_in_namespace(const std::string& ns, std::size_t n) { counts_[ns] = n; }
  std::size_t default_services_per_namespace = 1;

 private:
  std::unordered_map<ServiceRef, std::vector<DependencyHealth>, ServiceRefHash> upstreams_;
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
