// Counterfactual branches (scenario/counterfactuals.hpp): a branch is the main run up to its
// decision and differs from it only by its intervention, and every measured metric moves
// when the behaviour it measures changes.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "scenario/counterfactuals.hpp"
#include "scenario/run_metrics.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "scenario/world_run.hpp"

using namespace selfheal;
using namespace selfheal::scenario;

namespace {

Scenario loaded(const std::string& file) {
  auto l = load_scenario_file(file);
  INFO(l.diagnostics.describe());
  REQUIRE(l.scenario);
  return *l.scenario;
}

/// Every timeline event at or before `until`, one line each (every field reports read).
std::vector<std::string> events_until(const sim::Timeline& t, core::TimePoint until) {
  std::vector<std::string> out;
  for (const auto& e : t.events) {
    if (e.time > until) continue;
    std::ostringstream line;
    line << core::to_unix_ms(e.time) << ' ' << static_cast<int>(e.kind) << ' ' << e.service << ' '
         << e.incident << ' ' << e.fingerprint << ' ' << e.action_id << ' ' << e.name << ' '
         << e.detail << ' ' << (e.success ? (*e.success ? 1 : 0) : -1) << ' ' << e.automated;
    out.push_back(line.str());
  }
  return out;
}

struct Main {
  WorldRun run;
  RunMetrics metrics;
};

Main main_run(const Scenario& s) {
  Main m;
  m.run = run_world(s, s.seed, s.cluster, s.policies, {}, nullptr, s.cluster.start + s.duration);
  m.metrics = compute_metrics(m.run.timeline, nullptr);
  measure_truth(s, s.seed, s.cluster, s.policies, m.run, m.metrics);
  return m;
}

/// The timeline event index and notification ordinal of truth `t`'s decision.
std::pair<std::size_t, std::size_t> decision_event(const Main& m, const DecisionTruth& t) {
  std::size_t k = 0;
  for (const auto& [event, ordinal] : m.run.notification_of) {
    const auto& e = m.run.timeline.events[event];
    if (e.name == "resolved" || e.name == "duplicate") continue;
    if (k++ == t.decision) return {event, ordinal};
  }
  FAIL("decision not found");
  return {0, 0};
}

}  // namespace

TEST_CASE("a branch that repeats the main run's decision reproduces the main run exactly",
          "[scenario][counterfactuals]") {
  for (const char* file :
       {"scenarios/campaign-underprovisioned.yaml", "scenarios/db-outage-naive.yaml",
        "scenarios/fast-leak-recurring.yaml"}) {
    INFO(file);
    const Scenario s = loaded(file);
    const Main m = main_run(s);
    REQUIRE_FALSE(m.metrics.truths.empty());
    for (const auto& t : m.metrics.truths) {
      INFO("decision at " << t.at.count() << " ms on " << t.service);
      const auto [event, ordinal] = decision_event(m, t);
      const core::TimePoint at = m.run.timeline.events[event].time;
      const core::TimePoint until = m.run.timeline.start + t.window_end;
      Intervention same{ordinal, t.service, std::nullopt, /*replace=*/false};
      sim::WorldOptions branch_world;
      branch_world.record_series = false;  // as branches run
      const WorldRun b = run_world(s, s.seed, s.cluster, s.policies, branch_world, &same, until);
      CHECK(b.timeline.end == until);
      CHECK(events_until(b.timeline, until) == events_until(m.run.timeline, until));
      // Measured the same way, it is the "as decided" branch exactly.
      std::vector<std::string> services{t.service};
      for (const auto& i : m.metrics.incidents)
        if (i.id == t.incident)
          for (const auto& a : i.affected)
            if (a != t.service) services.push_back(a);
      const BranchOutcome again =
          measure_outcome(b.timeline, t.incident, t.service, services, at, until);
      const BranchOutcome& as = t.branches.front();
      CHECK(again.error_budget_minutes == as.error_budget_minutes);
      CHECK(again.recovered == as.recovered);
      CHECK(again.ttr == as.ttr);
      CHECK(again.pages == as.pages);
      CHECK(again.actions_after == as.actions_after);

      // Replacing the decision instead: the very same world before it, a different one after.
      Intervention none{ordinal, t.service, std::nullopt, /*replace=*/true};
      const WorldRun n = run_world(s, s.seed, s.cluster, s.policies, branch_world, &none, until);
      const core::TimePoint before = at - std::chrono::milliseconds{1};
      CHECK(events_until(n.timeline, before) == events_until(m.run.timeline, before));
    }
  }
}

TEST_CASE("not acting differs from acting only after the decision, and is measured so",
          "[scenario][counterfactuals]") {
  const Scenario s = loaded("scenarios/campaign-underprovisioned.yaml");
  const Main m = main_run(s);
  REQUIRE(m.metrics.truths.size() == 1);
  const DecisionTruth& t = m.metrics.truths[0];
  CHECK(t.acted);
  CHECK(t.action == "scale");
  const auto [event, ordinal] = decision_event(m, t);
  const core::TimePoint until = m.run.timeline.start + t.window_end;
  Intervention none{ordinal, t.service, std::nullopt, true};
  const WorldRun n = run_world(s, s.seed, s.cluster, s.policies, {}, &none, until);
  CHECK(events_until(n.timeline, until) != events_until(m.run.timeline, until));
  // The branch stops at the decision + horizon (here capped at the scenario's end).
  CHECK(n.timeline.end == until);
  CHECK(until ==
        std::min(m.run.timeline.events[event].time + std::chrono::hours{2}, m.run.timeline.end));
  // The verdict and the disagreement with the declared table.
  CHECK(t.verdict == "helped");
  CHECK(t.basis == "error budget");
  CHECK(t.minutes_saved > 60.0);
  REQUIRE(t.declared_helpful);
  CHECK_FALSE(*t.declared_helpful);
  REQUIRE(m.metrics.disagreements.size() == 1);
  CHECK(m.metrics.disagreements[0].find("declared wrong, measured helped: scale checkout-api") ==
        0);
  REQUIRE(m.metrics.actions.size() == 1);
  CHECK(m.metrics.actions[0].measured);
  CHECK(m.metrics.actions[0].helpful);
  CHECK_FALSE(m.metrics.actions[0].declared_helpful);
}

