// An action's life after the pipeline chose it: the in-flight record and the actuator call,
// its result (which arms verification) or its timeout, and the resolved alert that ends
// whatever was scheduled for it.
#include <algorithm>

#include "engine/checks.hpp"
#include "engine/defaults.hpp"
#include "engine/engine_impl.hpp"
#include "engine/time_text.hpp"

namespace selfheal::engine {

Decision Engine::Impl::execute(Run& r, const Policy& p, const ActionSpec& action) {
  const TimePoint t = now();
  const ServiceRef target = r.inc.target;
  const std::uint64_t id = next_action_id + 1;
  std::string err;
  auto argv = render(r, action, id, &err);
  if (argv.empty()) {
    r.d.suggested = action;
    return finish(r, Outcome::kOutOfScope, "render", "cannot render the action: " + err, true);
  }
  ++next_action_id;

  InFlightAction fl;
  fl.action_id = id;
  fl.incident = r.fp;
  fl.action = action;
  fl.started_at = t;
  fl.verify_at = t + p.verification_window;
  fl.policy = p.incident_type;
  if (r.inc.started_at != TimePoint{}) fl.firing = dedup_key(r.inc, r.fp);
  // The before-action state verification compares against: the same window it will read.
  // Saved with the in-flight record, so it outlives a restart.
  fl.before = ctx.telemetry.signals(target, p.verification_window);
  r.st.last_action_at = t;
  own_actions[target] = t;
  r.st.attempts += 1;
  r.st.in_flight = fl;
  ctx.state.save(target, r.st);  // duplicates are caught by the in-flight action itself
  if (set->settings.limits.max_actions_per_window > 0) {
    BreakerState b = ctx.state.load_breaker();
    std::erase_if(b.recent_actions,
                  [&](TimePoint a) { return a <= t - set->settings.limits.rate_window; });
    b.recent_actions.push_back(t);
    ctx.state.save_breaker(b);
  }
  track(target, id);

  auto& ep = episodes[target];
  ep.incident = r.inc;
  r.d.action = action;
  r.d.argv = argv;
  r.d.action_id = id;
  Decision d = finish(r, Outcome::kExecuted, "execute",
                      "every guardrail passed (attempt " + std::to_string(r.st.attempts) + " of " +
                          std::to_string(p.max_attempts) + ")",
                      false);

  ActionRequest req;
  req.id = id;
  req.target = target;
  req.action = action;
  req.argv = std::move(argv);
  // If the actuator never reports, the action counts as failed after its timeout.
  episodes[target].timeout_timer = arm(req.timeout, {TimerKind::kActionTimeout, target, id});
  start(req, {target, std::nullopt});
  return d;
}

void Engine::Impl::track(const ServiceRef& target, std::uint64_t id) {
  if (in_flight.emplace(target, id).second) ++in_flight_by_ns[target.ns];
}
void Engine::Impl::untrack(const ServiceRef& target) {
  if (in_flight.erase(target) != 0) {
    auto it = in_flight_by_ns.find(target.ns);
    if (it != in_flight_by_ns.end() && --it->second <= 0) in_flight_by_ns.erase(it);
  }
}

Decision Engine::Impl::on_resolved(Run& r) {
  const ServiceRef& target = r.inc.target;
  TargetState st = ctx.state.load(target);
  // A resolved alert ends the need for anything scheduled for it.
  if (auto it = episodes.find(target); it != episodes.end()) {
    auto& e = it->second;
    if (e.followup_timer != 0 && e.followup_fingerprint == r.fp) {
      disarm(e.followup_timer);
      e.followup_timer = 0;
      e.followup_fingerprint.clear();
    }
  }
  forget_joined(target, r.fp);  // a caller that joined an upstream's incident recovered
  for (auto it = approvals.begin(); it != approvals.end();) {
    if (it->second.fingerprint == r.fp && it->second.incident.target == target) {
      it = approvals.erase(it);
    } else {
      ++it;
    }
  }
  std::string reason = "alert resolved: no action";
  if (st.in_flight) {
    reason += "; action #" + std::to_string(st.in_flight->action_id) +
              " is still verified when its window ends";
  } else {
    std::string why;
    const auto s = ctx.telemetry.signals(target, defaults::kClassificationWindow);
    if (healthy(s, why)) {
      reason += remember_flap(target, r.fp, st);
      if (st.escalate_only || st.attempts != 0 || st.ladder_step != 0) {
        reason += "; signals healthy: attempts and escalate-only cleared";
        st.attempts = 0;
        st.ladder_step = 0;
        st.escalate_only = false;
        ctx.state.save(target, st);
      }
      auto d = finish(r, Outcome::kResolved, "resolved", reason, false);
      close_episode(target);
      return d;
    }
    reason += "; signals still unhealthy (" + why + "): target state kept";
  }
  return finish(r, Outcome::kResolved, "resolved", reason, false);
}

void Engine::Impl::on_timeout(const ServiceRef& target, std::uint64_t id) {
  auto& ep = episodes[target];
  ep.timeout_timer = 0;
  TargetState st = ctx.state.load(target);
  if (!st.in_flight || st.in_flight->action_id != id || st.in_flight->executed) return;
  auto rec = record(AuditKind::kActionResult, target, st.in_flight->incident);
  rec.action = st.in_flight->action;
  rec.success = false;
  rec.policy = st.in_flight->policy;
  rec.reason = "actuator did not report within the action timeout";
  emit(std::move(rec));
  fail(target, "action #" + std::to_string(id) + " timed out");
}

void Engine::Impl::action_done(const ServiceRef& target, std::uint64_t id, ActionResult res) {
  TargetState st = ctx.state.load(target);
  auto rec = record(AuditKind::kActionResult, target,
                    st.in_flight ? st.in_flight->incident : std::string{});
  rec.success = res.ok;
  rec.detail = res.message;
  if (!st.in_flight || st.in_flight->action_id != id) {
    rec.reason = "late result for action #" + std::to_string(id) + " ignored";
    emit(std::move(rec));
    return;
  }
  auto& ep = episodes[target];
  disarm(ep.timeout_timer);
  ep.timeout_timer = 0;
  auto& fl = *st.in_flight;
  rec.action = fl.action;
  rec.policy = fl.policy;
  rec.reason = res.ok ? "action #" + std::to_string(id) + " done"
                      : "action #" + std::to_string(id) + " failed";
  fl.undo = res.undo;
  if (!res.ok) {
    ctx.state.save(target, st);
    emit(std::move(rec));
    fail(target, "actuator reported failure: " + res.message);
    return;
  }
  const Policy* p = lookup(fl.policy);
  const Duration window = verification_window(p);
  fl.executed = true;
  fl.verify_at = now() + window;  // once it has taken effect (completion.cpp)
  rec.detail += (rec.detail.empty() ? "" : "; ") + std::string("verification at ") +
                format_time(fl.verify_at);
  ctx.state.save(target, st);
  emit(std::move(rec));
  ep.done_at = now();
  await_completion(target, id);
}

}  // namespace selfheal::engine
