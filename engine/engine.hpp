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
#include "engine/decision.hpp"
#include "engine/incident.hpp"
#include "engine/policy.hpp"
#include "engine/ports.hpp"
#include "engine/render.hpp"

namespace selfheal::engine {

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

}  // namespace selfheal::engine