TEST_CASE("missed incidents and regret: a cautious policy against one that acts",
          "[scenario][counterfactuals]") {
  Scenario cautious = loaded("scenarios/campaign-underprovisioned-cautious.yaml");
  const RunResult c = run_scenario(cautious);
  CHECK(c.metrics.missed_incidents == 1);
  REQUIRE(c.metrics.regret_minutes);
  CHECK(*c.metrics.regret_minutes > 60.0);
  // No approval needed during the campaign: the engine scales, nothing is missed.
  REQUIRE(cautious.policies.policies.size() == 1);
  cautious.policies.policies[0].planned_events.approval_required_for.clear();
  cautious.policies.policies[0].planned_events.confidence_penalty = 0.0;
  const RunResult bold = run_scenario(cautious);
  CHECK(bold.metrics.actions.size() == 1);
  CHECK(bold.metrics.missed_incidents == 0);
  REQUIRE(bold.metrics.regret_minutes);
  CHECK(*bold.metrics.regret_minutes < 1.0);
}

TEST_CASE("harmful decisions: a scale-in during the campaign is measured worse than nothing",
          "[scenario][counterfactuals]") {
  Scenario s = loaded("scenarios/campaign-underprovisioned.yaml");
  s.cluster.services[0].replicas = 6;  // fails less, so there is something to lose
  const RunResult up = run_scenario(s);
  CHECK(up.metrics.harmful_decisions == 0);
  s.policies.policies[0].actions[0].replicas = 1;
  const RunResult down = run_scenario(s);
  REQUIRE(down.metrics.truths.size() >= 1);
  CHECK(down.metrics.truths[0].verdict == "hurt");
  CHECK(down.metrics.harmful_decisions == 1);
  CHECK(down.metrics.wrongly_acted == 1);
  REQUIRE(down.metrics.incidents.size() == 1);
  CHECK(down.metrics.incidents[0].measured_worse == true);
}

TEST_CASE("verification accuracy: false failures and false passes follow the checks",
          "[scenario][counterfactuals]") {
  Scenario s = loaded("scenarios/verification-false-failure.yaml");
  // The library's policy checks "traffic back to its baseline", which cannot be measured:
  // verified as an operator would, by the service's objective (met) — no false failure.
  const RunResult unmeasurable = run_scenario(s);
  CHECK(unmeasurable.metrics.verification_false_failures == 0);
  CHECK(unmeasurable.metrics.verification_false_passes == 0);
  // A wrong check that can be measured (traffic at most 300 rps, during a 3x campaign)
  // fails the scale-out that ended the outage: the false failure the branches measure.
  engine::VerificationCheck traffic;
  traffic.signal = engine::SignalName::kRequestRate;
  traffic.max = 300;
  s.policies.policies[0].verification = {traffic};
  const RunResult wrong_check = run_scenario(s);
  CHECK(wrong_check.metrics.verification_false_failures == 1);
  CHECK(wrong_check.metrics.verification_false_passes == 0);
  // The default checks (error rate back within the objective...) pass: no false failure.
  s.policies.policies[0].verification.clear();
  const RunResult default_check = run_scenario(s);
  CHECK(default_check.metrics.verification_false_failures == 0);
  CHECK(default_check.metrics.verification_false_passes == 0);
  // Provisioned for the campaign: the scale-out passes verification but changes nothing.
  s.cluster.services[0].replicas = 11;
  const RunResult provisioned = run_scenario(s);
  CHECK(provisioned.metrics.verification_false_passes == 1);
  CHECK(provisioned.metrics.wrongly_acted == 1);
}

TEST_CASE("without counterfactuals the verdicts stay declared and the new metrics unset",
          "[scenario][counterfactuals]") {
  const Scenario s = loaded("scenarios/campaign-underprovisioned.yaml");
  RunOptions o;
  o.counterfactuals = false;
  const RunResult r = run_scenario(s, o);
  CHECK_FALSE(r.metrics.branches);
  CHECK_FALSE(r.metrics.missed_incidents);
  CHECK_FALSE(r.metrics.regret_minutes);
  CHECK_FALSE(r.metrics.verification_false_failures);
  CHECK(r.metrics.truths.empty());
  REQUIRE(r.metrics.actions.size() == 1);
  CHECK_FALSE(r.metrics.actions[0].helpful);  // the declared table
  CHECK_FALSE(r.metrics.actions[0].measured);
  CHECK(r.metrics.wrongly_acted == 1);
  // The scenario's expectations are the measured verdicts: they fail on declared ones.
  CHECK(r.failed_expectations() > 0);
}
