// The ports: the only way the engine touches the world. Each is a small abstract
// interface; the simulator implements them in sim/, live mode in live/. The engine holds
// references (non-owning) through `EngineContext`; implementations must outlive it.
//
// All calls happen on one thread (the sim loop, or live mode's engine strand); none may
// block for long. Long work (running kubectl) completes later: the implementation calls
// the engine back on that same thread through `Callbacks`, naming what it reports with a
// number the engine handed it (a timer's token, an action's request id). The ports hold no
// closure over the engine, so the engine's state is plain data and the engine can be
// copied (Engine's copy constructor) onto a copy of its ports.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/audit.hpp"
#include "engine/defaults.hpp"
#include "engine/types.hpp"

namespace selfheal::engine {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

using TimerId = std::uint64_t;

struct ActionResult;

/// What the engine's timers and actions report back to (the Engine implements it; see
/// Engine::callbacks). The numbers are the engine's own: it keeps, as data, what each
/// pending token and request id means.
class Callbacks {
 public:
  virtual ~Callbacks() = default;
  /// A timer armed with `token` is due.
  virtual void on_timer(std::uint64_t token) = 0;
  /// The action of ActionRequest::id `request_id` finished.
  virtual void on_action_done(std::uint64_t request_id, ActionResult r) = 0;
};

/// Lifetime: the engine cancels every timer it still has pending when it is destroyed, so
/// a Scheduler never calls a destroyed `to`.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  /// Calls `to.on_timer(token)` once, `delay` from now (a negative delay counts as 0),
  /// unless cancelled first. Returns an id for cancel (never 0). Example:
  /// `after(5min, engine.callbacks(), 7)` -> 5 minutes later, on_timer(7).
  virtual TimerId after(Duration delay, Callbacks& to, std::uint64_t token) = 0;
  /// False when the timer already fired or is unknown.
  virtual bool cancel(TimerId id) = 0;
};

class Telemetry {
 public:
  virtual ~Telemetry() = default;
  /// Signals for `service` over the `window` ending now.
  virtual ServiceSignals signals(const ServiceRef& service, Duration window) = 0;
  /// Evaluates a free-form query (PromQL live) to a scalar, or nullopt when the source
  /// cannot (the simulator has no PromQL) or the query returned nothing.
  virtual std::optional<double> query(const std::string& expr, const ServiceRef& service) {
    (void)expr;
    (void)service;
    return std::nullopt;
  }
};

class Topology {
 public:
  virtual ~Topology() = default;
  /// Direct upstream dependencies of `service` and their health now.
  virtual std::vector<DependencyHealth> upstreams(const ServiceRef& service) = 0;
  /// The health of `service` itself now, by the same rule upstreams() applies to each
  /// upstream (so `health(u)` and the entry for `u` in a dependent's upstreams() agree):
  /// in the simulator error rate > 0.05, ready replicas < 50% or p99 > 5x its baseline;
  /// live, its `error_rate` query above prometheus.unhealthy_error_rate. A service the
  /// topology does not know, or without data, is healthy with the reason saying so (no
  /// evidence is not evidence of an outage). What engine.freeze_when reads
  /// (docs/policy.md#engine-freeze).
  virtual DependencyHealth health(const ServiceRef& service) = 0;
  /// How many services the namespace has (the blast-radius denominator).
  virtual std::size_t services_in_namespace(const std::string& ns) = 0;
};

class Calendar {
 public:
  virtual ~Calendar() = default;
  /// Planned events affecting `service` that are active at `now`.
  virtual std::vector<PlannedEvent> active(const ServiceRef& service, TimePoint now) = 0;
};

struct ActionRequest {
  std::uint64_t id = 0;  ///< engine-assigned, unique per action
  ServiceRef target;
  ActionSpec action;
  std::vector<std::string> argv;  ///< the engine's rendering (kubectl/helm)
  Duration timeout{defaults::kActionTimeout};
};

struct ActionResult {
  bool ok = false;
  std::string message;             ///< stdout/stderr summary or model note
  std::optional<ActionSpec> undo;  ///< how to reverse it (previous replicas/revision)
};

/// A Deployment's rollout as `kubectl get deployment -o json` reports it: what verification
/// waits on before it judges an action (rollout_progress in engine/checks.hpp applies the
/// rule of `kubectl rollout status`). Example: a restart of 4 replicas half way through is
/// {observed, generation 7, observed 7, desired 4, replicas 6, updated 2, available 4}.
struct DeploymentStatus {
  bool observed = false;        ///< false: this actuator cannot observe rollouts; judge at once
  std::string error;            ///< non-empty: the read failed (the action is not known done)
  std::int64_t generation = 0;  ///< metadata.generation
  std::int64_t observed_generation = 0;  ///< status.observedGeneration
  int desired = 0;                       ///< spec.replicas
  int replicas = 0;   ///< status.replicas: every pod of every ReplicaSet, old ones included
  int updated = 0;    ///< status.updatedReplicas: pods of the current template
  int available = 0;  ///< status.availableReplicas
  friend bool operator==(const DeploymentStatus&, const DeploymentStatus&) = default;
};

class Actuator {
 public:
  virtual ~Actuator() = default;
  /// Starts the action. Must be idempotent for the same request id. Calls
  /// `to.on_action_done(request.id, result)` exactly once, later (never re-entrantly from
  /// inside execute), on the engine's thread — unless forget(to) ran first.
  virtual void execute(const ActionRequest& request, Callbacks& to) = 0;
  /// `to` is going away (the engine calls it from its destructor, an action may still be
  /// running): drop every completion still owed to `to`; after this returns, `to` is never
  /// called. The action itself runs on. A new engine on the same actuator (a restart) is a
  /// new `to`, even at the same address; it learns of the old engine's actions through the
  /// StateStore (Engine::resume), never through their completions.
  virtual void forget(Callbacks& to) = 0;
  /// The rollout of `target`'s Deployment now, read after an action reported done
  /// (engine::verification_needs names the read as `deployment`). The default: not observed.
  virtual DeploymentStatus deployment(const ServiceRef& target) {
    (void)target;
    return {};
  }
};

