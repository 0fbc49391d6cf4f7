// Counterfactual branches (scenario/counterfactuals.hpp): a branch is the main run up to its
// decision and differs from it only by its intervention, and every measured metric moves
// when the behaviour it measures changes.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
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

/// The timeline event index and branch point of truth `t`'s decision.
std::pair<std::size_t, BranchPoint> decision_event(const Main& m, const DecisionTruth& t) {
  std::size_t k = 0;
  const auto& events = m.run.timeline.events;
  for (std::size_t ei = 0; ei < events.size(); ++ei) {
    const auto& e = events[ei];
    if (e.kind != sim::EventKind::kDecision || e.name == "resolved" || e.name == "duplicate")
      continue;
    if (k++ != t.decision) continue;
    REQUIRE(e.audit_index);
    auto it = m.run.point_of.find(*e.audit_index);
    REQUIRE(it != m.run.point_of.end());
    return {ei, it->second};
  }
  FAIL("decision not found");
  return {0, {}};
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
      // A recovery is known once it has held (5 min) and is then dated back to where the
      // hold began: run on past the window, as branches do, and compare up to its end.
      const core::TimePoint run_to = std::min(until + std::chrono::minutes{10}, m.run.timeline.end);
      Intervention same{ordinal, t.service, std::nullopt, /*replace=*/false};
      sim::WorldOptions branch_world;
      branch_world.record_series = false;  // as branches run
      const WorldRun b = run_world(s, s.seed, s.cluster, s.policies, branch_world, &same, run_to);
      CHECK(b.timeline.end == run_to);
      CHECK(events_until(b.timeline, until) == events_until(m.run.timeline, until));
      // Run in steps, as branches run until their incident is over: the very same world.
      WorldRunner stepped{s, s.seed, s.cluster, s.policies, branch_world, &same};
      for (core::TimePoint x = at; x < run_to; x += std::chrono::minutes{5})
        stepped.run_until(x);
      stepped.run_until(run_to);
      CHECK(events_until(stepped.timeline(), until) == events_until(m.run.timeline, until));
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
  // The window ends when the incident is over in every branch (here the campaign ends at
  // 2h30m and the service is back within its objectives at once), before the decision +
  // horizon (3h01m30s, capped at the scenario's end, 3h).
  CHECK(n.timeline.end == until);
  CHECK(t.window_end == std::chrono::minutes{150});
  CHECK(until <
        std::min(m.run.timeline.events[event].time + std::chrono::hours{2}, m.run.timeline.end));
  // A longer horizon does not move it; a shorter one caps it.
  CounterfactualOptions shorter;
  shorter.horizon = std::chrono::minutes{30};
  RunMetrics capped = compute_metrics(m.run.timeline, nullptr);
  measure_truth(s, s.seed, s.cluster, s.policies, m.run, capped, shorter);
  REQUIRE(capped.truths.size() == 1);
  CHECK(capped.truths[0].window_end == t.at + std::chrono::minutes{30});
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

namespace {

// A traffic spike on checkout-api during a campaign: the calendar-aware policy asks for
// approval to scale, the on-call approves (scaling helps a traffic spike) and the engine
// scales on that yes — a decision made at an approval answer, not at a notification.
constexpr const char* kApprovedScale = R"(scenario: approved-scale
duration: 3h
seed: 21
start: 2026-01-05T09:00:00Z
cluster:
  namespace: prod
  services:
    checkout-api: {replicas: 4, traffic: {rps: 250}, critical: true}
policies: policies/calendar-aware.yaml
calendar:
  - {name: winter-sale, kind: marketing-campaign, start: 1h, end: 2h30m, service: checkout-api,
     traffic_multiplier: 1.2, classification: {incident_type: cpu-spike, confidence: 0.91}}
faults:
  - {name: bot-storm, at: 1h10m, kind: traffic-spike, target: checkout-api, multiplier: 3,
     duration: 1h}
)";

Scenario approved_scale() {
  auto l = load_scenario_string(kApprovedScale, "approved-scale.yaml", "scenarios");
  INFO(l.diagnostics.describe());
  REQUIRE(l.scenario);
  return *l.scenario;
}

/// The branch point of every decision the engine made at `kind`, with its truth.
std::vector<const DecisionTruth*> truths_at(const Main& m, PointKind kind) {
  std::vector<const DecisionTruth*> out;
  for (const auto& t : m.metrics.truths)
    if (decision_event(m, t).second.kind == kind) out.push_back(&t);
  return out;
}

}  // namespace

