// The refusals: the pipeline's guardrails that stop an action before it starts. Each returns
// the reason in words (empty: passed) or the finished Decision; engine/pipeline.cpp calls
// them in the documented order (docs/pipeline.md).
#include <algorithm>
#include <map>

#include "core/duration.hpp"
#include "engine/checks.hpp"
#include "engine/defaults.hpp"
#include "engine/engine_impl.hpp"
#include "engine/time_text.hpp"

namespace selfheal::engine {
namespace {

/// dependency_failure's reason without its variable parts (names, numbers, the upstream's
/// own reason): room enough that it is built without a reallocation.
constexpr std::size_t kBlameReserve = 192;

}  // namespace

std::string Engine::Impl::duplicate_reason(Run& r) {
  const auto& target = r.inc.target;
  if (r.st.in_flight && r.st.in_flight->incident == r.fp) {
    return "action #" + std::to_string(r.st.in_flight->action_id) + " for this alert is in flight";
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
  if (mode == Mode::kShadow && ctx.state.seen(dedup_key(r.inc, r.fp, "shadow|"))) {
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
  if (r.inc.started_at != TimePoint{} && ctx.state.seen(dedup_key(r.inc, r.fp, "declined|"))) {
    return "a person declined the approval for this firing of the alert";
  }
  return {};
}

std::string Engine::Impl::policy_scope(const Policy& p, const ServiceRef& target) {
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
const DependencyHealth* Engine::Impl::worst_upstream(Run& r, double bound) {
  const DependencyHealth* worst = nullptr;
  for (const auto& u : upstreams(r)) {
    if (!u.healthy || u.error_rate > bound) {
      if (worst == nullptr || u.error_rate > worst->error_rate) worst = &u;
    }
  }
  return worst;
}

std::optional<DependencyHealth> Engine::Impl::nearest_unhealthy(Run& r, double bound, int depth,
                                                                int* hops, std::string* via) {
  std::map<std::string, std::string> parent;  // service key -> the dependent it was reached by
  const std::string root = r.inc.target.key();
  parent[root] = "";
  std::vector<DependencyHealth> level = upstreams(r);
  for (const auto& u : level)
    parent.emplace(u.service.key(), root);
  for (int d = 1; d <= depth && !level.empty(); ++d) {
    const DependencyHealth* worst = nullptr;
    for (const auto& u : level) {
      if ((!u.healthy || u.error_rate > bound) &&
          (worst == nullptr || u.error_rate > worst->error_rate)) {
        worst = &u;
      }
    }
    if (worst != nullptr) {
      *hops = d;
      std::string chain = worst->service.name;
      for (std::string k = parent[worst->service.key()]; !k.empty(); k = parent[k]) {
        chain = k.substr(k.find('/') + 1) + " -> " + chain;
      }
      *via = chain;
      return *worst;
    }
    if (d == depth) break;
    std::vector<DependencyHealth> next;
    for (const auto& u : level) {
      for (auto& up : ctx.topology.upstreams(u.service)) {
        if (parent.emplace(up.service.key(), u.service.key()).second) next.push_back(up);
      }
    }
    level = std::move(next);
  }
  return std::nullopt;
}

std::string Engine::Impl::dependency_failure(Run& r, const Policy& p) {
  const double bound = p.dependency_precheck.max_upstream_error_rate;
  const auto blame = [&](const DependencyHealth& worst, const std::string& hops_note) {
    r.d.upstream = worst.service;
    // One string, appended in place: this reason is written on every re-delivery of a
    // caller's alert while its upstream is down.
    std::string why;
    why.reserve(kBlameReserve + worst.reason.size() + hops_note.size());
    why.append("upstream ");
    worst.service.append_key(why);
    why.append(hops_note).append(" is unhealthy (error rate ");
    blame_rate.append_fixed(why, worst.error_rate, 2);
    why.append(worst.error_rate > bound ? " > " : " <= ");
    blame_bound.append_fixed(why, bound, 2);
    if (!worst.reason.empty()) why.append(", ").append(worst.reason);
    why.append("); acting on ").append(r.inc.target.name);
    why.append(" would not help: escalating to ").append(worst.service.name).append("'s owner");
    return why;
  };
  if (!p.dependency_precheck.transitive) {
    if (const DependencyHealth* worst = worst_upstream(r, bound)) return blame(*worst, "");
  } else {
    int hops = 0;
    std::string via;
    if (auto worst = nearest_unhealthy(r, bound, p.dependency_precheck.depth(), &hops, &via)) {
      return blame(*worst, hops == 1 ? std::string()
                                     : ", " + std::to_string(hops) + " hops away (" + via + "),");
    }
  }
  const auto& s = signals(r);
  if (!is_missing(s, SignalName::kDependencyErrors) && s.dependency_errors > bound) {
    return "dependency_errors " + fmt(s.dependency_errors) + " > " + fmt(bound) +
           ": calls to upstreams are failing (upstream not identified); acting on " +
           r.inc.target.name + " would not help";
  }
  return {};
}

// engine.freeze_when: each watched service's health from the Topology port, read only when
// an action would otherwise start. The page names every watched service that is down.
std::string Engine::Impl::frozen(Run& r) {
  const Freeze& f = set->settings.freeze;
  if (!f.enabled() || !f.covers(r.inc.target)) return {};
  std::string down;
  for (const auto& entry : f.unhealthy) {
    const DependencyHealth h = ctx.topology.health(Freeze::resolve(entry, r.inc.target.ns));
    if (h.healthy) continue;
    down += (down.empty() ? "" : "; ") + entry + " unhealthy" +
            (h.reason.empty() ? "" : " (" + h.reason + ")");
  }
  if (down.empty()) return {};
  return "freeze: " + down + ": no automated action on " + r.inc.target.key() +
         " while the engine's freeze_when holds";
}

std::string Engine::Impl::exhausted(const Run& r, const Policy& p) const {
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

// A fault fixed `max` times inside the window is back: each fix verified (so attempts reset
// and max-attempts never trips), but automation is hiding a bug that needs a person. The
// reason carries the history so the page says what was done and when. An action a person
// approved passes: they have seen the page.
std::string Engine::Impl::recurring(const Run& r, const Policy& p) const {
  const Recurrence& rc = p.recurrence;
  if (rc.max <= 0 || r.approved != nullptr) return {};
  std::string history;
  int count = 0;
  for (const auto& v : r.st.remediations) {
    if (v.policy != p.incident_type || v.at <= r.t - rc.window) continue;
    ++count;
    history += (history.empty() ? "" : ", ") + std::string(to_string(v.action.kind)) + " #" +
               std::to_string(v.action_id) + " verified at " + format_time(v.at);
  }
  if (count < rc.max) return {};
  return "recurring: automation is masking a fault that needs a fix: " + std::to_string(count) +
         " verified " + p.incident_type + " remediation(s) of " + r.inc.target.key() +
         " in the last " + core::format_duration(rc.window) + " (max " + std::to_string(rc.max) +
         ": " + history + "); no automated action until the window passes or a person resets it";
}

// Called when an action's verification passed: adds it to the target's history, dropping
// entries outside their policy's window (the default window for a policy no longer loaded)
// and the oldest beyond defaults::kMaxRemediationHistory.
void Engine::Impl::remember_verified(TargetState& st, const InFlightAction& fl) {
  const TimePoint t = now();
  std::erase_if(st.remediations, [&](const VerifiedRemediation& v) {
    const Policy* p = lookup(v.policy);
    const Duration window = p != nullptr ? p->recurrence.window : defaults::kRecurrenceWindow;
    return v.at <= t - window;
  });
  st.remediations.push_back(VerifiedRemediation{t, fl.policy, fl.action, fl.action_id});
  if (st.remediations.size() > defaults::kMaxRemediationHistory) {
    st.remediations.erase(
        st.remediations.begin(),
        st.remediations.end() - static_cast<std::ptrdiff_t>(defaults::kMaxRemediationHistory));
  }
}

std::optional<Decision> Engine::Impl::global_limits(Run& r) {
  const auto& lim = set->settings.limits;
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

}  // namespace selfheal::engine
