#include "scenario/run_metrics.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "engine/engine.hpp"
#include "engine/policy.hpp"
#include "scenario/metric_rules.hpp"
#include "sim/timeline.hpp"

namespace selfheal::scenario {
namespace {

using sim::EventKind;
using sim::Timeline;
using sim::TimelineEvent;

Duration rel(const Timeline& t, core::TimePoint p) {
  return p - t.start;
}

const engine::AuditRecord* audit_of(const Timeline& t, const TimelineEvent& e) {
  if (!e.audit_index || *e.audit_index >= t.audit.size()) return nullptr;
  return &t.audit[*e.audit_index];
}

std::string action_name(const engine::AuditRecord* a) {
  if (a && a->action) return std::string(engine::to_string(a->action->kind));
  return {};
}

// Which incidents count: a fault or planned event that made at least one alert fire.
std::set<std::string> alerted(const Timeline& t) {
  std::set<std::string> ids;
  for (const auto& e : t.events)
    if (e.kind == EventKind::kAlertFiring && !e.incident.empty()) ids.insert(e.incident);
  return ids;
}

double budget(const Timeline& t, const std::vector<std::string>& services, core::TimePoint from,
              core::TimePoint to) {
  double m = 0.0;
  for (const auto& s : services)
    m += t.error_budget_minutes(s, from, to);
  return m;
}

}  // namespace

std::optional<core::TimePoint> quiet_again(const Timeline& t, const std::string& id,
                                           core::TimePoint until) {
  std::map<std::string, bool> firing;  // fingerprint/alert -> firing
  std::optional<core::TimePoint> last;
  for (const auto& e : t.events) {
    if (e.time > until) continue;
    const bool fired = e.kind == EventKind::kAlertFiring && e.incident == id;
    // The resolution may come after the incident's attribution ended (a campaign's alert
    // resolves the instant the campaign ends): match it by the alert, not the incident.
    if (!fired && (e.kind != EventKind::kAlertResolved || firing.empty())) continue;
    const std::string key = e.service + "/" + e.name + "/" + e.fingerprint;
    if (fired) firing[key] = true;
    if (e.kind == EventKind::kAlertResolved) {
      auto it = firing.find(key);
      if (it == firing.end()) continue;
      it->second = false;
      last = e.time;
    }
  }
  for (const auto& [k, f] : firing)
    if (f) return std::nullopt;
  return last;
}

RunMetrics compute_metrics(const Timeline& t, const Timeline* twin, const MetricsOptions& o) {
  RunMetrics m;
  m.duration = t.end - t.start;
  const std::set<std::string> counted = alerted(t);
  std::map<std::string, std::size_t> index;  // incident id -> m.incidents index
  std::map<std::string, const sim::IncidentRecord*> records;

  for (const auto& rec : t.incidents) {
    if (!counted.count(rec.truth.id)) continue;
    IncidentMetrics i;
    i.id = rec.truth.id;
    i.kind = rec.truth.kind;
    i.root_service = rec.truth.root_service;
    i.affected =
        rec.impacted.empty() ? std::vector<std::string>{rec.truth.root_service} : rec.impacted;
    i.start = rel(t, rec.start);
    if (rec.end) i.end = rel(t, *rec.end);
    i.true_type = rec.truth.incident_type;
    for (const auto& h : rec.truth.helpful)
      i.helpful_actions.push_back(h.service + ":" + std::string(engine::to_string(h.kind)));
    if (rec.impact) {
      if (rec.recovered) {
        i.recovered = true;
        i.ttr = *rec.recovered - rec.start;
      }
    } else if (auto q = quiet_again(t, rec.truth.id)) {
      i.recovered = true;
      i.ttr = *q - rec.start;
    }
    index[i.id] = m.incidents.size();
    records[i.id] = &rec;
    m.incidents.push_back(std::move(i));
  }
  auto inc = [&](const std::string& id) -> IncidentMetrics* {
    auto it = index.find(id);
    return it == index.end() ? nullptr : &m.incidents[it->second];
  };

  // Actions, keyed by engine action id so results and verifications find them.
  std::map<std::uint64_t, std::size_t> action_by_id;
  for (const auto& e : t.events) {
    IncidentMetrics* i = inc(e.incident);
    switch (e.kind) {
      case EventKind::kAlertFiring:
        if (i && !i->detection) i->detection = rel(t, e.time) - i->start;
        break;
      case EventKind::kDecision: {
        const engine::AuditRecord* a = audit_of(t, e);
        if (e.name == "resolved" || e.name == "duplicate") break;
        DecisionFact d;
        d.at = rel(t, e.time);
        d.service = e.service;
        d.incident = i ? e.incident : "";
        d.outcome = e.name;
        if (a) {
          if (a->outcome) d.outcome = std::string(engine::to_string(*a->outcome));
          d.policy = a->policy;
          d.action = action_name(a);
          d.guardrail = a->guardrail;
          d.reason = a->reason;
          if (a->classification) {
            d.incident_type = a->classification->incident_type;
            d.confidence = a->classification->confidence;
            d.classification_source = a->classification->source;
            const auto& ev = a->classification->evidence;
            d.evidence.assign(ev.begin(), ev.begin() + static_cast<std::ptrdiff_t>(
                                                           std::min(ev.size(), kDecisionEvidence)));
          }
        }
        if (d.reason.empty()) d.reason = e.detail;
        if (i) {
          ++i->decisions;
          ++i->outcomes[d.outcome];
          if (i->classified_as.empty() && a && a->classification) {
            i->classified_as = a->classification->incident_type;
            i->confidence = a->classification->confidence;
            i->classification_source = a->classification->source;
            i->classification_correct =
                engine::canonical_incident_type(i->classified_as) ==
                engine::canonical_incident_type(records[e.incident]->truth.incident_type);
          }
        }
        m.decisions.push_back(std::move(d));
        break;
      }
      case EventKind::kActionStarted: {
        if (!e.automated) break;  // the on-call's own fixes are not automation
        ActionFact a;
        a.at = rel(t, e.time);
        a.service = e.service;
        a.incident = i ? e.incident : "";
        a.action = e.name;
        a.command = e.detail;
        if (i) {
          auto kind = engine::parse_action_kind(e.name);
          a.helpful = kind && sim::judge(records[e.incident]->truth, *kind, e.service).helpful;
          a.declared_helpful = a.helpful;
          ++i->actions;
          (a.helpful ? i->helpful : i->wrong) += 1;
          if (!a.helpful) i->wrongly_acted = true;
        }
        if (e.action_id) action_by_id[e.action_id] = m.actions.size();
        m.actions.push_back(std::move(a));
        break;
      }
      case EventKind::kActionFinished: {
        auto it = action_by_id.find(e.action_id);
        if (it != action_by_id.end() && e.success) m.actions[it->second].ok = *e.success;
        break;
      }
      case EventKind::kVerification: {
        VerificationFact v;
        v.at = rel(t, e.time);
        v.service = e.service;
        v.incident = i ? e.incident : "";
        v.passed = e.success.value_or(false);
        v.detail = e.detail;
        auto it = action_by_id.find(e.action_id);
        if (it == action_by_id.end()) {
          // Older records may lack the id: the latest action on the service.
          for (std::size_t k = m.actions.size(); k-- > 0;)
            if (m.actions[k].service == e.service) {
              it = action_by_id.end();
              m.actions[k].verified = v.passed;
              break;
            }
        } else {
          m.actions[it->second].verified = v.passed;
        }
        if (i) {
          ++i->verifications;
          i->verifications_passed += v.passed ? 1 : 0;
        }
        m.verifications.push_back(std::move(v));
        break;
      }
      case EventKind::kPage:
      case EventKind::kApprovalRequest: {
        EscalationFact x;
        x.at = rel(t, e.time);
        x.service = e.service;
        x.incident = i ? e.incident : "";
        x.approval = e.kind == EventKind::kApprovalRequest;
        x.reason = e.name;
        x.summary = e.detail;
        x.channel = e.channel;
        x.story = e.story;
        x.affected = e.affected;
        x.fingerprint = e.fingerprint;
        if (const engine::AuditRecord* a = audit_of(t, e)) {
          if (a->outcome) x.reason = std::string(engine::to_string(*a->outcome));
          if (x.summary.empty()) x.summary = a->reason;
        }
        if (x.approval)
          ++m.approval_requests;
        else
          ++m.pages;
        if (i) {
          (x.approval ? i->approval_requests : i->pages) += 1;
          if (!i->time_to_escalate) i->time_to_escalate = x.at - i->start;
        }
        m.escalations.push_back(std::move(x));
        break;
      }
      case EventKind::kPageUpdate: {
        // The open page of this incident (same service and fingerprint) now lists more
        // affected services: refresh it, count no new page.
        for (std::size_t k = m.escalations.size(); k-- > 0;) {
          auto& x = m.escalations[k];
          if (x.approval || x.service != e.service || x.fingerprint != e.fingerprint) continue;
          x.summary = e.detail;
          x.story = e.story;
          x.affected = e.affected;
          ++x.updates;
          break;
        }
        break;
      }
      default:
        break;
    }
  }

  // Automated recovery: recovered after a helpful automated action that verified, with no
  // person involved (no page or approval request) before the recovery.
  for (auto& i : m.incidents) {
    if (!i.recovered || !i.ttr) continue;
    const Duration rec = i.start + *i.ttr;
    bool verified_fix = false;
    for (const auto& a : m.actions)
      if (a.incident == i.id && a.helpful && a.verified.value_or(false) && a.at <= rec)
        verified_fix = true;
    bool human = false;
    for (const auto& x : m.escalations)
      if (x.incident == i.id && x.at <= rec) human = true;
    i.automated_recovery = verified_fix && !human;
  }

  // Loops and the busiest target.
  std::map<std::string, std::vector<TargetAction>> per_target;
  for (const auto& a : m.actions)
    per_target[a.service].push_back({a.at, a.verified.value_or(false), {}});
  for (const auto& [svc, acts] : per_target) {
    for (auto& l : find_loops(svc, acts, o.loop_window, o.loop_min_actions))
      m.loops.push_back(l);
    std::vector<Duration> times;
    for (const auto& a : acts)
      times.push_back(a.at);
    const int n = max_in_window(times, o.loop_window);
    if (n > m.max_actions_per_target_hour) {
      m.max_actions_per_target_hour = n;
      m.max_actions_target = svc;
    }
  }
  std::sort(m.loops.begin(), m.loops.end(), [](const LoopFact& a, const LoopFact& b) {
    return a.first != b.first ? a.first < b.first : a.service < b.service;
  });
  m.remediation_loops = static_cast<int>(m.loops.size());

  // Error budget, with and without automation.
  for (const auto& s : t.services)
    m.error_budget_minutes += t.error_budget_minutes(s.service, t.start, t.end);
  if (twin) {
    double tw = 0.0;
    for (const auto& s : twin->services)
      tw += twin->error_budget_minutes(s.service, twin->start, twin->end);
    m.twin_error_budget_minutes = tw;
    m.made_worse = 0;
  }
  for (auto& i : m.incidents) {
    const sim::IncidentRecord* rec = records[i.id];
    const sim::IncidentRecord* trec = twin ? twin->incident(i.id) : nullptr;
    // One window for both runs: from the start until both recovered (or the end).
    core::TimePoint to = t.end;
    if (rec->recovered && (!twin || (trec && trec->recovered)))
      to = std::max(*rec->recovered, trec ? *trec->recovered : *rec->recovered);
    std::vector<std::string> services = i.affected;
    if (trec)
      for (const auto& s : trec->impacted)
        if (std::find(services.begin(), services.end(), s) == services.end()) services.push_back(s);
    i.error_budget_minutes = budget(t, services, rec->start, to);
    if (twin) {
      const double tw = budget(*twin, services, rec->start, to);
      i.twin_error_budget_minutes = tw;
      i.made_worse =
          i.error_budget_minutes > tw + std::max(o.made_worse_abs_minutes, o.made_worse_rel * tw);
      if (*i.made_worse) ++*m.made_worse;
    }
  }

  // Run-level aggregates.
  std::vector<Duration> ttrs;
  std::vector<Duration> escalate;
  int automated = 0;
  for (const auto& i : m.incidents) {
    if (i.recovered && i.ttr)
      ttrs.push_back(*i.ttr);
    else
      ++m.unrecovered;
    if (i.wrongly_acted) ++m.wrongly_acted;
    if (i.automated_recovery) ++automated;
    if (i.time_to_escalate) escalate.push_back(*i.time_to_escalate);
  }
  m.recovered = static_cast<int>(ttrs.size());
  if (!ttrs.empty()) {
    Duration sum{0};
    for (auto d : ttrs)
      sum += d;
    // The mean is rounded to the second: reports show whole seconds.
    const long long n = static_cast<long long>(ttrs.size());
    m.mttr_mean = Duration{(sum.count() + n * 500) / (n * 1000) * 1000};
    m.mttr_p50 = percentile(ttrs, 50);
    m.mttr_p90 = percentile(ttrs, 90);
  }
  if (!escalate.empty()) {
    Duration sum{0};
    for (auto d : escalate)
      sum += d;
    const long long n = static_cast<long long>(escalate.size());
    m.time_to_escalate_mean = Duration{(sum.count() + n * 500) / (n * 1000) * 1000};
  }
  if (!m.incidents.empty()) {
    const double n = static_cast<double>(m.incidents.size());
    m.automated_recovery_rate = automated / n;
    m.pages_per_incident = m.pages / n;
  }
  if (!m.verifications.empty()) {
    int passed = 0;
    for (const auto& v : m.verifications)
      passed += v.passed ? 1 : 0;
    m.verification_pass_rate = passed / static_cast<double>(m.verifications.size());
  }
  return m;
}

}  // namespace selfheal::scenario
