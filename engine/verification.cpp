// After the verification window: the policy's checks decide whether the action fixed the
// service. A failure undoes the action when the policy says so and it can be undone, then
// tries the next rung of the ladder once the cooldown allows, or gives up with a page and
// leaves the target escalate-only.
#include <algorithm>

#include "engine/checks.hpp"
#include "engine/defaults.hpp"
#include "engine/engine_impl.hpp"

namespace selfheal::engine {

/// The policy's verification checks (the default checks without a policy or without
/// checks) on the target's signals over the policy's verification window.
Engine::Impl::Checked Engine::Impl::check_objective(const ServiceRef& target, const Policy* p,
                                                    const ServiceSignals* before,
                                                    bool operator_rules) {
  const Duration window = verification_window(p);
  const ServiceSignals s = ctx.telemetry.signals(target, window);
  const Judgement j{before, p != nullptr ? p->improvement_margin : defaults::kImprovementMargin,
                    operator_rules};
  std::vector<CheckResult> checks;
  if (p != nullptr && !p->verification.empty()) {
    for (const auto& c : p->verification)
      checks.push_back(run_check(c, s, ctx.telemetry, target, j));
    // None of the policy's checks could be measured: judge the service's objectives, as a
    // person would look at its SLO dashboard, rather than call the action failed for no data.
    if (operator_rules && std::all_of(checks.begin(), checks.end(), [](const CheckResult& c) {
          return c.status == CheckStatus::kSkip;
        })) {
      for (auto& c : objective_checks(s, j))
        checks.push_back(std::move(c));
    }
  } else {
    checks = default_checks(s, j);
  }
  Checked out;
  int passed = 0;
  for (const auto& c : checks) {
    const char* tag = c.status == CheckStatus::kPass   ? "pass"
                      : c.status == CheckStatus::kFail ? "FAIL"
                                                       : "skipped";
    out.detail += (out.detail.empty() ? "" : "; ") + std::string(tag) + ": " + c.text;
    passed += c.status == CheckStatus::kPass;
    out.failed += c.status == CheckStatus::kFail;
  }
  out.ok = out.failed == 0 && passed > 0;
  return out;
}

void Engine::Impl::verify(const ServiceRef& target, std::uint64_t id) {
  episodes[target].verify_timer = 0;
  TargetState st = ctx.state.load(target);
  if (!st.in_flight || st.in_flight->action_id != id) return;
  const InFlightAction fl = *st.in_flight;
  const Policy* p = lookup(fl.policy);
  const Checked c = check_objective(target, p, fl.before ? &*fl.before : nullptr, true);
  auto rec = record(AuditKind::kVerification, target, fl.incident);
  rec.policy = fl.policy;
  rec.action = fl.action;
  rec.success = c.ok;
  rec.detail = c.detail;
  rec.reason =
      c.ok ? "verified: service objective recovered after " + std::string(to_string(fl.action.kind))
      : c.failed == 0 ? "not verified: every check was skipped (no data)"
                      : "verification failed after " + std::string(to_string(fl.action.kind));
  // Flapping: a fix verified while the fault is merely off must not refill the budget of a
  // re-fire inside the flap window (flapping.cpp).
  if (c.ok) rec.reason += remember_flap(target, fl.incident, st);
  emit(std::move(rec));
  if (c.ok) {
    st.in_flight.reset();
    st.attempts = 0;
    st.ladder_step = 0;
    st.escalate_only = false;
    remember_verified(st, fl);
    if (!fl.firing.empty()) {  // only a firing with a startsAt can be told from the next
      st.recovered = RecoveredFiring{fl.firing, fl.policy, now() + defaults::kRecoveredHold};
    }
    ctx.state.save(target, st);
    untrack(target);
    close_episode(target);  // recovered: closes without paging
    return;
  }
  fail(target, "verification of action #" + std::to_string(id) + " failed");
}

// The action did not fix it: undo if the policy says so, then the next ladder step or
// escalate-only with a page.
void Engine::Impl::fail(const ServiceRef& target, const std::string& why) {
  TargetState st = ctx.state.load(target);
  if (!st.in_flight) return;
  const InFlightAction fl = *st.in_flight;
  st.in_flight.reset();
  const Policy* p = lookup(fl.policy);
  if (p != nullptr && p->actions.size() > 1) ++st.ladder_step;
  ctx.state.save(target, st);
  untrack(target);
  auto& ep = episodes[target];
  disarm(ep.verify_timer);
  disarm(ep.timeout_timer);
  ep.verify_timer = ep.timeout_timer = 0;

  if (p != nullptr && p->rollback_if_failed && fl.undo) {
    auto rec = record(AuditKind::kRollback, target, fl.incident);
    rec.policy = fl.policy;
    rec.action = fl.undo;
    const bool killed = set->settings.kill_switch || ctx.state.kill_switch();
    const std::uint64_t uid = next_action_id + 1;
    auto argv = render_action(target, *fl.undo, 0, uid);
    if (killed || !argv) {
      rec.success = false;
      rec.reason = killed ? "undo not run: kill switch engaged"
                          : "undo cannot be rendered: " + argv.error().message;
      if (argv) rec.argv = *argv;
      emit(std::move(rec));
      after_failure(target, fl, why + "; undo not run");
      return;
    }
    ++next_action_id;
    rec.argv = *argv;
    rec.reason = "undoing " + std::string(to_string(fl.action.kind)) + " (rollback_if_failed)";
    emit(std::move(rec));
    ep.undo_id = uid;
    ep.undo_fingerprint = fl.incident;
    ActionRequest req;
    req.id = uid;
    req.target = target;
    req.action = *fl.undo;
    req.argv = std::move(argv).value();
    start(req, {target, Undo{fl, why}});
    return;
  }
  after_failure(target, fl, why);
}

void Engine::Impl::undo_done(const ServiceRef& target, std::uint64_t uid, const InFlightAction& fl,
                             const std::string& why, const ActionResult& res) {
  auto& e = episodes[target];
  if (e.undo_id != uid) return;
  e.undo_id = 0;
  e.undo_fingerprint.clear();
  auto r = record(AuditKind::kRollback, target, fl.incident);
  r.policy = fl.policy;
  r.action = fl.undo;
  r.success = res.ok;
  r.detail = res.message;
  r.reason = res.ok ? "undo done" : "undo failed";
  emit(std::move(r));
  after_failure(target, fl, why + (res.ok ? "; undone" : "; undo failed"));
}

void Engine::Impl::after_failure(const ServiceRef& target, const InFlightAction& fl,
                                 const std::string& why) {
  TargetState st = ctx.state.load(target);
  const Policy* p = lookup(fl.policy);
  auto& ep = episodes[target];
  std::string stop;
  if (p == nullptr) {
    stop = "policy " + fl.policy + " is no longer loaded";
  } else if (st.attempts >= p->max_attempts) {
    stop = std::to_string(st.attempts) + " attempt(s) without a verified recovery (max " +
           std::to_string(p->max_attempts) + ")";
  } else if (const ActionSpec* next = rung(*p, st.ladder_step);
             next == nullptr || next->kind == ActionKind::kPage) {
    stop = "escalation ladder exhausted";
  } else if (!ep.incident) {
    stop.clear();  // resumed after a restart: the next delivery of the alert continues
    return;
  }
  if (!stop.empty()) {
    st.escalate_only = true;
    ctx.state.save(target, st);
    auto rec = record(AuditKind::kDecision, target, fl.incident);
    rec.policy = fl.policy;
    rec.outcome = Outcome::kMaxAttemptsReached;
    rec.guardrail = "max-attempts";
    rec.reason =
        why + "; " + stop + ": target is escalate-only until it recovers or a person resets it";
    rec.escalate = true;
    const std::string summary = rec.reason;
    // Correlation: while an upstream's incident is open, giving up on this caller joins it
    // (docs/pipeline.md#correlation); the caller is re-decided, and pages, once it closes.
    const std::optional<ServiceRef> root =
        ep.incident ? correlated_root(target, nullptr) : std::nullopt;
    if (root) {
      rec.escalate = false;
      rec.reason += "; joined the open incident of upstream " + root->key() +
                    ": no page of its own (the upstream's page lists it)";
    }
    emit(std::move(rec));
    if (root) {
      join(*ep.incident, fl.incident, *root, "max-attempts-reached", summary);
      return;
    }
    escalate(target, fl.incident, p, Outcome::kMaxAttemptsReached, "critical",
             "automation gave up on " + target.key() + ": " + summary, std::nullopt, {});
    return;
  }
  // Next step when the cooldown allows it (immediately if it already does).
  const TimePoint due = st.last_action_at ? *st.last_action_at + p->cooldown : now();
  const Duration wait = due > now() ? due - now() : Duration::zero();
  ep.followup_fingerprint = fl.incident;
  ep.followup_timer = arm(wait, {TimerKind::kFollowUp, target});
}

void Engine::Impl::follow_up(const ServiceRef& target) {
  auto it = episodes.find(target);
  if (it == episodes.end() || !it->second.incident) return;
  it->second.followup_timer = 0;
  it->second.followup_fingerprint.clear();
  const Incident inc = *it->second.incident;
  decide(inc, Pass::kFollowUp);
}

}  // namespace selfheal::engine