TEST_CASE("an action executed on a person's approval is branched at the approval answer",
          "[scenario][counterfactuals]") {
  const Scenario s = approved_scale();
  const Main m = main_run(s);
  const auto approved = truths_at(m, PointKind::kApproval);
  REQUIRE(approved.size() == 1);
  const DecisionTruth& t = *approved[0];
  CHECK(t.acted);
  CHECK(t.action == "scale");
  CHECK(t.verdict == "helped");  // without the scale-out the spike burns ~40 min more
  CHECK(t.minutes_saved > 30.0);
  // Its action carries the measured verdict.
  int measured = 0;
  for (const auto& a : m.metrics.actions)
    measured += a.measured && a.at == t.at ? 1 : 0;
  CHECK(measured == 1);

  // The identity intervention at the approval answer is the main run; replacing it is the
  // main run up to that instant and a different world after it.
  const auto [event, point] = decision_event(m, t);
  const core::TimePoint at = m.run.timeline.events[event].time;
  const core::TimePoint until = m.run.timeline.start + t.window_end;
  const Intervention same{point, t.service, std::nullopt, false};
  const WorldRun b = run_world(s, s.seed, s.cluster, s.policies, {}, &same, until);
  CHECK(events_until(b.timeline, until) == events_until(m.run.timeline, until));
  const Intervention none{point, t.service, std::nullopt, true};
  const WorldRun n = run_world(s, s.seed, s.cluster, s.policies, {}, &none, until);
  const core::TimePoint before = at - std::chrono::milliseconds{1};
  CHECK(events_until(n.timeline, before) == events_until(m.run.timeline, before));
  CHECK(events_until(n.timeline, until) != events_until(m.run.timeline, until));
}

TEST_CASE("each repeated decision is branched at its own point and gets its own verdict",
          "[scenario][counterfactuals]") {
  const Scenario s = loaded("scenarios/db-outage-naive.yaml");
  const Main m = main_run(s);
  // Every decision where acting was possible has a truth of its own, at its own instant.
  int executed = 0;
  int held = 0;
  for (const auto& d : m.metrics.decisions) {
    executed += d.outcome == "executed" ? 1 : 0;
    held += d.outcome == "cooldown-active" ? 1 : 0;
  }
  // 12 restarts: the 12th verifies (the database is back within its window), so the loop stops.
  REQUIRE(executed == 12);
  int acted = 0;
  int held_truths = 0;
  std::set<std::size_t> decisions;
  for (const auto& t : m.metrics.truths) {
    CHECK(t.at == m.metrics.decisions[t.decision].at);
    decisions.insert(t.decision);
    acted += t.acted ? 1 : 0;
    held_truths += t.outcome == "cooldown-active" ? 1 : 0;
  }
  CHECK(decisions.size() == m.metrics.truths.size());
  CHECK(acted == executed);
  CHECK(held_truths == held);
  // The 2nd and 3rd restarts are measured from their own instants: different windows and
  // different minutes at stake than the first.
  std::vector<const DecisionTruth*> restarts;
  for (const auto& t : m.metrics.truths)
    if (t.acted) restarts.push_back(&t);
  REQUIRE(restarts.size() >= 3);
  CHECK(restarts[1]->at > restarts[0]->at);
  CHECK(restarts[2]->at > restarts[1]->at);
  CHECK(restarts[1]->branches.front().error_budget_minutes !=
        restarts[0]->branches.front().error_budget_minutes);
  // Every one of the loop's actions carries its own decision's measured verdict.
  for (const auto& a : m.metrics.actions)
    CHECK(a.measured);
  // The ladder's later restarts are decided inside the engine's own timers (a failed
  // verification climbs the ladder): those are branch points too.
  CHECK_FALSE(truths_at(m, PointKind::kTimer).empty());
}

