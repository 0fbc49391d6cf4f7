// The remediation engine: one incident in, one decision out, through a fixed pipeline.
//
// Pipeline order (docs/pipeline.md): resolved/duplicate -> kill switch -> scope -> policy
// lookup -> dependency pre-check -> planned events -> confidence threshold -> cooldown ->
// max attempts -> global limits (concurrency, rate/circuit breaker, blast radius) -> mode
// -> execute. After the policy's verification window: verify -> rollback if failed and
// undoable -> next ladder step or escalate with the full history.
//
// The engine owns no I/O: it talks through the ports in `EngineContext`. It is
// single-threaded: call every method from the thread that runs the Scheduler's callbacks.
// Port implementations must not call back into the Engine from inside a port call (e.g.
// approve() from inside Notifier::escalate): schedule the call instead.
//
//   Engine engine{ctx, load_policy_file("policy.yaml").policies.value(),
//                 ClassifierModel::builtin()};
//   Decision d = engine.handle(incident);   // d.outcome, d.argv, d.reason, ...
//   // later, the Scheduler runs verification; the AuditSink receives every step.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "engine/classifier.hpp"
#include "engine/incident.hpp"
#include "engine/policy.hpp"
#include "engine/ports.hpp"

namespace selfheal::engine {

/// What `handle` decided, as `selfheal decide` prints it.
struct Decision {
  Outcome outcome = Outcome::kNoPolicy;
  bool escalate = false;
  Classification classification;
  std::string policy;                   ///< incident_type of the policy, or empty
  std::optional<ActionSpec> action;     ///< the action executed / shadowed
  std::optional<ActionSpec> suggested;  ///< the action suggested to a person
  std::vector<std::string> argv;        ///< rendering of action or suggested
  std::string guardrail;                ///< the step that decided
  std::string reason;
  std::uint64_t action_id = 0;  ///< non-zero when an action started
  // Additions (issue #3 pipeline):
  double confidence = 0.0;        ///< confidence the threshold saw (after planned-event penalty)
  std::uint64_t approval_id = 0;  ///< non-zero for approval-required: answer via approve()
  std::optional<ServiceRef> upstream;  ///< dependency-failure: the upstream to blame
};

class Engine {
 public:
  Engine(EngineContext ctx, PolicySet policies, ClassifierModel model);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Runs the pipeline for one incident notification.
  Decision handle(const Incident& incident);

  /// A person's answer to an approval request (Escalation::approval_id).
  void approve(std::uint64_t approval_id, bool approved);
  /// Clears escalate-only and attempts for a target (a person reset it).
  void reset_target(const ServiceRef& target);
  void set_kill_switch(bool engaged);
  void reset_breaker();
  /// Re-arms verification timers for in-flight actions found in the StateStore (live
  /// restart after a crash).
  void resume();

  const PolicySet& policies() const;
  void set_mode(Mode m);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The exact command for `action` on `target`, as argv (never a shell string):
///   restart  -> kubectl rollout restart deployment/<svc> -n <ns>
///   scale    -> kubectl scale deployment/<svc> -n <ns> --replicas=<N>
///   rollback -> helm rollback <svc> [<revision>] -n <ns>
/// `current_replicas` resolves factor scaling (bounded by max_replicas).
std::vector<std::string> render_argv(const ServiceRef& target, const ActionSpec& action,
                                     int current_replicas = 0);
/// The validating form of render_argv: an Error naming the offending field when a name is
/// not a DNS-1123 label (namespace, service, traffic-shift `to`; Helm release names at most
/// 53 characters), a scale cannot be resolved (factor without a current replica count or
/// without max_replicas, replicas outside [min, max]), a flag name is missing or unsafe,
/// or the action is `page` (no command). render_argv returns {} in those cases.
/// The other actions (docs/pipeline.md#commands):
///   cache-purge          -> kubectl annotate deployment/<svc> -n <ns> --overwrite
///                           selfheal.io/cache-purge=<nonce>
///   feature-flag-disable -> kubectl set env deployment/<svc> -n <ns> FEATURE_<FLAG>=false
///   traffic-shift        -> kubectl annotate service/<svc> -n <ns> --overwrite
///                           selfheal.io/traffic-shift=<to>:<percent>
/// `nonce` (the engine passes its action id; 0 renders "requested") makes a repeated purge
/// a real change that a watching controller sees.
core::Result<std::vector<std::string>> render_action(const ServiceRef& target,
                                                     const ActionSpec& action,
                                                     int current_replicas = 0,
                                                     std::uint64_t nonce = 0);
/// argv joined by spaces, for display only.
std::string render_command(const std::vector<std::string>& argv);

}  // namespace selfheal::engine
