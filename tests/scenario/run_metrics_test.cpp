// Every metric on a small run built by hand, so each figure can be checked on paper.
//
// The story (minutes from the start; scenario of 2h):
//   db-down: payments-db outage 10..55, affects payments-db and payment-api. Alert at 11.
//     The engine restarts payment-api at 12, 16, 20 (verifications at 15, 19, 23 fail),
//     then pages at 24. Recovered at 58 (TTR 48). Wrong actions: restarts.
//   leak: memory leak on worker at 30, alert 40, restart 41, verified 46, recovered 47
//     (TTR 17), no page: an automated recovery.
//   spike: traffic spike at 100 on api-2 fires an alert at 101 and never recovers.
//   quiet: a fault that fired no alert: not an incident.
// Outside objectives: payment-api 10..58 and payments-db 10..55 (twin: payment-api 10..50),
// worker 40..47 (twin: 40..70), api-2 100..120.
#include <catch2/catch.hpp>

#include "scenario/run_metrics.hpp"
#include "sim/timeline.hpp"

using namespace selfheal;
using namespace selfheal::scenario;
using namespace std::chrono_literals;

namespace {

const core::TimePoint T0 = sim::ClusterSpec{}.start;
core::TimePoint at(int minutes) {
  return T0 + std::chrono::minutes{minutes};
}

sim::IncidentRecord incident(std::string id, std::string kind, std::string root, std::string type,
                             int start, std::vector<std::string> impacted,
                             std::optional<int> recovered, std::vector<sim::ActionTarget> helpful) {
  sim::IncidentRecord r;
  r.truth.id = std::move(id);
  r.truth.kind = std::move(kind);
  r.truth.root_service = root;
  r.truth.incident_type = std::move(type);
  r.truth.start = std::chrono::minutes{start};
  r.truth.affected = impacted;
  r.truth.helpful = std::move(helpful);
  r.start = at(start);
  r.impact = at(start);
  if (recovered) r.recovered = at(*recovered);
  r.impacted = std::move(impacted);
  return r;
}

void outside(sim::Timeline& t, const std::string& svc, int from, int to) {
  for (auto& s : t.services)
    if (s.service == svc) s.outside_objectives.push_back({at(from), at(to)});
}

sim::TimelineEvent ev(int minute, sim::EventKind k, std::string svc, std::string inc,
                      std::string name = {}, std::optional<bool> ok = std::nullopt,
                      std::uint64_t action = 0) {
  sim::TimelineEvent e;
  e.time = at(minute);
  e.kind = k;
  e.service = std::move(svc);
  e.incident = std::move(inc);
  e.name = std::move(name);
  e.success = ok;
  e.action_id = action;
  e.automated = true;
  return e;
}

sim::Timeline base() {
  sim::Timeline t;
  t.start = T0;
  t.end = at(120);
  for (const char* s : {"payment-api", "payments-db", "worker", "api-2"}) {
    sim::ServiceSeries ss;
    ss.service = s;
    t.services.push_back(ss);
  }
  using engine::ActionKind;
  t.incidents.push_back(incident("db-down", "dependency-outage", "payments-db",
                                 "dependency-failure", 10, {"payments-db", "payment-api"}, 58, {}));
  t.incidents.push_back(incident("leak", "memory-leak", "worker", "memory-leak", 30, {"worker"}, 47,
                                 {{ActionKind::kRestart, "worker"}}));
  t.incidents.push_back(
      incident("spike", "traffic-spike", "api-2", "traffic-spike", 100, {"api-2"}, {}, {}));
  t.incidents.push_back(incident("quiet", "pod-loss", "api-2", "pod-loss", 60, {"api-2"}, 61, {}));
  return t;
}

sim::Timeline run() {
  sim::Timeline t = base();
  using K = sim::EventKind;
  auto decision = [&](int m, std::string svc, std::string inc, engine::Outcome o, std::string type,
                      double conf) {
    engine::AuditRecord a;
    a.outcome = o;
    a.classification = engine::Classification{type, conf, "external", {}};
    t.audit.push_back(a);
    auto e = ev(m, K::kDecision, std::move(svc), std::move(inc), std::string(engine::to_string(o)));
    e.audit_index = t.audit.size() - 1;
    t.events.push_back(e);
  };
  t.events.push_back(ev(11, K::kAlertFiring, "payment-api", "db-down", "HighErrorRate"));
  for (int k = 0; k < 3; ++k) {
    const int m = 12 + 4 * k;
    decision(m, "payment-api", "db-down", engine::Outcome::kExecuted, "application-crash", 0.93);
    t.events.push_back(ev(m, K::kActionStarted, "payment-api", "db-down", "restart", {}, 1 + k));
    t.events.push_back(
        ev(m + 3, K::kVerification, "payment-api", "db-down", "verification", false, 1 + k));
  }
  t.events.push_back(ev(24, K::kPage, "payment-api", "db-down", "max-attempts-reached"));
  t.events.push_back(ev(40, K::kAlertFiring, "worker", "leak", "OOMKilled"));
  decision(41, "worker", "leak", engine::Outcome::kExecuted, "memory-leak", 0.97);
  t.events.push_back(ev(41, K::kActionStarted, "worker", "leak", "restart", {}, 10));
  t.events.push_back(ev(46, K::kVerification, "worker", "leak", "verification", true, 10));
  t.events.push_back(ev(101, K::kAlertFiring, "api-2", "spike", "HighCPU"));
  decision(101, "api-2", "spike", engine::Outcome::kApprovalRequired, "cpu-spike", 0.5);
  t.events.push_back(ev(101, K::kApprovalRequest, "api-2", "spike", "approval-required"));
  std::sort(t.events.begin(), t.events.end(),
            [](const auto& a, const auto& b) { return a.time < b.time; });
  outside(t, "payment-api", 10, 58);
  outside(t, "payments-db", 10, 55);
  outside(t, "worker", 40, 47);
  outside(t, "api-2", 100, 120);
  return t;
}

sim::Timeline twin() {
  sim::Timeline t = base();
  t.incidents[0].recovered = at(52);
  t.incidents[1].recovered = at(70);
  t.events.push_back(ev(11, sim::EventKind::kAlertFiring, "payment-api", "db-down", "x"));
  outside(t, "payment-api", 10, 50);
  outside(t, "payments-db", 10, 55);
  outside(t, "worker", 40, 70);
  outside(t, "api-2", 100, 120);
  return t;
}

}  // namespace