TEST_CASE("branches at approvals, timers and repeats are byte-identical serial or threaded",
          "[scenario][counterfactuals][determinism]") {
  const std::vector<Scenario> scenarios{approved_scale(), loaded("scenarios/db-outage-naive.yaml")};
  auto text = [](const RunResult& r) {
    std::ostringstream o;
    for (const auto& t : r.metrics.truths) {
      o << t.decision << ' ' << t.at.count() << ' ' << t.verdict << ' ' << t.minutes_saved << ' '
        << t.best << ' ' << t.regret_minutes;
      for (const auto& b : t.branches)
        o << " | " << b.alternative << ' ' << b.error_budget_minutes << ' ' << b.pages << ' '
          << b.actions_after << ' ' << (b.ttr ? b.ttr->count() : -1);
      o << '\n';
    }
    return o.str();
  };
  for (const auto& s : scenarios) {
    INFO(s.name);
    const std::string serial = text(run_scenario(s));
    std::string a, b;
    std::thread t1([&] { a = text(run_scenario(s)); });
    std::thread t2([&] { b = text(run_scenario(s)); });
    t1.join();
    t2.join();
    CHECK_FALSE(serial.empty());
    CHECK(a == serial);
    CHECK(b == serial);
  }
}

TEST_CASE("a branch world without the audit evolves exactly as the world with it",
          "[scenario][counterfactuals]") {
  // Branches run with record_audit = false (counterfactuals.cpp): only the audit's text and
  // records may differ, never what happened, nor any outcome measured from it.
  for (const char* file : {"scenarios/db-outage-fixed.yaml", "scenarios/fast-leak-recurring.yaml",
                           "scenarios/campaign-underprovisioned.yaml"}) {
    INFO(file);
    const Scenario s = loaded(file);
    const Main m = main_run(s);
    REQUIRE_FALSE(m.metrics.truths.empty());
    sim::WorldOptions lean;
    lean.record_series = false;
    lean.record_audit = false;
    const core::TimePoint end = s.cluster.start + s.duration;
    const WorldRun b = run_world(s, s.seed, s.cluster, s.policies, lean, nullptr, end);
    CHECK(b.timeline.audit.empty());
    sim::Timeline full = m.run.timeline;
    // No decision, verification, rollback or delivery event; pages without their text.
    std::erase_if(full.events, [](const sim::TimelineEvent& e) {
      return e.kind == sim::EventKind::kDecision || e.kind == sim::EventKind::kVerification ||
             e.kind == sim::EventKind::kRollback || e.kind == sim::EventKind::kIncidentDelivered;
    });
    for (auto& e : full.events)
      if (e.kind == sim::EventKind::kPage || e.kind == sim::EventKind::kPageUpdate ||
          e.kind == sim::EventKind::kApprovalRequest)
        e.detail.clear();
    CHECK(events_until(b.timeline, end) == events_until(full, end));
    REQUIRE(b.timeline.incidents.size() == full.incidents.size());
    for (std::size_t k = 0; k < full.incidents.size(); ++k) {
      CHECK(b.timeline.incidents[k].impact == full.incidents[k].impact);
      CHECK(b.timeline.incidents[k].recovered == full.incidents[k].recovered);
      CHECK(b.timeline.incidents[k].end == full.incidents[k].end);
    }
    for (const auto& t : m.metrics.truths) {
      std::vector<std::string> services{t.service};
      for (const auto& i : m.metrics.incidents)
        if (i.id == t.incident)
          for (const auto& a : i.affected)
            if (a != t.service) services.push_back(a);
      const core::TimePoint at = s.cluster.start + t.at;
      const core::TimePoint to = s.cluster.start + t.window_end;
      const BranchOutcome x = measure_outcome(b.timeline, t.incident, t.service, services, at, to);
      const BranchOutcome& as = t.branches.front();
      CHECK(x.error_budget_minutes == as.error_budget_minutes);
      CHECK(x.recovered == as.recovered);
      CHECK(x.ttr == as.ttr);
      CHECK(x.pages == as.pages);
      CHECK(x.actions_after == as.actions_after);
    }
  }
}

