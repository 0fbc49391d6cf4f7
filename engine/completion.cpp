// Verification as an operator does it, first half: before judging an action by its window,
// wait until it has taken effect — the rollout complete as `kubectl rollout status` defines
// it, the replicas of a scale available — bounded by the policy's completion_timeout. A
// rollout still in progress is not a failed fix: new pods are starting or warming up, and
// the signals over a window that straddles it judge the transition, not the result.
#include "core/duration.hpp"
#include "engine/checks.hpp"
#include "engine/data_needs.hpp"
#include "engine/defaults.hpp"
#include "engine/engine_impl.hpp"
#include "engine/time_text.hpp"

namespace selfheal::engine {

void Engine::Impl::await_completion(const ServiceRef& target, std::uint64_t id, bool polled) {
  auto& ep = episodes[target];
  ep.verify_timer = 0;
  TargetState st = ctx.state.load(target);
  if (!st.in_flight || st.in_flight->action_id != id) return;
  InFlightAction& fl = *st.in_flight;
  const Policy* p = lookup(fl.policy);
  std::string pending;
  if (rolls_out(fl.action.kind)) {
    const DeploymentStatus d = ctx.actuator.deployment(target);
    if (d.observed) pending = rollout_progress(d);
  }
  const Duration waited = now() - ep.done_at;
  if (pending.empty()) {
    const Duration window = verification_window(p);
    if (polled) {
      // The window starts now that the action has taken effect; say so once. Only after a
      // poll saw the rollout in progress: a live clock that moved between the result and
      // this first look is no rollout to report.
      fl.verify_at = now() + window;
      ctx.state.save(target, st);
      auto rec = record(AuditKind::kActionResult, target, fl.incident);
      rec.action = fl.action;
      rec.policy = fl.policy;
      rec.success = true;
      rec.reason = "action #" + std::to_string(id) + " took effect after " +
                   core::format_duration(waited) + " (rollout complete)";
      rec.detail = "verification at " + format_time(fl.verify_at);
      emit(std::move(rec));
    }
    ep.verify_timer = arm(window, {TimerKind::kVerify, target, id});
    return;
  }
  const Duration bound = completion_timeout(p);
  if (waited >= bound) {
    auto rec = record(AuditKind::kVerification, target, fl.incident);
    rec.policy = fl.policy;
    rec.action = fl.action;
    rec.success = false;
    rec.reason = "action did not complete within " + core::format_duration(bound);
    rec.detail = "FAIL: rollout: " + pending;
    emit(std::move(rec));
    fail(target, "action #" + std::to_string(id) + " did not complete within " +
                     core::format_duration(bound));
    return;
  }
  const Duration next = std::min(defaults::kCompletionPoll, bound - waited);
  ep.verify_timer = arm(next, {TimerKind::kCompletionPoll, target, id});
}

}  // namespace selfheal::engine
