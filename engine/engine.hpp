// The remediation engine: one incident in, one decision out, through a fixed pipeline.
//
// Pipeline order (docs/pipeline.md): resolved/duplicate -> kill switch -> scope -> policy
// lookup -> dependency pre-check -> planned events -> confidence threshold -> cooldown ->
// max attempts -> global limits (concurrency, rate/circuit breaker, blast radius) -> mode
// -> execute. After the policy's verification window: verify -> rollback if failed and
// undoable -> next ladder step or escalate with the full history.
//
// The engine owns no I/O: it talks through the ports in `EngineContext`; its timers and
// actions report back by number (Callbacks in engine/ports.hpp), so its state is plain data
// and it can be copied onto a copy of its ports (the copy constructor). It is
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
#include "engine/decision.hpp"
#include "engine/incident.hpp"
#include "engine/policy.hpp"
#include "engine/ports.hpp"
#include "engine/render.hpp"

namespace selfheal::engine {

class Engine {
 public:
  Engine(EngineContext ctx, PolicySet policies, ClassifierModel model);
  /// An engine in exactly `other`'s state (episodes, approvals, joined callers, flaps,
  /// actions in flight, pending timers, ids, mode, ...) on `ctx`, which must be a copy of
  /// other's ports as they are now: the same timers pending under the same TimerIds and
  /// tokens, the same actions running under the same request ids, the same stored state —
  /// addressed to the copy's callbacks() instead of other's. Policies and the classifier
  /// model are shared, not copied (immutable). Both engines then run on independently:
  ///   sim::World w2 = w;                      // the ports' copy (its own way)
  ///   Engine e2{e, w2.context()};             // w2's timers now call e2.callbacks()
  Engine(const Engine& other, EngineContext ctx);
  /// Cancels the timers it armed and tells the actuator to forget its pending results.
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
  /// false: the engine leaves out what only a reader of text needs. Audit records then carry
  /// kind, time, seq, target, incident, outcome, escalate and success only (no reason,
  /// guardrail, classification, policy, action, argv or detail); pages carry no summary and
  /// no history (the episode's history is not kept). What the engine decides and does is
  /// the same: the Decisions handle() returns, the actions, the pages (target, severity,
  /// channel, suggested action, approval, upstream, affected), the timers and the stored
  /// state. For a run that reads only outcomes, e.g. a counterfactual branch, where that
  /// text is most of a decision's cost. A copy of the engine keeps the setting. Default true.
  void set_audit_text(bool keep);

  /// What this engine hands its Scheduler and Actuator as `to` (Callbacks in
  /// engine/ports.hpp). A port copied for a copy of this engine re-addresses what it holds
  /// for this engine's callbacks() to the copy's.
  Callbacks& callbacks();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal::engine
