#include "scenario/runner.hpp"

#include <algorithm>
#include <set>

#include "core/duration.hpp"
#include "engine/engine.hpp"
#include "scenario/variation.hpp"
#include "scenario/world_run.hpp"
#include "sim/baseline_health.hpp"
#include "sim/world.hpp"

namespace selfheal::scenario {
namespace {

using sim::EventKind;

std::string label_of(const sim::TimelineEvent& e, const sim::Timeline& t) {
  std::string l;
  switch (e.kind) {
    case EventKind::kFaultStart:
      l = "fault " + e.incident + " (" + e.name + ") starts";
      break;
    case EventKind::kPlannedStart:
      l = "planned " + e.name + " " + e.incident + " starts";
      break;
    case EventKind::kAlertFiring:
      l = "alert " + e.name + " firing";
      break;
    case EventKind::kDecision: {
      l = "decision: " + e.name;
      if (e.audit_index && *e.audit_index < t.audit.size()) {
        const auto& a = t.audit[*e.audit_index];
        if (a.classification)
          l += " (" + a.classification->incident_type + " " +
               std::to_string(static_cast<int>(a.classification->confidence * 100 + 0.5)) + "%)";
        if (!a.reason.empty()) l += ": " + a.reason;
      }
      break;
    }
    case EventKind::kActionStarted:
      l = std::string(e.automated ? "engine: " : "on-call: ") + e.name +
          (e.detail.empty() ? "" : " — " + e.detail);
      break;
    case EventKind::kVerification:
      l = std::string("verification ") + (e.success.value_or(false) ? "passed" : "FAILED") +
          (e.detail.empty() ? "" : ": " + e.detail);
      break;
    case EventKind::kPage:
      l = "page: " + e.name + (e.detail.empty() ? "" : " — " + e.detail);
      break;
    case EventKind::kApprovalRequest:
      l = "approval requested: " + e.detail;
      break;
    case EventKind::kApprovalAnswer:
      l = std::string("approval ") + (e.success.value_or(false) ? "granted" : "denied");
      break;
    case EventKind::kOnCallAck:
      l = "on-call acknowledged";
      break;
    case EventKind::kOnCallFix:
      l = "on-call fix: " + e.detail;
      break;
    case EventKind::kRecovered:
      l = "recovered: " + e.incident;
      break;
    case EventKind::kRollback:
      l = "rollback of a failed action: " + e.detail;
      break;
    default:
      l = std::string(sim::to_string(e.kind)) + ": " + e.detail;
  }
  if (!e.incident.empty() && e.kind != EventKind::kFaultStart &&
      e.kind != EventKind::kPlannedStart && e.kind != EventKind::kRecovered)
    l += " [" + e.incident + "]";
  return l;
}

void chart_data(const sim::Timeline& t, const RunMetrics& m, RunResult& r) {
  // Chart the services an incident pushed out of objectives and the services acted on.
  std::set<std::string> wanted;
  for (const auto& i : m.incidents)
    for (const auto& s : i.affected)
      wanted.insert(s);
  for (const auto& a : m.actions)
    wanted.insert(a.service);
  for (const auto& s : t.services) {
    if (!wanted.count(s.service)) continue;
    ServiceChart c;
    c.service = s.service;
    c.error_objective = s.slo.error_rate;
    c.points.reserve(s.points.size());
    for (const auto& p : s.points)
      c.points.push_back({p.time - t.start, p.error_rate, p.ready, p.desired});
    r.charts.push_back(std::move(c));
  }
  auto charted = [&](const std::string& s) { return wanted.count(s) > 0; };
  auto affected_of = [&](const std::string& id) -> std::vector<std::string> {
    for (const auto& i : m.incidents)
      if (i.id == id) return i.affected;
    if (const auto* rec = t.incident(id)) return {rec->truth.root_service};
    return {};
  };
  for (const auto& e : t.events) {
    Marker mk;
    mk.at = e.time - t.start;
    mk.label = label_of(e, t);
    switch (e.kind) {
      case EventKind::kFaultStart:
      case EventKind::kPlannedStart:
      case EventKind::kRecovered: {
        mk.kind = e.kind == EventKind::kFaultStart     ? MarkerKind::kFault
                  : e.kind == EventKind::kPlannedStart ? MarkerKind::kPlanned
                                                       : MarkerKind::kRecovery;
        if (e.kind != EventKind::kRecovered) {
          const auto* rec = t.incident(e.incident);
          mk.until = rec && rec->end ? *rec->end - t.start : t.end - t.start;
        }
        // Shown on every charted service the incident touched.
        std::vector<std::string> on = affected_of(e.incident);
        if (!e.service.empty() && std::find(on.begin(), on.end(), e.service) == on.end())
          on.push_back(e.service);
        for (const auto& s : on) {
          if (!charted(s)) continue;
          mk.service = s;
          r.markers.push_back(mk);
        }
        continue;
      }
      case EventKind::kAlertFiring:
        mk.kind = MarkerKind::kAlert;
        break;
      case EventKind::kDecision:
        if (e.name == "resolved" || e.name == "duplicate") continue;
        mk.kind = MarkerKind::kDecision;
        break;
      case EventKind::kActionStarted:
        mk.kind = MarkerKind::kAction;
        break;
      case EventKind::kVerification:
        mk.kind = MarkerKind::kVerification;
        mk.bad = !e.success.value_or(false);
        break;
      case EventKind::kPage:
      case EventKind::kOnCallAck:
      case EventKind::kOnCallFix:
        mk.kind = MarkerKind::kPage;
        break;
      case EventKind::kApprovalRequest:
      case EventKind::kApprovalAnswer:
        mk.kind = MarkerKind::kApproval;
        break;
      default:
        continue;
    }
    mk.service = e.service;
    if (!charted(mk.service)) continue;
    r.markers.push_back(std::move(mk));
  }
  // Decisions measured harmful or missed (counterfactual branches) are drawn emphasised.
  for (const auto& t : m.truths) {
    if (t.verdict != "hurt" && t.verdict != "missed") continue;
    for (auto& mk : r.markers)
      if (mk.kind == MarkerKind::kDecision && mk.at == t.at && mk.service == t.service) {
        mk.bad = true;
        mk.label += t.verdict == "hurt" ? " (measured: acting was worse than not acting)"
                                        : " (measured: missed, " + t.best + " would have helped)";
        break;
      }
  }
  // Wrong actions are drawn emphasised.
  for (auto& mk : r.markers) {
    if (mk.kind != MarkerKind::kAction) continue;
    for (const auto& a : m.actions)
      if (a.at == mk.at && a.service == mk.service && !a.helpful) {
        mk.bad = true;
        mk.label += " (does not help: wrong action)";
        break;
      }
  }
}

}  // namespace

sim::Timeline run_shadow_twin(const Scenario& s, std::uint64_t seed) {
  sim::ClusterSpec spec = s.cluster;
  if (!spec.oncall.direct_page_after) spec.oncall.direct_page_after = Duration{0};
  engine::PolicySet shadow = s.policies;
  shadow.settings.mode = engine::Mode::kShadow;
  return run_world(s, seed, spec, std::move(shadow), {}, nullptr, s.cluster.start + s.duration)
      .timeline;
}

RunResult run_scenario(const Scenario& scenario, const RunOptions& o) {
  const std::uint64_t seed = o.seed.value_or(scenario.seed);
  std::optional<Scenario> varied;
  if (o.vary && !scenario.variation.empty()) varied = vary(scenario, seed);
  const Scenario& s = varied ? *varied : scenario;
  engine::PolicySet policies = s.policies;
  if (o.mode) policies.settings.mode = *o.mode;
  const core::TimePoint end = s.cluster.start + s.duration;
  WorldRun main_run = run_world(s, seed, s.cluster, policies, {}, nullptr, end);
  const sim::Timeline& main = main_run.timeline;

  std::optional<sim::Timeline> twin;
  if (o.twin) twin = run_shadow_twin(s, seed);

  RunResult r;
  r.scenario = s.name;
  r.description = s.description;
  r.file = s.file;
  r.seed = seed;
  r.duration = s.duration;
  r.mode = std::string(engine::to_string(policies.settings.mode));
  r.policies = s.policy_source;
  r.twin = o.twin;
  r.metrics = compute_metrics(main, twin ? &*twin : nullptr, o.metrics);
  if (o.counterfactuals)
    measure_truth(s, seed, s.cluster, policies, main_run, r.metrics, o.counterfactual);
  r.expectations = evaluate_all(s.expectations, r.metrics);
  r.invariants = check_invariants(s.invariants, main);
  r.verdict =
      rollout_verdict(r.scenario, r.metrics, r.invariants, r.failed_expectations(), s.policies);
  if (o.detail) chart_data(main, r.metrics, r);
  r.notes = s.policy_notes;
  if (o.counterfactuals)
    r.notes.push_back(
        "verdicts are measured: helpful, wrong and wrongly-acted come from counterfactual "
        "branches (" +
        std::to_string(r.metrics.branches.value_or(0)) +
        " played); the declared table is kept as the model's expectation and every "
        "disagreement is listed");
  r.baseline_warnings = sim::check_baseline(s.cluster, s.duration).problems;
  if (varied)
    r.notes.push_back("variation: the scenario's variation block drawn from seed " +
                      std::to_string(seed));
  r.notes.insert(r.notes.end(), main_run.rule_notes.begin(), main_run.rule_notes.end());
  for (const auto& rec : main.incidents) {
    bool counted = false;
    for (const auto& i : r.metrics.incidents)
      counted = counted || i.id == rec.truth.id;
    if (!counted && rec.start <= main.end)
      r.notes.push_back((rec.truth.planned ? "planned event " : "fault ") + rec.truth.id +
                        " fired no alert: not counted as an incident");
  }
  return r;
}

}  // namespace selfheal::scenario
