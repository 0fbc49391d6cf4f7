// The decision pipeline, in the order docs/pipeline.md gives, top to bottom in `decide`:
// resolved/duplicate -> flapping -> kill switch -> scope -> classify -> policy lookup -> dependency
// pre-check -> planned events -> confidence threshold -> cooldown -> max attempts ->
// recurrence -> global limits -> freeze -> mode -> execute. Each step either passes or ends the
// pass through `finish`.
//
// Port reads happen here and in verification.cpp only; engine/data_needs.cpp names each of
// them for callers that must fetch the answers first (live/prefetch).
#include <algorithm>
#include <cmath>

#include "core/duration.hpp"
#include "engine/defaults.hpp"
#include "engine/engine_impl.hpp"
#include "engine/time_text.hpp"

namespace selfheal::engine {

const ServiceSignals& Engine::Impl::signals(Run& r) {
  if (!r.signals) r.signals = ctx.telemetry.signals(r.inc.target, defaults::kClassificationWindow);
  return *r.signals;
}
const std::vector<DependencyHealth>& Engine::Impl::upstreams(Run& r) {
  if (!r.upstreams) r.upstreams = ctx.topology.upstreams(r.inc.target);
  return *r.upstreams;
}

// Renders `a` for this target; on failure the error text lands in `error`.
std::vector<std::string> Engine::Impl::render(Run& r, const ActionSpec& a, std::uint64_t nonce,
                                              std::string* error) {
  int current = 0;
  if (a.kind == ActionKind::kScale && a.factor && !a.replicas) {
    current = static_cast<int>(std::lround(signals(r).desired_replicas));
  }
  auto argv = render_action(r.inc.target, a, current, nonce);
  if (!argv) {
    if (error != nullptr) *error = argv.error().field + ": " + argv.error().message;
    return {};
  }
  return std::move(argv).value();
}

const ActionSpec* Engine::Impl::rung(const Policy& p, std::size_t step) const {
  if (p.actions.empty()) return nullptr;
  if (p.actions.size() == 1) return &p.actions.front();  // one action: repeat it
  return step < p.actions.size() ? &p.actions[step] : nullptr;
}

Decision Engine::Impl::decide(const Incident& inc, Pass pass, const PendingApproval* approved) {
  Run r{inc,
        pass,
        fingerprint_of(inc),
        {},
        nullptr,
        {},
        std::nullopt,
        std::nullopt,
        std::nullopt,
        approved,
        0.0,
        {},
        now(),
        {}};
  const ServiceRef& target = inc.target;

  // 1. resolved: never acts.
  if (inc.resolved) return on_resolved(r);
  r.st = ctx.state.load(target);

  // 2. duplicate delivery of an alert already being handled.
  if (pass == Pass::kDelivery) {
    if (auto why = duplicate_reason(r); !why.empty()) {
      return finish(r, Outcome::kDuplicate, "duplicate", why, false);
    }
  }
  // 2b. flapping: a re-fire inside the flap window continues the incident that resolved.
  if (pass == Pass::kDelivery) continue_flap(r);

  // 3. kill switch.
  if (set->settings.kill_switch || ctx.state.kill_switch()) {
    if (approved != nullptr) r.d.classification = approved->classification;
    return finish(r, Outcome::kKillSwitch, "kill-switch",
                  set->settings.kill_switch ? "kill switch engaged in the engine settings"
                                            : "kill switch engaged by an operator",
                  true);
  }

  // 4. scope (engine-wide).
  const auto& allowed = set->settings.allowed_namespaces;
  if (!allowed.empty() && !contains(allowed, target.ns)) {
    return finish(r, Outcome::kOutOfScope, "scope",
                  "namespace " + target.ns + " is not in the engine's allowed_namespaces", true);
  }

  // 5-6. classify, find the policy (and its own scope) and the rung to try.
  if (auto d = classify_and_find_policy(r)) return std::move(*d);
  const Policy& p = *r.policy;

  // 7-9. dependency pre-check, planned events, confidence threshold (an approved action
  // passed them when it was asked for).
  if (approved == nullptr) {
    if (auto d = precheck_events_confidence(r, p)) return std::move(*d);
  }

  // 10. cooldown (and never two actions at once on one target).
  if (auto d = cooldown(r, p)) return std::move(*d);

  // 11. max attempts / escalate-only / ladder exhausted.
  if (auto why = exhausted(r, p); !why.empty()) {
    if (!r.st.escalate_only) {
      r.st.escalate_only = true;
      ctx.state.save(target, r.st);
    }
    return finish(r, Outcome::kMaxAttemptsReached, "max-attempts", why, true, false, "critical");
  }

  // 12. recurrence: verified fixes of this incident type keep coming back.
  if (auto why = recurring(r, p); !why.empty()) {
    return finish(r, Outcome::kMaxAttemptsReached, "recurrence", why, true, true, "critical");
  }

  // 13. global limits.
  if (auto limited = global_limits(r); limited) return std::move(*limited);

  // 14-15. mode, then execute.
  return mode_and_execute(r, p);
}

std::optional<Decision> Engine::Impl::classify_and_find_policy(Run& r) {
  const Incident& inc = r.inc;
  const PendingApproval* approved = r.approved;
  // 5. classify.
  if (approved != nullptr) {
    r.d.classification = approved->classification;
  } else if (inc.classification) {
    r.d.classification.incident_type = inc.classification->incident_type;
    r.d.classification.confidence = inc.classification->confidence;
    r.d.classification.source = "external";
  } else {
    ClassifierInput in;
    in.signals = signals(r);
    in.upstreams = upstreams(r);
    in.planned_events = ctx.calendar.active(inc.target, r.t);
    r.d.classification = classify(*model, in);
    r.d.classification.source = "builtin";
  }
  r.confidence = approved != nullptr ? approved->confidence : r.d.classification.confidence;
  r.d.confidence = r.confidence;

  // 6. policy lookup (+ the policy's own scope).
  r.policy = approved != nullptr ? approved->policy : lookup(r.d.classification.incident_type);
  if (r.policy == nullptr) {
    std::string why = "no policy for incident type \"" + r.d.classification.incident_type + "\"";
    // Nothing will be done, but the page should still say where the trouble is: a
    // problem nobody wrote a runbook for, on a service whose upstream is failing, belongs
    // with the upstream's owner (the default pre-check bound decides "failing").
    if (const DependencyHealth* u =
            worst_upstream(r, DependencyPrecheck{}.max_upstream_error_rate)) {
      r.d.upstream = u->service;
      why += "; upstream " + u->service.key() + " is unhealthy (error rate " + fmt(u->error_rate) +
             (u->reason.empty() ? "" : ", " + u->reason) + ")";
    }
    return finish(r, Outcome::kNoPolicy, "policy", why, true);
  }
  const Policy& p = *r.policy;
  if (auto why = policy_scope(p, inc.target); !why.empty()) {
    return finish(r, Outcome::kOutOfScope, "scope", why, true);
  }
  if (approved != nullptr) {
    r.action = approved->action;
  } else if (const ActionSpec* a = rung(p, r.st.ladder_step)) {
    r.action = *a;
  }
  return std::nullopt;
}

std::optional<Decision> Engine::Impl::precheck_events_confidence(Run& r, const Policy& p) {
  // 7. dependency pre-check.
  if (p.dependency_precheck.enabled) {
    if (auto why = dependency_failure(r, p); !why.empty()) {
      return finish(r, Outcome::kDependencyFailure, "dependency-precheck", why, true);
    }
  }
  // A policy whose (first) action is `page` never automates anything.
  if (r.st.ladder_step == 0 && r.action && r.action->kind == ActionKind::kPage) {
    return finish(r, Outcome::kRecommend, "policy",
                  "the policy's action is page: no automated change for " + p.incident_type, true);
  }
  // 8. planned events.
  if (auto d = planned_events(r, p)) return d;
  // 9. confidence threshold.
  if (r.confidence < p.confidence_threshold) {
    return finish(r, Outcome::kLowConfidence, "confidence",
                  (r.event_note.empty() ? "" : r.event_note + "; ") + "confidence " +
                      fmt_compare(r.confidence, "< threshold", p.confidence_threshold),
                  true, true);
  }
  return std::nullopt;
}

// Lowers the confidence while a planned event is active; an action the policy wants
// approved during events waits for a person.
std::optional<Decision> Engine::Impl::planned_events(Run& r, const Policy& p) {
  auto events = ctx.calendar.active(r.inc.target, r.t);
  const auto& kinds = p.planned_events.kinds;
  std::erase_if(events, [&](const PlannedEvent& e) {
    return !kinds.empty() && !contains(kinds, e.kind) && !contains(kinds, "");
  });
  if (events.empty()) return std::nullopt;
  const double before = r.confidence;
  r.confidence = std::max(0.0, r.confidence - p.planned_events.confidence_penalty);
  r.d.confidence = r.confidence;
  std::string names;
  for (const auto& e : events)
    names += (names.empty() ? "" : ", ") + e.name + " (" + e.kind + ")";
  r.event_note = "planned event " + names + " active: confidence " + fmt(before) + " - " +
                 fmt(p.planned_events.confidence_penalty) + " = " + fmt(r.confidence);
  const auto& need = p.planned_events.approval_required_for;
  if (r.action && std::find(need.begin(), need.end(), r.action->kind) != need.end()) {
    const std::uint64_t id = ++next_approval_id;
    approvals[id] =
        PendingApproval{r.inc, r.fp, r.policy, r.d.classification, *r.action, r.confidence};
    return finish(r, Outcome::kApprovalRequired, "planned-events",
                  r.event_note + "; " + std::string(to_string(r.action->kind)) +
                      " needs a person's approval during the event (approval #" +
                      std::to_string(id) + ")",
                  true, true, "info", id);
  }
  return std::nullopt;
}

std::optional<Decision> Engine::Impl::cooldown(Run& r, const Policy& p) {
  const TimePoint t = r.t;
  const ServiceRef& target = r.inc.target;
  if (r.st.in_flight) {
    return finish(r, Outcome::kCooldownActive, "cooldown",
                  "action #" + std::to_string(r.st.in_flight->action_id) + " (" +
                      std::string(to_string(r.st.in_flight->action.kind)) +
                      ") is still in flight since " + format_time(r.st.in_flight->started_at),
                  false);
  }
  if (auto it = episodes.find(target); it != episodes.end() && it->second.undo_id != 0) {
    return finish(r, Outcome::kCooldownActive, "cooldown",
                  "the undo of the last action is still running", false);
  }
  if (r.st.last_action_at && t - *r.st.last_action_at < p.cooldown) {
    return finish(r, Outcome::kCooldownActive, "cooldown",
                  "last action at " + format_time(*r.st.last_action_at) + " (" +
                      core::format_duration(t - *r.st.last_action_at) + " ago) is within the " +
                      core::format_duration(p.cooldown) + " cooldown; next allowed at " +
                      format_time(*r.st.last_action_at + p.cooldown),
                  !owned_cooldown(target, *r.st.last_action_at));
  }
  return std::nullopt;
}

Decision Engine::Impl::mode_and_execute(Run& r, const Policy& p) {
  const ActionSpec action = *r.action;
  // 13b. engine freeze: only where an action would start (auto, or shadowed); a
  // recommendation is not automation and goes on as before.
  if (mode == Mode::kShadow || (mode == Mode::kAuto && p.auto_execute)) {
    if (auto why = frozen(r); !why.empty()) {
      const bool page = mode == Mode::kAuto;  // shadow mode never pages
      return finish(r, Outcome::kKillSwitch, "freeze", why, page, page);
    }
  }
  // 14. mode.
  if (mode == Mode::kShadow) {
    std::string err;
    r.d.action = action;
    r.d.argv = render(r, action, 0, &err);
    if (r.d.argv.empty()) {
      r.d.action.reset();
      return finish(r, Outcome::kOutOfScope, "render", "cannot render the action: " + err, true);
    }
    ctx.state.mark_seen(dedup_key(r.inc, r.fp, "shadow|"), r.t);
    return finish(r, Outcome::kShadow, "mode", "shadow mode: would have executed", false);
  }
  if (mode == Mode::kRecommend || !p.auto_execute) {
    return finish(r, Outcome::kRecommend, "mode",
                  mode == Mode::kRecommend ? "engine in recommend mode"
                                           : "policy " + p.incident_type +
                                                 " is recommend-only "
                                                 "(auto_execute: false)",
                  true, true);
  }
  // 15. execute.
  return execute(r, p, action);
}

}  // namespace selfheal::engine
