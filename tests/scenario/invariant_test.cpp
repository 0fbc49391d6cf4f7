// Invariants (issue 20): hard rules checked at every moment of a run. The library's
// orders-freeze scenario holds them with engine.freeze_when and breaks the first one without
// it; the reader reports every mistake with its line and field.
#include <catch2/catch.hpp>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

using namespace selfheal;
using namespace selfheal::scenario;

namespace {

constexpr const char* kLibraryScenario = "scenarios/orders-freeze.yaml";

Scenario library_scenario() {
  auto l = load_scenario_file(kLibraryScenario);
  INFO(l.diagnostics.describe());
  REQUIRE(l.scenario);
  return *l.scenario;
}

const std::string kBase = R"(scenario: inv
description: invariants
duration: 1h
cluster:
  namespace: prod
  services:
    api: {replicas: 3, traffic: {rps: 50}}
    db: {kind: database}
policies:
  remediation_policies:
    - {incident_type: memory-leak, action: restart, auto_execute: true}
expect:
  - {metric: actions, max: 100}
)";

std::string load_error(const std::string& invariants) {
  auto l = load_scenario_string(kBase + invariants, "inv.yaml", ".");
  REQUIRE_FALSE(l.scenario);
  return l.diagnostics.describe();
}

}  // namespace

TEST_CASE("orders-freeze: the freeze holds every invariant, without it the first one breaks",
          "[scenario][invariants][gates]") {
  Scenario s = library_scenario();
  REQUIRE(s.invariants.size() == 3);
  const RunResult held = run_scenario(s, {});
  for (const auto& i : held.invariants) {
    INFO(i.describe << ": " << i.decision);
    CHECK(i.held);
  }
  CHECK(held.passed());
  CHECK(held.verdict.invariants == 3);
  CHECK(held.verdict.invariants_broken == 0);
  // Measured by counterfactual branches, the leak's restarts change no error budget within
  // the horizon (the worker has no objective the leak breaks), so the verdict may hold on
  // "acted on wrongly" — but never on an invariant.
  for (const auto& why : held.verdict.hold_reasons)
    CHECK_THAT(why, !Catch::Contains("invariant"));

  s.policies.settings.freeze = {};  // the same policies without engine.freeze_when
  const RunResult broken = run_scenario(s, {});
  const InvariantResult& first = broken.invariants.at(0);
  CHECK(first.describe == "never any action while orders-db is unhealthy");
  CHECK_FALSE(first.held);
  REQUIRE(first.at.has_value());
  CHECK(*first.at > std::chrono::minutes{10});  // after the outage began at 10m
  CHECK(*first.at < std::chrono::minutes{40});  // and before it ended
  CHECK_THAT(first.decision, Catch::StartsWith("executed restart on report-worker"));
  CHECK(broken.invariants.at(1).held);  // nothing restarted orders-db
  CHECK_FALSE(broken.passed());         // a broken invariant fails `check`
  CHECK_FALSE(broken.verdict.go);
  CHECK_THAT(broken.verdict.paragraph, Catch::Contains("1 of 3 invariants broken"));
}

TEST_CASE("at_most_mode: recommend forbids actions, shadow forbids recommendations too",
          "[scenario][invariants]") {
  Scenario s = library_scenario();
  s.policies.settings.freeze = {};
  auto load_one = [&](const std::string& yaml) {
    auto l = load_scenario_string(kBase + yaml, "inv.yaml", ".");
    INFO(l.diagnostics.describe());
    REQUIRE(l.scenario);
    return l.scenario->invariants.at(0);
  };
  Invariant on_worker =
      load_one("invariants:\n  - at_most_mode: {service: api, mode: recommend}\n");
  on_worker.service = "report-worker";
  s.invariants = {on_worker};
  const RunResult r = run_scenario(s, {});
  REQUIRE_FALSE(r.invariants.at(0).held);
  CHECK_THAT(r.invariants.at(0).decision, Catch::StartsWith("executed restart on report-worker"));

  Invariant shadow = load_one("invariants:\n  - at_most_mode: {service: api, mode: shadow}\n");
  shadow.service = "orders-api";  // orders-api only ever gets recommendations (page policy)
  Invariant recommend = shadow;
  recommend.mode = engine::Mode::kRecommend;
  s.invariants = {shadow, recommend};
  const RunResult r2 = run_scenario(s, {});
  CHECK_FALSE(r2.invariants.at(0).held);
  CHECK_THAT(r2.invariants.at(0).decision, Catch::StartsWith("recommend on orders-api"));
  CHECK(r2.invariants.at(1).held);
}

TEST_CASE("invariants: mistakes are reported with line, field and did-you-mean",
          "[scenario][invariants]") {
  CHECK_THAT(load_error("invariants:\n  - never: {action: restart, targt: db}\n"),
             Catch::Contains("inv.yaml:15") && Catch::Contains("invariants[0].never") &&
                 Catch::Contains("target"));
  CHECK_THAT(load_error("invariants:\n  - never: {action: restrat}\n"),
             Catch::Contains("invariants[0].never.action"));
  CHECK_THAT(load_error("invariants:\n  - never: {action: any, while: {service: dbb, "
                        "unhealthy: true}}\n"),
             Catch::Contains("invariants[0].never.while.service") && Catch::Contains("\"db\""));
  CHECK_THAT(load_error("invariants:\n  - at_most_mode: {service: api, mode: auto}\n"),
             Catch::Contains("invariants[0].at_most_mode.mode"));
  CHECK_THAT(load_error("invariants:\n  - nevr: {action: any}\n"),
             Catch::Contains("invariants[0]") && Catch::Contains("never"));
  CHECK_THAT(load_error("invariants:\n  - never: {action: any, while: {service: db}}\n"),
             Catch::Contains("unhealthy: true"));
}

TEST_CASE("orders-transitive: only the transitive pre-check keeps the worker two hops away",
          "[scenario][invariants][gates]") {
  auto l = load_scenario_file("scenarios/orders-transitive.yaml");
  INFO(l.diagnostics.describe());
  REQUIRE(l.scenario);
  Scenario s = *l.scenario;
  const RunResult transitive = run_scenario(s, {});
  CHECK(transitive.passed());
  CHECK(transitive.invariants.at(0).held);
  CHECK(transitive.metrics.actions.empty());

  REQUIRE(s.policies.policies.at(0).dependency_precheck.transitive);
  s.policies.policies[0].dependency_precheck.transitive = false;  // today's direct pre-check
  const RunResult direct = run_scenario(s, {});
  const InvariantResult& first = direct.invariants.at(0);
  CHECK_FALSE(first.held);
  CHECK_THAT(first.decision, Catch::StartsWith("executed restart on report-worker"));
  CHECK(direct.metrics.wrongly_acted == 1);
  CHECK_FALSE(direct.passed());
}
