// The decision pipeline. The order of the steps and the meaning of every outcome are in
// docs/pipeline.md; this file keeps to that order, top to bottom, in Impl::decide.
//
// State lives in two places on purpose:
//  - the StateStore holds what must survive a restart (cooldowns, attempts, ladder step,
//    escalate-only, in-flight actions, the breaker, the kill switch);
//  - Impl holds what only matters while the process lives (open pages per episode, the
//    episode's history for pages, pending approvals and follow-ups, timers). Losing it
//    on restart costs at worst one repeated page, never a repeated action.
#include "engine/engine.hpp"

#include "core/number_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <map>
#include <unordered_map>

#include "config/messages.hpp"
#include "core/duration.hpp"
#include "engine/audit_json.hpp"
#include "engine/memory_ports.hpp"

namespace selfheal::engine {
namespace {

using namespace std::chrono_literals;

/// Window the classifier and the dependency pre-check read signals over ("OOMKilled 3 times
/// in 10 minutes").
constexpr Duration kClassificationWindow = std::chrono::minutes{10};
/// At most this many audit records are kept per episode for pages (oldest dropped).
constexpr std::size_t kMaxHistory = 200;

std::string fmt(double v) {
  return core::format_fixed(v, 2);
}
std::string fmt3(double v) {
  return core::format_fixed(v, 3);
}

// "a < b" with enough digits that the two sides differ whenever the values do: two decimals
// as a rule, the shortest exact form when two decimals would print the same text twice.
std::string fmt_compare(double a, const char* op, double b) {
  if (fmt(a) != fmt(b) || a == b) return fmt(a) + " " + op + " " + fmt(b);
  return config::exact_number(a) + " " + op + " " + config::exact_number(b);
}

int severity_rank(const std::string& s) {
  if (s == "critical") return 3;
  if (s == "error") return 2;
  if (s == "warning") return 1;
  return 0;
}

std::string severity_for(Outcome o) {
  switch (o) {
    case Outcome::kMaxAttemptsReached:
      return "critical";
    case Outcome::kDependencyFailure:
    case Outcome::kRateLimited:
      return "error";
    case Outcome::kApprovalRequired:
      return "info";
    default:
      return "warning";
  }
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool is_missing(const ServiceSignals& s, SignalName n) {
  const auto name = to_string(n);
  for (const auto& m : s.missing) {
    if (m == name) return true;
  }
  return false;
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// ---- verification checks ---------------------------------------------------------------

enum class CheckStatus { kPass, kFail, kSkip };
struct CheckResult {
  CheckStatus status;
  std::string text;
};

CheckResult bound_check(const std::string& name, double value, std::optional<double> max,
                        std::optional<double> min) {
  bool ok = true;
  std::string text = name + " " + fmt3(value);
  if (max) {
    ok = ok && value <= *max;
    text += (value <= *max ? " <= " : " > ") + fmt3(*max);
  }
  if (min) {
    ok = ok && value >= *min;
    text += (value >= *min ? " >= " : " < ") + fmt3(*min);
  }
  return {ok ? CheckStatus::kPass : CheckStatus::kFail, text};
}

// The defaults when a policy lists no checks (docs/pipeline.md#verification).
std::vector<CheckResult> default_checks(const ServiceSignals& s) {
  std::vector<CheckResult> out;
  if (is_missing(s, SignalName::kErrorRate)) {
    out.push_back({CheckStatus::kSkip, "error_rate: no data"});
  } else {
    const double bound = std::max(2.0 * s.error_rate_baseline, 0.02);
    out.push_back(bound_check("error_rate", s.error_rate, bound, std::nullopt));
  }
  if (is_missing(s, SignalName::kRestarts) || is_missing(s, SignalName::kOomKills)) {
    out.push_back({CheckStatus::kSkip, "restarts/oom_kills: no data"});
  } else {
    const bool ok = s.restarts <= 0.0 && s.oom_kills <= 0.0;
    out.push_back({ok ? CheckStatus::kPass : CheckStatus::kFail,
                   "restarts " + fmt(s.restarts) + ", oom_kills " + fmt(s.oom_kills) +
                       (ok ? " (stopped)" : " (still happening)")});
  }
  if (is_missing(s, SignalName::kReadyRatio) || s.desired_replicas <= 0.0) {
    out.push_back({CheckStatus::kSkip, "ready == desired: no data"});
  } else {
    const bool ok = s.ready_replicas >= s.desired_replicas;
    out.push_back({ok ? CheckStatus::kPass : CheckStatus::kFail,
                   "ready " + fmt(s.ready_replicas) + (ok ? " == " : " < ") + "desired " +
                       fmt(s.desired_replicas)});
  }
  if (is_missing(s, SignalName::kLatencyP99) || s.latency_p99_baseline_ms <= 0.0) {
    out.push_back({CheckStatus::kSkip, "latency_p99_ms: no baseline"});
  } else {
    out.push_back(bound_check("latency_p99_ms", s.latency_p99_ms, 1.5 * s.latency_p99_baseline_ms,
                              std::nullopt));
  }
  if (!is_missing(s, SignalName::kQueueLag) && (s.queue_lag > 0.0 || s.queue_lag_trend != 0.0)) {
    const bool ok = s.queue_lag <= 0.0 || s.queue_lag_trend < 0.0;
    out.push_back({ok ? CheckStatus::kPass : CheckStatus::kFail,
                   "queue_lag " + fmt(s.queue_lag) + " trend " + fmt(s.queue_lag_trend) + "/min" +
                       (ok ? " (falling)" : " (not falling)")});
  }
  return out;
}

CheckResult run_check(const VerificationCheck& c, const ServiceSignals& s, Telemetry& telemetry,
                      const ServiceRef& target) {
  std::string name = c.description;
  if (!c.promql.empty()) {
    if (name.empty()) name = c.promql;
    auto v = telemetry.query(c.promql, target);
    if (!v) return {CheckStatus::kSkip, name + ": query returned no data"};
    return bound_check(name, *v, c.max, c.min);
  }
  if (!c.signal) return {CheckStatus::kSkip, name + ": no signal or query"};
  if (name.empty()) name = std::string(to_string(*c.signal));
  if (is_missing(s, *c.signal)) return {CheckStatus::kSkip, name + ": no data"};
  const double v = signal_value(s, *c.signal);
  if (c.back_to_baseline) {
    double baseline = -1.0;
    double floor = 0.0;
    if (*c.signal == SignalName::kErrorRate) {
      baseline = s.error_rate_baseline;
      floor = 0.001;  // a zero baseline must not demand exactly zero errors
    } else if (*c.signal == SignalName::kLatencyP99 && s.latency_p99_baseline_ms > 0.0) {
      baseline = s.latency_p99_baseline_ms;
    } else if (*c.signal == SignalName::kReadyRatio) {
      return bound_check(name + " (baseline 1)", v, std::nullopt, 1.0);
    }
    if (baseline < 0.0) return {CheckStatus::kSkip, name + ": no baseline"};
    auto r = bound_check(name + " (1.5x baseline)", v, std::max(1.5 * baseline, floor), c.min);
    if (c.max && v > *c.max) r.status = CheckStatus::kFail;
    return r;
  }
  return bound_check(name, v, c.max, c.min);
}

// "Healthy" for a resolved alert: the default checks, none failing.
bool healthy(const ServiceSignals& s, std::string& why) {
  for (const auto& c : default_checks(s)) {
    if (c.status == CheckStatus::kFail) {
      why = c.text;
      return false;
    }
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------

struct Engine::Impl {
  enum class Pass { kDelivery, kFollowUp, kApproved };

  struct Episode {
    std::string page_severity;  ///< severity of the open page; empty = none open
    std::deque<AuditRecord> history;
    std::optional<Incident> incident;  ///< what follow-ups re-decide
    TimerId verify_timer = 0;
    TimerId timeout_timer = 0;
    TimerId followup_timer = 0;
    std::string followup_fingerprint;
    std::uint64_t undo_id = 0;  ///< non-zero while an undo runs
    std::string undo_fingerprint;
  };

  struct PendingApproval {
    Incident incident;
    std::string fingerprint;
    const Policy* policy = nullptr;
    Classification classification;
    ActionSpec action;
    double confidence = 0.0;
  };

  // Everything one pass through the pipeline knows; telemetry is fetched lazily so an
  // external classification with no pre-check never touches Telemetry.
  struct Run {
    const Incident& inc;
    Pass pass;
    std::string fp;
    Decision d;
    const Policy* policy = nullptr;
    TargetState st;
    std::optional<ActionSpec> action;
    std::optional<ServiceSignals> signals;
    std::optional<std::vector<DependencyHealth>> upstreams;
  };

  EngineContext ctx;
  PolicySet set;
  ClassifierModel model;
  Mode mode;
  std::unordered_map<std::string, const Policy*, StringHash, std::equal_to<>> by_type;
  std::uint64_t seq = 0;
  std::uint64_t next_action_id = 0;
  std::uint64_t next_approval_id = 0;
  std::unordered_map<ServiceRef, Episode, ServiceRefHash> episodes;
  /// Targets this engine instance acted on: their cooldowns are owned by our own
  /// verification and follow-ups. A cooldown we inherited (a state file, a restart) is not,
  /// so refusing inside it escalates, as the seed's cooldown exercise expects.
  std::unordered_map<ServiceRef, TimePoint, ServiceRefHash> own_actions;
  std::unordered_map<ServiceRef, std::uint64_t, ServiceRefHash> in_flight;  // target -> action
  std::unordered_map<std::string, int> in_flight_by_ns;
  std::map<std::uint64_t, PendingApproval> approvals;
  std::shared_ptr<int> alive = std::make_shared<int>(0);

  Impl(EngineContext c, PolicySet p, ClassifierModel m)
      : ctx(c), set(std::move(p)), model(std::move(m)), mode(set.settings.mode) {
    for (const auto& pol : set.policies) {
      by_type.emplace(std::string(canonical_incident_type(pol.incident_type)), &pol);
    }
  }

  ~Impl() {
    for (auto& [ref, e] : episodes) {
      for (TimerId t : {e.verify_timer, e.timeout_timer, e.followup_timer}) {
        if (t != 0) ctx.scheduler.cancel(t);
      }
    }
  }

  TimePoint now() const { return ctx.clock.now(); }

  const Policy* lookup(std::string_view type) const {
    auto it = by_type.find(canonical_incident_type(type));
    return it == by_type.end() ? nullptr : it->second;
  }

  // A weak guard for callbacks that may outlive the engine.
  template <typename F>
  auto guarded(F f) {
    return [w = std::weak_ptr<int>(alive), f = std::move(f)](auto&&... args) mutable {
      if (w.expired()) return;
      f(std::forward<decltype(args)>(args)...);
    };
  }

  static std::string fingerprint_of(const Incident& inc) {
    if (!inc.fingerprint.empty()) return inc.fingerprint;
    return inc.target.key() + "|" + (inc.alertname.empty() ? "alert" : inc.alertname);
  }
  static std::string dedup_key(const Incident& inc, const std::string& fp) {
    if (inc.started_at == TimePoint{}) return fp;
    return fp + "@" + std::to_string(core::to_unix_ms(inc.started_at));
  }

  // ---- audit and escalation ------------------------------------------------------------

  AuditRecord record(AuditKind kind, const ServiceRef& target, const std::string& fp) {
    AuditRecord r;
    r.kind = kind;
    r.target = target;
    r.incident = fp;
    return r;
  }

  void emit(AuditRecord r, bool keep_in_history = true) {
    r.seq = ++seq;
    r.time = now();
    ctx.audit.record(r);
    if (keep_in_history) {
      auto& h = episodes[r.target].history;
      h.push_back(std::move(r));
      if (h.size() > kMaxHistory) h.pop_front();
    }
  }

  // Sends an escalation unless a page of the same or higher severity is already open for
  // this target's episode. Approval requests always go out (they need an answer).
  bool escalate(const ServiceRef& target, const std::string& fp, const Policy* policy, Outcome why,
                const std::string& severity, const std::string& summary,
                const std::optional<ActionSpec>& suggested, const std::vector<std::string>& argv,
                std::uint64_t approval_id = 0, std::optional<ServiceRef> upstream = std::nullopt,
                bool force = false) {
    auto& ep = episodes[target];
    if (approval_id == 0 && !force && !ep.page_severity.empty() &&
        severity_rank(severity) <= severity_rank(ep.page_severity)) {
      return false;
    }
    Escalation e;
    e.incident = fp;
    e.target = target;
    e.channel = policy != nullptr ? policy->escalation_channel : "default";
    e.severity = severity;
    e.summary = summary;
    e.reason = why;
    e.suggested_action = suggested;
    e.suggested_argv = argv;
    e.approval_id = approval_id;
    e.upstream = std::move(upstream);
    e.history.assign(ep.history.begin(), ep.history.end());
    if (approval_id == 0 && severity_rank(severity) >= severity_rank(ep.page_severity)) {
      ep.page_severity = severity;
    }
    auto r = record(AuditKind::kEscalation, target, fp);
    r.policy = policy != nullptr ? policy->incident_type : "";
    r.outcome = why;
    r.escalate = true;
    r.reason = summary;
    r.detail = "channel " + e.channel + ", severity " + severity +
               (approval_id != 0 ? ", approval #" + std::to_string(approval_id) : "");
    r.action = suggested;
    r.argv = argv;
    ctx.notifier.escalate(e);
    emit(std::move(r));
    return true;
  }

  // True when the last action on `target` was ours, so our own verification / follow-up
  // already watches it and a refusal inside its cooldown stays quiet.
  bool owned_cooldown(const ServiceRef& target, TimePoint last_action_at) const {
    auto it = own_actions.find(target);
    return it != own_actions.end() && it->second == last_action_at;
  }

  void close_episode(const ServiceRef& target) {
    auto it = episodes.find(target);
    if (it == episodes.end()) return;
    auto& e = it->second;
    if (e.followup_timer != 0) ctx.scheduler.cancel(e.followup_timer);
    // Timers of a running action stay armed; only the page and history reset.
    if (e.verify_timer == 0 && e.timeout_timer == 0 && e.undo_id == 0) {
      episodes.erase(it);
      return;
    }
    e.page_severity.clear();
    e.history.clear();
    e.followup_timer = 0;
    e.followup_fingerprint.clear();
  }

  // ---- the pipeline --------------------------------------------------------------------

  const ServiceSignals& signals(Run& r) {
    if (!r.signals) r.signals = ctx.telemetry.signals(r.inc.target, kClassificationWindow);
    return *r.signals;
  }
  const std::vector<DependencyHealth>& upstreams(Run& r) {
    if (!r.upstreams) r.upstreams = ctx.topology.upstreams(r.inc.target);
    return *r.upstreams;
  }

  // Renders `a` for this target; on failure the error text lands in `error`.
  std::vector<std::string> render(Run& r, const ActionSpec& a, std::uint64_t nonce,
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

  enum class Notify {
    kDeduped,  ///< page unless one of the same or higher severity is open for the episode
    kSilent,   ///< escalate is set, but an earlier page already covers it (tripped breaker)
    kForced,   ///< page regardless of open pages (the breaker trip: once per trip)
  };

  // Ends a pass with `o`; writes the decision record and escalates when `escalate_`.
  Decision finish(Run& r, Outcome o, std::string guardrail, std::string reason, bool escalate_,
                  bool suggest = false, const std::string& severity = {},
                  std::uint64_t approval_id = 0, Notify notify = Notify::kDeduped) {
    r.d.outcome = o;
    r.d.guardrail = std::move(guardrail);
    r.d.reason = std::move(reason);
    r.d.escalate = escalate_;
    r.d.policy = r.policy != nullptr ? r.policy->incident_type : "";
    if (suggest && r.action && r.action->kind != ActionKind::kPage) {
      r.d.suggested = r.action;
      std::string err;
      r.d.argv = render(r, *r.action, 0, &err);
      if (r.d.argv.empty()) r.d.reason += " (suggested action cannot be rendered: " + err + ")";
    }
    r.d.approval_id = approval_id;
    auto rec = record(AuditKind::kDecision, r.inc.target, r.fp);
    rec.classification = r.d.classification;
    rec.policy = r.d.policy;
    rec.outcome = o;
    rec.guardrail = r.d.guardrail;
    rec.reason = r.d.reason;
    rec.action = r.d.action ? r.d.action : r.d.suggested;
    rec.argv = r.d.argv;
    rec.escalate = escalate_;
    if (r.pass == Pass::kFollowUp) rec.detail = "follow-up after a failed verification";
    if (r.pass == Pass::kApproved) rec.detail = "approved by a person";
    const bool quiet_record = o == Outcome::kDuplicate;
    emit(std::move(rec), !quiet_record);
    if (escalate_ && notify != Notify::kSilent) {
      const std::string sev = severity.empty() ? severity_for(o) : severity;
      escalate(r.inc.target, r.fp, r.policy, o, sev,
               std::string(to_string(o)) + ": " + r.inc.target.key() + ": " + r.d.reason,
               r.d.suggested, r.d.argv, approval_id, r.d.upstream, notify == Notify::kForced);
    }
    return r.d;
  }

  const ActionSpec* rung(const Policy& p, std::size_t step) const {
    if (p.actions.empty()) return nullptr;
    if (p.actions.size() == 1) return &p.actions.front();  // one action: repeat it
    return step < p.actions.size() ? &p.actions[step] : nullptr;
  }

  Decision decide(const Incident& inc, Pass pass, const PendingApproval* approved = nullptr) {
    Run r{inc, pass,         fingerprint_of(inc), {},          nullptr,
          {},  std::nullopt, std::nullopt,        std::nullopt};
    const TimePoint t = now();
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

    // 3. kill switch.
    if (set.settings.kill_switch || ctx.state.kill_switch()) {
      if (approved != nullptr) r.d.classification = approved->classification;
      return finish(r, Outcome::kKillSwitch, "kill-switch",
                    set.settings.kill_switch ? "kill switch engaged in the engine settings"
                                             : "kill switch engaged by an operator",
                    true);
    }

    // 4. scope (engine-wide).
    const auto& allowed = set.settings.allowed_namespaces;
    if (!allowed.empty() && !contains(allowed, target.ns)) {
      return finish(r, Outcome::kOutOfScope, "scope",
                    "namespace " + target.ns + " is not in the engine's allowed_namespaces", true);
    }

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
      in.planned_events = ctx.calendar.active(target, t);
      r.d.classification = classify(model, in);
      r.d.classification.source = "builtin";
    }
    double confidence = approved != nullptr ? approved->confidence : r.d.classification.confidence;
    r.d.confidence = confidence;

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
        why += "; upstream " + u->service.key() + " is unhealthy (error rate " +
               fmt(u->error_rate) + (u->reason.empty() ? "" : ", " + u->reason) + ")";
      }
      return finish(r, Outcome::kNoPolicy, "policy", why, true);
    }
    const Policy& p = *r.policy;
    if (auto why = policy_scope(p, target); !why.empty()) {
      return finish(r, Outcome::kOutOfScope, "scope", why, true);
    }
    if (approved != nullptr) {
      r.action = approved->action;
    } else if (const ActionSpec* a = rung(p, r.st.ladder_step)) {
      r.action = *a;
    }

    if (approved == nullptr) {
      // 7. dependency pre-check.
      if (p.dependency_precheck.enabled) {
        if (auto why = dependency_failure(r, p); !why.empty()) {
          return finish(r, Outcome::kDependencyFailure, "dependency-precheck", why, true);
        }
      }
      // A policy whose (first) action is `page` never automates anything.
      if (r.st.ladder_step == 0 && r.action && r.action->kind == ActionKind::kPage) {
        return finish(r, Outcome::kRecommend, "policy",
                      "the policy's action is page: no automated change for " + p.incident_type,
                      true);
      }
      // 8. planned events.
      auto events = ctx.calendar.active(target, t);
      const auto& kinds = p.planned_events.kinds;
      std::erase_if(events, [&](const PlannedEvent& e) {
        return !kinds.empty() && !contains(kinds, e.kind) && !contains(kinds, "");
      });
      std::string event_note;
      if (!events.empty()) {
        const double before = confidence;
        confidence = std::max(0.0, confidence - p.planned_events.confidence_penalty);
        r.d.confidence = confidence;
        std::string names;
        for (const auto& e : events)
          names += (names.empty() ? "" : ", ") + e.name + " (" + e.kind + ")";
        event_note = "planned event " + names + " active: confidence " + fmt(before) + " - " +
                     fmt(p.planned_events.confidence_penalty) + " = " + fmt(confidence);
        const auto& need = p.planned_events.approval_required_for;
        if (r.action && std::find(need.begin(), need.end(), r.action->kind) != need.end()) {
          const std::uint64_t id = ++next_approval_id;
          approvals[id] =
              PendingApproval{inc, r.fp, r.policy, r.d.classification, *r.action, confidence};
          return finish(r, Outcome::kApprovalRequired, "planned-events",
                        event_note + "; " + std::string(to_string(r.action->kind)) +
                            " needs a person's approval during the event (approval #" +
                            std::to_string(id) + ")",
                        true, true, "info", id);
        }
      }
      // 9. confidence threshold.
      if (confidence < p.confidence_threshold) {
        return finish(r, Outcome::kLowConfidence, "confidence",
                      (event_note.empty() ? "" : event_note + "; ") + "confidence " +
                          fmt_compare(confidence, "< threshold", p.confidence_threshold),
                      true, true);
      }
    }

    // 10. cooldown (and never two actions at once on one target).
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

    // 11. max attempts / escalate-only / ladder exhausted.
    if (auto why = exhausted(r, p); !why.empty()) {
      if (!r.st.escalate_only) {
        r.st.escalate_only = true;
        ctx.state.save(target, r.st);
      }
      return finish(r, Outcome::kMaxAttemptsReached, "max-attempts", why, true, false, "critical");
    }

    // 12. global limits.
    if (auto limited = global_limits(r); limited) return *limited;

    // 13. mode.
    const ActionSpec action = *r.action;
    if (mode == Mode::kShadow) {
      std::string err;
      r.d.action = action;
      r.d.argv = render(r, action, 0, &err);
      if (r.d.argv.empty()) {
        r.d.action.reset();
        return finish(r, Outcome::kOutOfScope, "render", "cannot render the action: " + err, true);
      }
      ctx.state.mark_seen("shadow|" + dedup_key(inc, r.fp), t);
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

    // 14. execute.
    return execute(r, p, action);
  }

  std::string duplicate_reason(Run& r) {
    const auto& target = r.inc.target;
    if (r.st.in_flight && r.st.in_flight->incident == r.fp) {
      return "action #" + std::to_string(r.st.in_flight->action_id) +
             " for this alert is in flight";
    }
    if (auto it = episodes.find(target); it != episodes.end()) {
      const auto& e = it->second;
      if (e.followup_timer != 0 && e.followup_fingerprint == r.fp) {
        return "the next step for this alert is already scheduled";
      }
      if (e.undo_id != 0 && e.undo_fingerprint == r.fp) {
        return "the undo of the failed action for this alert is running";
      }
    }
    for (const auto& [id, a] : approvals) {
      if (a.fingerprint == r.fp && a.incident.target == target) {
        return "approval #" + std::to_string(id) + " for this alert is pending";
      }
    }
    if (mode == Mode::kShadow && ctx.state.seen("shadow|" + dedup_key(r.inc, r.fp))) {
      return "already shadowed for this firing of the alert";
    }
    // The firing an action fixed is re-sent until its rule resolves; while the objective
    // still holds that is lag, not a new problem (a relapse fails the checks and goes on).
    if (const auto& rec = r.st.recovered;
        rec && now() < rec->until && rec->firing == dedup_key(r.inc, r.fp)) {
      if (const Checked c = check_objective(target, lookup(rec->policy)); c.ok) {
        return "this firing's action was verified and the objective still holds (" + c.detail +
               "); the alert has not resolved yet: re-deliveries are held until " +
               format_time(rec->until);
      }
    }
    // Alertmanager re-sends a firing alert every group/repeat interval: a person who said no
    // is not asked again about the same firing (a new firing, with a new startsAt, asks).
    if (r.inc.started_at != TimePoint{} && ctx.state.seen("declined|" + dedup_key(r.inc, r.fp))) {
      return "a person declined the approval for this firing of the alert";
    }
    return {};
  }

  static std::string policy_scope(const Policy& p, const ServiceRef& target) {
    const auto& s = p.scope;
    if (!s.namespaces.empty() && !contains(s.namespaces, target.ns)) {
      return "namespace " + target.ns + " is outside policy " + p.incident_type + "'s scope";
    }
    if (!s.services.empty() && !contains(s.services, target.name)) {
      return "service " + target.name + " is outside policy " + p.incident_type + "'s scope";
    }
    if (contains(s.exclude_services, target.name)) {
      return "service " + target.name + " is excluded by policy " + p.incident_type;
    }
    return {};
  }

  /// The direct upstream reported unhealthy or above `bound` with the highest error rate.
  const DependencyHealth* worst_upstream(Run& r, double bound) {
    const DependencyHealth* worst = nullptr;
    for (const auto& u : upstreams(r)) {
      if (!u.healthy || u.error_rate > bound) {
        if (worst == nullptr || u.error_rate > worst->error_rate) worst = &u;
      }
    }
    return worst;
  }

  std::string dependency_failure(Run& r, const Policy& p) {
    const double bound = p.dependency_precheck.max_upstream_error_rate;
    if (const DependencyHealth* worst = worst_upstream(r, bound)) {
      r.d.upstream = worst->service;
      std::string why = "upstream " + worst->service.key() + " is unhealthy (error rate " +
                        fmt(worst->error_rate) + (worst->error_rate > bound ? " > " : " <= ") +
                        fmt(bound) + (worst->reason.empty() ? "" : ", " + worst->reason) + ")";
      return why + "; acting on " + r.inc.target.name + " would not help: escalating to " +
             worst->service.name + "'s owner";
    }
    const auto& s = signals(r);
    if (!is_missing(s, SignalName::kDependencyErrors) && s.dependency_errors > bound) {
      return "dependency_errors " + fmt(s.dependency_errors) + " > " + fmt(bound) +
             ": calls to upstreams are failing (upstream not identified); acting on " +
             r.inc.target.name + " would not help";
    }
    return {};
  }

  std::string exhausted(const Run& r, const Policy& p) const {
    if (r.st.escalate_only) {
      return "target is escalate-only after " + std::to_string(r.st.attempts) +
             " unverified attempt(s) until it recovers or a person resets it";
    }
    if (r.st.attempts >= p.max_attempts) {
      return std::to_string(r.st.attempts) + " attempt(s) without a verified recovery (max " +
             std::to_string(p.max_attempts) + "): escalate-only until recovery or reset";
    }
    if (!r.action || (r.st.ladder_step > 0 && r.action->kind == ActionKind::kPage)) {
      return "escalation ladder exhausted after " + std::to_string(r.st.ladder_step) +
             " step(s): escalate-only until recovery or reset";
    }
    return {};
  }

  std::optional<Decision> global_limits(Run& r) {
    const auto& lim = set.settings.limits;
    const TimePoint t = now();
    BreakerState b = ctx.state.load_breaker();
    if (b.tripped) {
      // The trip paged once; further refusals are recorded, not paged again.
      return finish(r, Outcome::kRateLimited, "circuit-breaker",
                    "circuit breaker tripped at " +
                        (b.tripped_at ? format_time(*b.tripped_at) : std::string("?")) +
                        "; automation paused until a person resets it",
                    true, true, {}, 0, Notify::kSilent);
    }
    if (lim.max_concurrent_actions > 0 &&
        in_flight.size() >= static_cast<std::size_t>(lim.max_concurrent_actions)) {
      return finish(r, Outcome::kRateLimited, "concurrency",
                    std::to_string(in_flight.size()) + " actions in flight (max " +
                        std::to_string(lim.max_concurrent_actions) + ")",
                    true, true);
    }
    if (lim.blast_radius < 1.0) {
      const std::size_t n =
          std::max<std::size_t>(1, ctx.topology.services_in_namespace(r.inc.target.ns));
      auto it = in_flight_by_ns.find(r.inc.target.ns);
      const int busy = it == in_flight_by_ns.end() ? 0 : it->second;
      const double share = static_cast<double>(busy + 1) / static_cast<double>(n);
      if (share > lim.blast_radius + 1e-9) {
        return finish(r, Outcome::kRateLimited, "blast-radius",
                      std::to_string(busy + 1) + " of " + std::to_string(n) + " services in " +
                          r.inc.target.ns + " would be under remediation (" + fmt(share) +
                          " > blast radius " + fmt(lim.blast_radius) + ")",
                      true, true);
      }
    }
    if (lim.max_actions_per_window > 0) {
      std::erase_if(b.recent_actions, [&](TimePoint a) { return a <= t - lim.rate_window; });
      if (b.recent_actions.size() >= static_cast<std::size_t>(lim.max_actions_per_window)) {
        b.tripped = true;
        b.tripped_at = t;
        ctx.state.save_breaker(b);
        const std::string why = std::to_string(b.recent_actions.size()) + " actions in the last " +
                                core::format_duration(lim.rate_window) + " (max " +
                                std::to_string(lim.max_actions_per_window) +
                                "): circuit breaker tripped; automation paused until reset";
        // One page for the trip, whatever episode pages are open.
        return finish(r, Outcome::kRateLimited, "circuit-breaker", why, true, true, "critical", 0,
                      Notify::kForced);
      }
    }
    return std::nullopt;
  }

  Decision execute(Run& r, const Policy& p, const ActionSpec& action) {
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
    r.st.last_action_at = t;
    own_actions[target] = t;
    r.st.attempts += 1;
    r.st.in_flight = fl;
    ctx.state.save(target, r.st);  // duplicates are caught by the in-flight action itself
    if (set.settings.limits.max_actions_per_window > 0) {
      BreakerState b = ctx.state.load_breaker();
      std::erase_if(b.recent_actions,
                    [&](TimePoint a) { return a <= t - set.settings.limits.rate_window; });
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
                        "every guardrail passed (attempt " + std::to_string(r.st.attempts) +
                            " of " + std::to_string(p.max_attempts) + ")",
                        false);

    ActionRequest req;
    req.id = id;
    req.target = target;
    req.action = action;
    req.argv = std::move(argv);
    // If the actuator never reports, the action counts as failed after its timeout.
    episodes[target].timeout_timer =
        ctx.scheduler.after(req.timeout, guarded([this, target, id] { on_timeout(target, id); }));
    ctx.actuator.execute(req, guarded([this, target, id](ActionResult res) {
                           on_action_done(target, id, std::move(res));
                         }));
    return d;
  }

  void track(const ServiceRef& target, std::uint64_t id) {
    if (in_flight.emplace(target, id).second) ++in_flight_by_ns[target.ns];
  }
  void untrack(const ServiceRef& target) {
    if (in_flight.erase(target) != 0) {
      auto it = in_flight_by_ns.find(target.ns);
      if (it != in_flight_by_ns.end() && --it->second <= 0) in_flight_by_ns.erase(it);
    }
  }

  Decision on_resolved(Run& r) {
    const ServiceRef& target = r.inc.target;
    TargetState st = ctx.state.load(target);
    // A resolved alert ends the need for anything scheduled for it.
    if (auto it = episodes.find(target); it != episodes.end()) {
      auto& e = it->second;
      if (e.followup_timer != 0 && e.followup_fingerprint == r.fp) {
        ctx.scheduler.cancel(e.followup_timer);
        e.followup_timer = 0;
        e.followup_fingerprint.clear();
      }
    }
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
      const auto s = ctx.telemetry.signals(target, kClassificationWindow);
      if (healthy(s, why)) {
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

  // ---- after execution -----------------------------------------------------------------

  void on_timeout(const ServiceRef& target, std::uint64_t id) {
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

  void on_action_done(const ServiceRef& target, std::uint64_t id, ActionResult res) {
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
    if (ep.timeout_timer != 0) ctx.scheduler.cancel(ep.timeout_timer);
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
    const Duration window =
        p != nullptr ? p->verification_window : Duration{std::chrono::minutes{5}};
    fl.executed = true;
    fl.verify_at = now() + window;
    rec.detail += (rec.detail.empty() ? "" : "; ") + std::string("verification at ") +
                  format_time(fl.verify_at);
    ctx.state.save(target, st);
    emit(std::move(rec));
    ep.verify_timer =
        ctx.scheduler.after(window, guarded([this, target, id] { verify(target, id); }));
  }

  /// How long the re-deliveries of a verified firing can be held (while the checks pass).
  static constexpr Duration kRecoveredHold = std::chrono::hours{24};

  struct Checked {
    bool ok = false;  ///< no check failed and at least one passed
    int failed = 0;
    std::string detail;  ///< "pass: ...; FAIL: ...; skipped: ..."
  };
  /// The policy's verification checks (the default checks without a policy or without
  /// checks) on the target's signals over the policy's verification window.
  Checked check_objective(const ServiceRef& target, const Policy* p) {
    const Duration window =
        p != nullptr ? p->verification_window : Duration{std::chrono::minutes{5}};
    const ServiceSignals s = ctx.telemetry.signals(target, window);
    std::vector<CheckResult> checks;
    if (p != nullptr && !p->verification.empty()) {
      for (const auto& c : p->verification)
        checks.push_back(run_check(c, s, ctx.telemetry, target));
    } else {
      checks = default_checks(s);
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

  void verify(const ServiceRef& target, std::uint64_t id) {
    episodes[target].verify_timer = 0;
    TargetState st = ctx.state.load(target);
    if (!st.in_flight || st.in_flight->action_id != id) return;
    const InFlightAction fl = *st.in_flight;
    const Policy* p = lookup(fl.policy);
    const Checked c = check_objective(target, p);
    auto rec = record(AuditKind::kVerification, target, fl.incident);
    rec.policy = fl.policy;
    rec.action = fl.action;
    rec.success = c.ok;
    rec.detail = c.detail;
    rec.reason = c.ok ? "verified: service objective recovered after " +
                            std::string(to_string(fl.action.kind))
                 : c.failed == 0
                     ? "not verified: every check was skipped (no data)"
                     : "verification failed after " + std::string(to_string(fl.action.kind));
    emit(std::move(rec));
    if (c.ok) {
      st.in_flight.reset();
      st.attempts = 0;
      st.ladder_step = 0;
      st.escalate_only = false;
      if (!fl.firing.empty()) {  // only a firing with a startsAt can be told from the next
        st.recovered = RecoveredFiring{fl.firing, fl.policy, now() + kRecoveredHold};
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
  void fail(const ServiceRef& target, const std::string& why) {
    TargetState st = ctx.state.load(target);
    if (!st.in_flight) return;
    const InFlightAction fl = *st.in_flight;
    st.in_flight.reset();
    const Policy* p = lookup(fl.policy);
    if (p != nullptr && p->actions.size() > 1) ++st.ladder_step;
    ctx.state.save(target, st);
    untrack(target);
    auto& ep = episodes[target];
    if (ep.verify_timer != 0) ctx.scheduler.cancel(ep.verify_timer);
    if (ep.timeout_timer != 0) ctx.scheduler.cancel(ep.timeout_timer);
    ep.verify_timer = ep.timeout_timer = 0;

    if (p != nullptr && p->rollback_if_failed && fl.undo) {
      auto rec = record(AuditKind::kRollback, target, fl.incident);
      rec.policy = fl.policy;
      rec.action = fl.undo;
      const bool killed = set.settings.kill_switch || ctx.state.kill_switch();
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
      ctx.actuator.execute(req, guarded([this, target, uid, fl, why](ActionResult res) {
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
                             after_failure(target, fl,
                                           why + (res.ok ? "; undone" : "; undo failed"));
                           }));
      return;
    }
    after_failure(target, fl, why);
  }

  void after_failure(const ServiceRef& target, const InFlightAction& fl, const std::string& why) {
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
      emit(std::move(rec));
      escalate(target, fl.incident, p, Outcome::kMaxAttemptsReached, "critical",
               "automation gave up on " + target.key() + ": " + summary, std::nullopt, {});
      return;
    }
    // Next step when the cooldown allows it (immediately if it already does).
    const TimePoint due = st.last_action_at ? *st.last_action_at + p->cooldown : now();
    const Duration wait = due > now() ? due - now() : Duration::zero();
    ep.followup_fingerprint = fl.incident;
    ep.followup_timer = ctx.scheduler.after(wait, guarded([this, target] {
                                              auto it = episodes.find(target);
                                              if (it == episodes.end() || !it->second.incident)
                                                return;
                                              it->second.followup_timer = 0;
                                              it->second.followup_fingerprint.clear();
                                              const Incident inc = *it->second.incident;
                                              decide(inc, Pass::kFollowUp);
                                            }));
  }

  void operator_record(const ServiceRef& target, std::string reason) {
    auto r = record(AuditKind::kOperator, target, "");
    r.reason = std::move(reason);
    emit(std::move(r), false);
  }
};

// ---------------------------------------------------------------------------------------

Engine::Engine(EngineContext ctx, PolicySet policies, ClassifierModel model)
    : impl_(std::make_unique<Impl>(ctx, std::move(policies), std::move(model))) {}

Engine::~Engine() = default;

Decision Engine::handle(const Incident& incident) {
  return impl_->decide(incident, Impl::Pass::kDelivery);
}

void Engine::approve(std::uint64_t approval_id, bool approved) {
  auto& im = *impl_;
  auto it = im.approvals.find(approval_id);
  if (it == im.approvals.end()) {
    im.operator_record({}, "approval #" + std::to_string(approval_id) +
                               (approved ? " approved" : " declined") +
                               ": unknown or no longer pending (alert resolved?)");
    return;
  }
  const Impl::PendingApproval a = std::move(it->second);
  im.approvals.erase(it);
  auto rec = im.record(AuditKind::kOperator, a.incident.target, a.fingerprint);
  rec.policy = a.policy != nullptr ? a.policy->incident_type : "";
  rec.action = a.action;
  rec.success = approved;
  rec.reason = "approval #" + std::to_string(approval_id) + (approved ? " approved" : " declined") +
               " by a person";
  im.emit(std::move(rec));
  if (approved) {
    im.decide(a.incident, Impl::Pass::kApproved, &a);
  } else if (a.incident.started_at != TimePoint{}) {
    im.ctx.state.mark_seen("declined|" + Impl::dedup_key(a.incident, a.fingerprint), im.now());
  }
}

void Engine::reset_target(const ServiceRef& target) {
  auto& im = *impl_;
  TargetState st = im.ctx.state.load(target);
  st.attempts = 0;
  st.ladder_step = 0;
  st.escalate_only = false;
  im.ctx.state.save(target, st);
  im.operator_record(target,
                     "target reset by a person: attempts, ladder and escalate-only cleared");
  im.close_episode(target);
}

void Engine::set_kill_switch(bool engaged) {
  impl_->ctx.state.set_kill_switch(engaged);
  impl_->operator_record({}, engaged ? "kill switch engaged: in-flight actions finish and are "
                                       "verified; no new action starts"
                                     : "kill switch released");
}

void Engine::reset_breaker() {
  auto& im = *impl_;
  BreakerState b = im.ctx.state.load_breaker();
  b.tripped = false;
  b.tripped_at.reset();
  b.recent_actions.clear();
  im.ctx.state.save_breaker(b);
  im.operator_record({}, "circuit breaker reset by a person");
}

void Engine::resume() {
  auto& im = *impl_;
  const TimePoint t = im.now();
  for (auto& [target, st] : im.ctx.state.in_flight()) {
    const InFlightAction fl = *st.in_flight;
    im.track(target, fl.action_id);
    im.next_action_id = std::max(im.next_action_id, fl.action_id);
    const Policy* p = im.lookup(fl.policy);
    const Duration window =
        p != nullptr ? p->verification_window : Duration{std::chrono::minutes{5}};
    if (t - fl.verify_at > window) {
      // Far too late to judge the action by its window: say so rather than guess.
      auto rec = im.record(AuditKind::kVerification, target, fl.incident);
      rec.policy = fl.policy;
      rec.action = fl.action;
      rec.success = false;
      rec.reason = "verification missed: due at " + format_time(fl.verify_at) +
                   ", engine resumed " + core::format_duration(t - fl.verify_at) + " later";
      im.emit(std::move(rec));
      st.in_flight.reset();
      im.ctx.state.save(target, st);
      im.untrack(target);
      im.escalate(target, fl.incident, p, Outcome::kMaxAttemptsReached, "error",
                  "verification of " + std::string(to_string(fl.action.kind)) + " on " +
                      target.key() + " was missed while the engine was down; check it",
                  std::nullopt, {});
      continue;
    }
    const Duration wait = fl.verify_at > t ? fl.verify_at - t : Duration::zero();
    const std::uint64_t id = fl.action_id;
    const ServiceRef tg = target;
    im.episodes[target].verify_timer =
        im.ctx.scheduler.after(wait, im.guarded([&im, tg, id] { im.verify(tg, id); }));
    im.operator_record(target, "resumed: verification of action #" + std::to_string(id) +
                                   " re-armed for " + format_time(fl.verify_at));
  }
}

const PolicySet& Engine::policies() const {
  return impl_->set;
}

void Engine::set_mode(Mode m) {
  impl_->mode = m;
  impl_->operator_record({}, "mode set to " + std::string(to_string(m)));
}

}  // namespace selfheal::engine