/// A page or an approval request, with the full history of what automation did.
struct Escalation {
  std::string incident;  ///< fingerprint / dedup key
  ServiceRef target;
  std::string channel;   ///< e.g. "pagerduty-p1"
  std::string severity;  ///< "critical" | "error" | "warning" | "info"
  std::string summary;
  Outcome reason = Outcome::kLowConfidence;
  std::optional<ActionSpec> suggested_action;
  std::vector<std::string> suggested_argv;
  std::vector<AuditRecord> history;  ///< every record for this target's episode
  std::uint64_t approval_id = 0;     ///< non-zero: an approval request; answer via Engine::approve
  /// When the escalation is about an upstream (dependency-failure), the upstream to page.
  std::optional<ServiceRef> upstream;
  /// Correlation: callers whose alerts joined this incident (their own pages were held;
  /// docs/pipeline.md#correlation). `target` is the root service.
  std::vector<ServiceRef> affected;
  /// True: an update of the page already open for `incident` (same PagerDuty dedup_key),
  /// sent because more services joined; not a new page.
  bool update = false;
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void escalate(const Escalation& e) = 0;
};

/// Per-target remediation state. Persisted live (a restart that forgets a cooldown causes
/// a loop).
struct InFlightAction {
  std::uint64_t action_id = 0;
  std::string incident;
  ActionSpec action;
  TimePoint started_at{};
  TimePoint verify_at{};  ///< when verification is due
  bool executed = false;  ///< actuator reported done
  std::string policy;     ///< incident_type of the policy that chose it (verification after resume)
  std::optional<ActionSpec> undo;  ///< from the ActionResult: how to reverse it, if known
  std::string firing;  ///< the alert firing it answers: fingerprint@startsAt; "" without startsAt
  /// The target's signals over the policy's verification window ending when the action
  /// started: the before-action state the improvement-margin rule compares against
  /// (docs/pipeline.md#verification). Persisted with the rest, so a verification after a
  /// restart of `selfheal serve` still has it; unset in state written by older builds.
  std::optional<ServiceSignals> before;
};

/// A firing whose action was verified: Alertmanager keeps re-sending it until its rule
/// resolves (group/repeat interval; a rule over `increase(...[1h])` stays up for an hour),
/// and those re-deliveries must not page a person about a service that is fine again.
/// Until `until`, a re-delivery of that firing whose target still passes `policy`'s
/// verification checks is a duplicate; one that fails them is a relapse and goes on.
struct RecoveredFiring {
  std::string firing;  ///< InFlightAction::firing of the verified action
  std::string policy;  ///< whose verification checks are re-run
  TimePoint until{};   ///< verified-at + defaults::kRecoveredHold (24 h)
};

/// A remediation whose verification passed: what the recurrence guardrail counts (a fault
/// that automation fixes again and again is being masked, not fixed). Kept per target in
/// TargetState::remediations, oldest first.
struct VerifiedRemediation {
  TimePoint at{};               ///< when its verification passed
  std::string policy;           ///< incident type of the policy that chose it ("memory-leak")
  ActionSpec action;            ///< what was done
  std::uint64_t action_id = 0;  ///< the engine's action id (audit cross-reference)
};

struct TargetState {
  std::optional<TimePoint> last_action_at;
  int attempts = 0;             ///< failed-or-unverified automated attempts this episode
  std::size_t ladder_step = 0;  ///< index into the policy's escalating actions
  bool escalate_only = false;   ///< max attempts reached: only pages until reset/recovery
  std::optional<InFlightAction> in_flight;
  std::optional<RecoveredFiring> recovered;  ///< the last verified firing, while it is held
  /// Verified remediations still inside their policy's recurrence window (at most
  /// defaults::kMaxRemediationHistory, oldest dropped first); absent in older state = none.
  std::vector<VerifiedRemediation> remediations;
};

struct BreakerState {
  bool tripped = false;
  std::optional<TimePoint> tripped_at;
  std::vector<TimePoint> recent_actions;  ///< action start times inside the rate window
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  /// State for `target`, default-constructed if never saved.
  virtual TargetState load(const ServiceRef& target) = 0;
  virtual void save(const ServiceRef& target, const TargetState& state) = 0;
  /// Every target with an in-flight action (to resume verification after a restart).
  virtual std::vector<std::pair<ServiceRef, TargetState>> in_flight() = 0;
  virtual BreakerState load_breaker() = 0;
  virtual void save_breaker(const BreakerState& b) = 0;
  virtual bool kill_switch() = 0;
  virtual void set_kill_switch(bool engaged) = 0;
  /// Fingerprints already acted on / being handled, for dedup across restarts.
  virtual bool seen(const std::string& dedup_key) = 0;
  virtual void mark_seen(const std::string& dedup_key, TimePoint at) = 0;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void record(const AuditRecord& r) = 0;
};

/// Everything the engine is handed. Non-owning.
struct EngineContext {
  Clock& clock;
  Scheduler& scheduler;
  Telemetry& telemetry;
  Topology& topology;
  Calendar& calendar;
  Actuator& actuator;
  Notifier& notifier;
  StateStore& state;
  AuditSink& audit;
};

}  // namespace selfheal::engine
