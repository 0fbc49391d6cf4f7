// Correlation: one incident, one page (docs/pipeline.md#correlation). A caller whose page
// would go out while a direct upstream has an open incident (an open page, or an action in
// flight, being verified or undone) joins that incident instead: the caller's page is held,
// the upstream's open page is updated (same incident, so the same PagerDuty dedup_key) to
// list it, and a timer looks again every defaults::kCorrelationRecheck. Once the upstream's
// incident is closed and the caller's alert is still firing, the caller is decided afresh as
// its own incident, so no page is lost to correlation: a root never identified, or an
// upstream that recovered while its caller stays broken, still pages once.
#include <algorithm>

#include "engine/defaults.hpp"
#include "engine/engine_impl.hpp"

namespace selfheal::engine {

std::string service_list(const std::vector<ServiceRef>& services) {
  std::string out;
  for (const auto& s : services)
    out += (out.empty() ? "" : ", ") + s.key();
  return out;
}

bool Engine::Impl::open_incident(const ServiceRef& service) const {
  if (in_flight.count(service) != 0) return true;
  auto it = episodes.find(service);
  return it != episodes.end() && open_incident(service, it->second);
}

bool Engine::Impl::open_incident(const ServiceRef& service, const Episode& e) const {
  if (!e.page_severity.empty() || e.verify_timer != 0 || e.timeout_timer != 0 || e.undo_id != 0)
    return true;
  return in_flight.count(service) != 0;
}

std::optional<ServiceRef> Engine::Impl::correlated_root(const ServiceRef& target, Run* r) {
  // Nothing else open: nothing to join, and no topology read (live: no query unforeseen by
  // the prefetch).
  const bool any = std::any_of(episodes.begin(), episodes.end(), [&](const auto& kv) {
    return kv.first != target && open_incident(kv.first, kv.second);
  });
  if (!any) return std::nullopt;
  const std::vector<DependencyHealth> read =
      r != nullptr ? std::vector<DependencyHealth>{} : ctx.topology.upstreams(target);
  for (const auto& u : r != nullptr ? upstreams(*r) : read) {
    if (u.service == target) continue;
    if (open_incident(u.service)) return u.service;
    // An upstream that itself joined an incident further up: join the root of that one.
    if (auto j = joined.find(u.service);
        j != joined.end() && j->second.root != target && open_incident(j->second.root))
      return j->second.root;
  }
  return std::nullopt;
}

void Engine::Impl::join(const Incident& inc, const std::string& fp, const ServiceRef& root,
                        std::string_view what, std::string_view why) {
  const ServiceRef target = inc.target;
  auto& ep = episodes[root];
  const bool added = std::find(ep.affected.begin(), ep.affected.end(), target) == ep.affected.end();
  if (added) ep.affected.push_back(target);
  auto& j = joined[target];
  j.root = root;
  j.incident = inc;
  j.fingerprint = fp;
  if (j.timer == 0) {
    j.timer = arm(defaults::kCorrelationRecheck, {TimerKind::kCorrelationCheck, target});
  }
  if (!added || ep.page_severity.empty()) return;  // no open page: the root's page lists it
  // The record goes first, so the updated page's story ends with who joined and why.
  auto rec = record(AuditKind::kEscalation, root, ep.page.incident);
  rec.outcome = ep.page.reason;
  rec.escalate = true;
  if (audit_text) {
    rec.reason = "update of the open page: " + target.key() + " joined this incident (";
    rec.reason.append(what).append(": ").append(why).append(")");
    rec.detail = "channel " + ep.page.channel + ", severity " + ep.page.severity +
                 ", update, affected " + service_list(ep.affected);
  }
  emit(std::move(rec));
  Escalation u = ep.page;
  u.update = true;
  u.affected = ep.affected;
  if (audit_text) {
    u.summary += " (affected: " + service_list(ep.affected) + ")";
    u.history.assign(ep.history.begin(), ep.history.end());
  }
  ctx.notifier.escalate(u);
}

void Engine::Impl::recheck_joined(const ServiceRef& caller) {
  auto it = joined.find(caller);
  if (it == joined.end()) return;
  it->second.timer = 0;
  if (open_incident(it->second.root)) {
    it->second.timer = arm(defaults::kCorrelationRecheck, {TimerKind::kCorrelationCheck, caller});
    return;
  }
  const Joined j = it->second;
  joined.erase(it);
  if (auto r = episodes.find(j.root); r != episodes.end()) std::erase(r->second.affected, caller);
  decide(j.incident, Pass::kUncorrelated);
}

void Engine::Impl::forget_joined(const ServiceRef& caller, const std::string& fp) {
  auto it = joined.find(caller);
  if (it == joined.end() || it->second.fingerprint != fp) return;
  disarm(it->second.timer);
  joined.erase(it);
}

}  // namespace selfheal::engine
