#include "reports/json_writer.hpp"

#include "config/json_reader.hpp"
#include "core/duration.hpp"
#include "reports/format.hpp"
#include "reports/verdict_writer.hpp"

namespace selfheal::reports {

// The run, its metrics and verdicts, as the scenario runner leaves them.
using namespace selfheal::scenario;
namespace {

using Json = nlohmann::ordered_json;

Json ms(std::optional<Duration> d) {
  if (!d) return nullptr;
  return d->count();
}
Json num(std::optional<double> v) {
  if (!v) return nullptr;
  return round_to(*v, 4);
}
template <typename T>
Json opt(const std::optional<T>& v) {
  if (!v) return nullptr;
  return *v;
}

Json where_json(const Where& w) {
  Json j = Json::object();
  if (!w.service.empty()) j["service"] = w.service;
  if (!w.action.empty()) j["action"] = w.action;
  if (!w.incident.empty()) j["incident"] = w.incident;
  if (!w.outcome.empty()) j["outcome"] = w.outcome;
  return j;
}

// The counterfactual branches of decision `di`: null when it was not branched.
Json what_if(const RunMetrics& m, std::size_t di) {
  for (const auto& t : m.truths) {
    if (t.decision != di) continue;
    Json branches = Json::array();
    for (const auto& b : t.branches)
      branches.push_back({{"alternative", b.alternative},
                          {"error_budget_minutes", round_to(b.error_budget_minutes, 4)},
                          {"slo_breach", b.breached},
                          {"recovered", b.recovered},
                          {"ttr_ms", ms(b.ttr)},
                          {"pages", b.pages},
                          {"actions_after", b.actions_after}});
    return {{"window_end_ms", t.window_end.count()},
            {"verdict", t.verdict},
            {"minutes_saved", round_to(t.minutes_saved, 4)},
            {"basis", t.basis},
            {"best", t.best},
            {"best_minutes", round_to(t.best_minutes, 4)},
            {"regret_minutes", round_to(t.regret_minutes, 4)},
            {"declared_helpful", opt(t.declared_helpful)},
            {"branches", std::move(branches)}};
  }
  return nullptr;
}

}  // namespace

Json report_json(const RunResult& r) {
  const RunMetrics& m = r.metrics;
  Json j;
  j["schema_version"] = kReportSchemaVersion;
  j["generator"] = "selfheal";
  j["scenario"] = {
      {"name", r.scenario},
      {"description", r.description},
      {"file", r.file},
      {"seed", r.seed},
      {"duration_ms", r.duration.count()},
      {"mode", r.mode},
      {"policies", r.policies},
      {"twin", r.twin},
  };
  j["passed"] = r.passed();
  j["verdict"] = verdict_json(r);  // the rollout verdict (docs/report-schema.md)
  // Additive: present only when the run went ahead with --allow-unhealthy-baseline.
  if (!r.baseline_warnings.empty()) j["baseline_warnings"] = r.baseline_warnings;
  Json s;
  s["incidents"] = m.incidents.size();
  s["recovered_incidents"] = m.recovered;
  s["unrecovered_incidents"] = m.unrecovered;
  s["mttr_ms"] = {{"mean", ms(m.mttr_mean)}, {"p50", ms(m.mttr_p50)}, {"p90", ms(m.mttr_p90)}};
  s["remediation_loops"] = m.remediation_loops;
  s["max_actions_per_target_hour"] = m.max_actions_per_target_hour;
  s["max_actions_target"] = m.max_actions_target;
  s["wrongly_acted_incidents"] = m.wrongly_acted;
  s["made_worse_incidents"] = opt(m.made_worse);
  s["automated_recovery_rate"] = num(m.automated_recovery_rate);
  s["verification_pass_rate"] = num(m.verification_pass_rate);
  s["pages"] = m.pages;
  s["approval_requests"] = m.approval_requests;
  s["pages_per_incident"] = num(m.pages_per_incident);
  s["time_to_escalate_mean_ms"] = ms(m.time_to_escalate_mean);
  s["actions"] = m.actions.size();
  s["decisions"] = m.decisions.size();
  s["error_budget_minutes"] = round_to(m.error_budget_minutes, 4);
  s["error_budget_minutes_without_automation"] = num(m.twin_error_budget_minutes);
  s["error_budget_saved_minutes"] =
      m.twin_error_budget_minutes
          ? Json(round_to(*m.twin_error_budget_minutes - m.error_budget_minutes, 4))
          : Json(nullptr);
  // Schema 2: counterfactual branches (null when they did not run).
  s["counterfactual_branches"] = opt(m.branches);
  s["missed_incidents"] = opt(m.missed_incidents);
  s["regret_minutes"] = m.regret_minutes ? Json(round_to(*m.regret_minutes, 4)) : Json(nullptr);
  s["harmful_decisions"] = opt(m.harmful_decisions);
  s["verification_false_failures"] = opt(m.verification_false_failures);
  s["verification_false_passes"] = opt(m.verification_false_passes);
  j["summary"] = s;

  Json incs = Json::array();
  for (const auto& i : m.incidents) {
    Json o;
    o["id"] = i.id;
    o["kind"] = i.kind;
    o["root_service"] = i.root_service;
    o["affected_services"] = i.affected;
    o["start_ms"] = i.start.count();
    o["end_ms"] = ms(i.end);
    o["true_type"] = i.true_type;
    o["helpful_actions"] = i.helpful_actions;
    o["detection_ms"] = ms(i.detection);
    o["classification"] = {{"incident_type", i.classified_as},
                           {"confidence", num(i.confidence)},
                           {"source", i.classification_source},
                           {"correct", opt(i.classification_correct)}};
    o["decisions"] = i.decisions;
    Json outs = Json::object();
    for (const auto& [k, v] : i.outcomes)
      outs[k] = v;
    o["outcomes"] = outs;
    o["actions"] = {{"total", i.actions}, {"helpful", i.helpful}, {"wrong", i.wrong}};
    o["verifications"] = {{"total", i.verifications}, {"passed", i.verifications_passed}};
    o["pages"] = i.pages;
    o["approval_requests"] = i.approval_requests;
    o["time_to_escalate_ms"] = ms(i.time_to_escalate);
    o["recovered"] = i.recovered;
    o["ttr_ms"] = ms(i.ttr);
    o["automated_recovery"] = i.automated_recovery;
    o["wrongly_acted"] = i.wrongly_acted;
    o["error_budget_minutes"] = round_to(i.error_budget_minutes, 4);
    o["error_budget_minutes_without_automation"] = num(i.twin_error_budget_minutes);
    o["made_worse"] = opt(i.made_worse);
    o["missed"] = opt(i.missed);
    o["measured_worse"] = opt(i.measured_worse);
    o["regret_minutes"] = i.regret_minutes ? Json(round_to(*i.regret_minutes, 4)) : Json(nullptr);
    incs.push_back(std::move(o));
  }
  j["incidents"] = incs;

  Json decisions = Json::array();
  for (std::size_t di = 0; di < m.decisions.size(); ++di) {
    const auto& d = m.decisions[di];
    Json evidence = Json::array();
    for (const auto& e : d.evidence)
      evidence.push_back({{"feature", e.signal},
                          {"value", round_to(e.value, 4)},
                          {"bucket", e.bucket},
                          {"contribution", round_to(e.log_likelihood_ratio, 4)}});
    decisions.push_back({{"at_ms", d.at.count()},
                         {"service", d.service},
                         {"incident", d.incident},
                         {"outcome", d.outcome},
                         {"policy", d.policy},
                         {"incident_type", d.incident_type},
                         {"confidence", round_to(d.confidence, 4)},
                         {"classification_source", d.classification_source},
                         {"evidence", std::move(evidence)},
                         {"action", d.action},
                         {"guardrail", d.guardrail},
                         {"reason", d.reason},
                         {"what_if", what_if(m, di)}});
  }
  j["decisions"] = decisions;

  Json actions = Json::array();
  for (const auto& a : m.actions)
    actions.push_back({{"at_ms", a.at.count()},
                       {"service", a.service},
                       {"incident", a.incident},
                       {"action", a.action},
                       {"command", a.command},
                       {"ok", a.ok},
                       {"helpful", a.helpful},
                       {"declared_helpful", a.declared_helpful},
                       {"helpful_source", a.measured ? "measured" : "declared"},
                       {"verified", opt(a.verified)}});
  j["actions"] = actions;

  Json vers = Json::array();
  for (const auto& v : m.verifications)
    vers.push_back({{"at_ms", v.at.count()},
                    {"service", v.service},
                    {"incident", v.incident},
                    {"passed", v.passed},
                    {"detail", v.detail}});
  j["verifications"] = vers;

  Json escs = Json::array();
  for (const auto& e : m.escalations)
    escs.push_back({{"at_ms", e.at.count()},
                    {"service", e.service},
                    {"incident", e.incident},
                    {"kind", e.approval ? "approval-request" : "page"},
                    {"channel", e.channel},
                    {"reason", e.reason},
                    {"summary", e.summary},
                    {"story", e.story},
                    {"affected", e.affected},
                    {"updates", e.updates}});
  j["escalations"] = escs;

  Json loops = Json::array();
  for (const auto& l : m.loops)
    loops.push_back({{"service", l.service},
                     {"first_ms", l.first.count()},
                     {"last_ms", l.last.count()},
                     {"actions", l.actions}});
  j["loops"] = loops;

  Json exps = Json::array();
  for (const auto& e : r.expectations)
    exps.push_back({{"metric", e.expectation.metric},
                    {"where", where_json(e.expectation.where)},
                    {"expected", e.expected},
                    {"actual", e.actual},
                    {"passed", e.passed},
                    {"line", e.expectation.line}});
  j["expectations"] = exps;
  j["disagreements"] = m.disagreements;
  j["notes"] = r.notes;
  return j;
}

std::string report_json_text(const RunResult& r) {
  return config::json_text(report_json(r)) + "\n";
}

}  // namespace selfheal::reports