namespace {

/// Every field of a truth, one line (what a report shows of it and more).
std::string truth_line(const DecisionTruth& t) {
  std::ostringstream o;
  o << t.decision << ' ' << t.at.count() << ' ' << t.window_end.count() << ' ' << t.service << ' '
    << t.incident << ' ' << t.outcome << ' ' << t.action << ' ' << t.acted << " [" << t.verdict
    << "] " << t.minutes_saved << ' ' << t.basis << ' ' << t.incident_start.count() << ' ' << t.best
    << ' ' << t.best_minutes << ' ' << t.regret_minutes << ' '
    << (t.declared_helpful ? (*t.declared_helpful ? 1 : 0) : -1);
  for (const auto& b : t.branches)
    o << " {" << b.alternative << ' ' << b.error_budget_minutes << ' ' << b.breached << ' '
      << b.recovered << ' ' << (b.ttr ? b.ttr->count() : -1) << ' ' << b.pages << ' '
      << b.actions_after << '}';
  return o.str();
}

std::vector<std::string> truths_of(const RunMetrics& m) {
  std::vector<std::string> out;
  for (const auto& t : m.truths)
    out.push_back(truth_line(t));
  return out;
}

}  // namespace

TEST_CASE("branches forked from a snapshot measure exactly what replayed branches measure",
          "[scenario][counterfactuals]") {
  // Between them, these play branches at notifications, at approval answers and in the
  // engine's timers (a ladder's later rungs), with PromQL checks and a Prometheus rule file.
  for (const char* file :
       {"scenarios/db-outage-naive.yaml", "scenarios/campaign-underprovisioned-cautious.yaml",
        "scenarios/flapping-upstream.yaml", "scenarios/verification-false-failure.yaml",
        "scenarios/prometheus-rules-shop.yaml", "scenarios/orders-freeze.yaml",
        "scenarios/fast-leak-recurring.yaml"}) {
    INFO(file);
    const Scenario s = loaded(file);
    const WorldRun run =
        run_world(s, s.seed, s.cluster, s.policies, {}, nullptr, s.cluster.start + s.duration);
    RunMetrics snapshot = compute_metrics(run.timeline, nullptr);
    RunMetrics replay = snapshot;
    measure_truth(s, s.seed, s.cluster, s.policies, run, snapshot);
    CounterfactualOptions replayed;
    replayed.replay = true;
    measure_truth(s, s.seed, s.cluster, s.policies, run, replay, replayed);
    REQUIRE_FALSE(replay.truths.empty());
    CHECK(snapshot.branches == replay.branches);
    CHECK(truths_of(snapshot) == truths_of(replay));
  }
}

TEST_CASE("a fork goes on exactly as the runner it was forked from",
          "[scenario][counterfactuals]") {
  const Scenario s = loaded("scenarios/db-outage-naive.yaml");
  const core::TimePoint end = s.cluster.start + s.duration;
  sim::WorldOptions quiet;
  quiet.record_series = false;
  WorldRunner whole{s, s.seed, s.cluster, s.policies, quiet, nullptr};
  whole.run_until(end);
  WorldRunner prefix{s, s.seed, s.cluster, s.policies, quiet, nullptr};
  // Forks at several instants, each run to the end: the whole run's timeline every time,
  // and the prefix it was forked from is not moved by it.
  for (const std::uint64_t event : {1U, 40U, 400U, 4000U}) {
    INFO("forked before event " << event);
    prefix.run_to_event(event);
    const auto before = events_until(prefix.timeline(), end);
    WorldRunner f = prefix.fork(nullptr);
    f.run_until(end);
    CHECK(events_until(f.timeline(), end) == events_until(whole.timeline(), end));
    CHECK(events_until(prefix.timeline(), end) == before);
  }
}