TEST_CASE("incidents are faults that fired an alert, TTR and MTTR count the unrecovered",
          "[metrics]") {
  const sim::Timeline t = run();
  const RunMetrics m = compute_metrics(t, nullptr);
  REQUIRE(m.incidents.size() == 3);  // "quiet" fired no alert
  CHECK(m.incidents[0].id == "db-down");
  CHECK(m.incidents[0].detection == 1min);
  CHECK(m.incidents[0].ttr == 48min);
  CHECK(m.incidents[1].ttr == 17min);
  CHECK_FALSE(m.incidents[2].recovered);
  CHECK(m.recovered == 2);
  CHECK(m.unrecovered == 1);
  CHECK(m.mttr_mean == Duration{(48 + 17) * 60000 / 2});  // 32m30s
  CHECK(m.mttr_p50 == 17min);
  CHECK(m.mttr_p90 == 48min);
}

TEST_CASE("classification, decisions, actions, verifications and escalations per incident",
          "[metrics]") {
  const RunMetrics m = compute_metrics(run(), nullptr);
  const IncidentMetrics& db = m.incidents[0];
  CHECK(db.classified_as == "application-crash");
  CHECK(db.confidence == Approx(0.93));
  CHECK(db.classification_correct == false);
  CHECK(db.decisions == 3);
  CHECK(db.outcomes.at("executed") == 3);
  CHECK(db.actions == 3);
  CHECK(db.wrong == 3);
  CHECK(db.helpful == 0);
  CHECK(db.wrongly_acted);
  CHECK(db.verifications == 3);
  CHECK(db.verifications_passed == 0);
  CHECK(db.pages == 1);
  CHECK(db.time_to_escalate == 14min);
  CHECK_FALSE(db.automated_recovery);
  const IncidentMetrics& leak = m.incidents[1];
  CHECK(leak.classification_correct == true);
  CHECK(leak.helpful == 1);
  CHECK_FALSE(leak.wrongly_acted);
  CHECK(leak.automated_recovery);
  CHECK_FALSE(leak.time_to_escalate);
  const IncidentMetrics& spike = m.incidents[2];
  CHECK(spike.approval_requests == 1);
  CHECK(spike.pages == 0);
  CHECK(spike.time_to_escalate == 1min);
}

TEST_CASE("run-level rates, loops and the busiest target", "[metrics]") {
  const RunMetrics m = compute_metrics(run(), nullptr);
  CHECK(m.wrongly_acted == 1);
  CHECK(m.remediation_loops == 1);  // 3 restarts within 8 minutes, none verified
  REQUIRE(m.loops.size() == 1);
  CHECK(m.loops[0].service == "payment-api");
  CHECK(m.loops[0].actions == 3);
  CHECK(m.max_actions_per_target_hour == 3);
  CHECK(m.max_actions_target == "payment-api");
  CHECK(m.automated_recovery_rate == Approx(1.0 / 3.0));
  CHECK(m.verification_pass_rate == Approx(0.25));
  CHECK(m.pages == 1);
  CHECK(m.approval_requests == 1);
  CHECK(m.pages_per_incident == Approx(1.0 / 3.0));
  CHECK(m.time_to_escalate_mean == Duration{(14 + 1) * 60000 / 2});
  CHECK_FALSE(m.made_worse);
  CHECK_FALSE(m.twin_error_budget_minutes);
  // 48 + 45 + 7 + 20 minutes outside objectives.
  CHECK(m.error_budget_minutes == Approx(120.0));
}

TEST_CASE("made worse compares error-budget minutes with the shadow-mode twin", "[metrics]") {
  const sim::Timeline t = run();
  const sim::Timeline tw = twin();
  const RunMetrics m = compute_metrics(t, &tw);
  // db-down, window 10..58: with automation 48 + 45 = 93, twin 40 + 45 = 85: +8 is more
  // than max(0.5, 5% of 85).
  CHECK(m.incidents[0].error_budget_minutes == Approx(93.0));
  CHECK(m.incidents[0].twin_error_budget_minutes == Approx(85.0));
  CHECK(m.incidents[0].made_worse == true);
  // leak, window 30..70: 7 with automation, 30 without: saved.
  CHECK(m.incidents[1].error_budget_minutes == Approx(7.0));
  CHECK(m.incidents[1].twin_error_budget_minutes == Approx(30.0));
  CHECK(m.incidents[1].made_worse == false);
  CHECK(m.made_worse == 1);
  CHECK(m.twin_error_budget_minutes == Approx(40.0 + 45.0 + 30.0 + 20.0));
  // Within the tolerance it is not "worse".
  sim::Timeline close = twin();
  close.services[0].outside_objectives = {{at(10), at(57)}};
  close.incidents[0].recovered = at(58);
  CHECK(compute_metrics(t, &close).incidents[0].made_worse == false);
}
