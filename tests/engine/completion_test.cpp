// Verification as an operator would do it (docs/pipeline.md#verification): wait for the
// action to take effect (kubectl rollout status's rule over Actuator::deployment, bounded by
// completion_timeout), then judge each check by its bound, the service's objective and the
// before-action state (improvement_margin). The rollout inputs are shared with the live test
// (tests/support/verification_inputs.hpp).
#include <catch2/catch.hpp>

#include "engine/checks.hpp"
#include "engine/policy_loader.hpp"
#include "engine/testing/engine_rig.hpp"
#include "engine/time_text.hpp"
#include "tests/support/verification_inputs.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace completion_test {

using namespace selfheal::engine;
using namespace std::chrono_literals;
namespace v = selfheal::test_support::verification;

namespace {

const TimePoint kT0 = *parse_time("2026-11-27T18:00:00Z");
const ServiceRef kTarget{v::kNamespace, v::kService};

PolicySet load(const std::string& yaml) {
  auto l = load_policy_string(yaml, "verification.yaml");
  INFO(l.diagnostics.describe());
  REQUIRE(l.policies);
  return *l.policies;
}

Incident leak() {
  Incident i;
  i.target = kTarget;
  i.fingerprint = "fp-leak";
  i.started_at = kT0;
  i.classification = ExternalClassification{"memory-leak", 0.97};
  return i;
}

std::vector<AuditRecord> of_kind(const testing::EngineRig& rig, AuditKind k) {
  std::vector<AuditRecord> out;
  for (const auto& r : rig.audit.records())
    if (r.kind == k) out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE("rollout_progress applies kubectl rollout status's rule", "[engine][verification]") {
  CHECK(rollout_progress(v::kRolloutStatus[0]) ==
        "waiting for the deployment spec update to be observed (generation 8, observed 7)");
  CHECK(rollout_progress(v::kRolloutStatus[1]) == "2 of 4 new replicas have been updated");
  CHECK(rollout_progress(v::kRolloutStatus[2]) == "1 old replicas are pending termination");
  CHECK(rollout_progress(v::kRolloutStatus[3]).empty());
  DeploymentStatus unavailable = v::kRolloutStatus[3];
  unavailable.available = 3;
  CHECK(rollout_progress(unavailable) == "3 of 4 updated replicas are available");
  DeploymentStatus failed;
  failed.observed = true;
  failed.error = "exit 1: NotFound";
  CHECK(rollout_progress(failed) == "status not read: exit 1: NotFound");
}

TEST_CASE("verification waits for the rollout before its window starts",
          "[engine][verification][completion]") {
  testing::EngineRig rig{kT0};
  rig.actuator.deployments.assign(v::kRolloutStatus.begin(), v::kRolloutStatus.end());
  rig.start(load(v::kPolicy));
  REQUIRE(rig.engine->handle(leak()).outcome == Outcome::kExecuted);
  rig.scheduler.advance(30s);  // done; the rollout is only starting
  CHECK(rig.actuator.deployment_reads().size() == 1);
  rig.scheduler.advance(5min);  // the window as counted from "done": not judged yet
  CHECK(of_kind(rig, AuditKind::kVerification).empty());
  CHECK(rig.actuator.deployment_reads().size() == 4);  // three polls of 15s
  const auto results = of_kind(rig, AuditKind::kActionResult);
  REQUIRE(results.size() == 2);
  CHECK_THAT(results[1].reason, Catch::Contains(v::kTookEffect));
  CHECK_THAT(results[1].detail, Catch::Contains("verification at 2026-11-27T18:06:15"));
  rig.scheduler.advance(45s);  // 45 s of rollout + the 5 min window
  const auto verifications = of_kind(rig, AuditKind::kVerification);
  REQUIRE(verifications.size() == 1);
  CHECK(verifications[0].success == true);
  CHECK(verifications[0].time == kT0 + 30s + 45s + 5min);
}

TEST_CASE("an action that never takes effect fails at completion_timeout",
          "[engine][verification][completion]") {
  testing::EngineRig rig{kT0};
  rig.actuator.deployments = {v::kStuckStatus};
  rig.start(load(v::kPolicy));
  REQUIRE(rig.engine->handle(leak()).outcome == Outcome::kExecuted);
  rig.scheduler.advance(30s + 2min - 1s);
  CHECK(of_kind(rig, AuditKind::kVerification).empty());
  rig.scheduler.advance(1s);
  const auto verifications = of_kind(rig, AuditKind::kVerification);
  REQUIRE(verifications.size() == 1);
  CHECK(verifications[0].success == false);
  CHECK(verifications[0].reason == v::kDidNotComplete);
  CHECK(verifications[0].detail == v::kStuckDetail);
  CHECK_FALSE(rig.state.load(kTarget).in_flight);
}

TEST_CASE("an actuator that cannot observe rollouts is judged one window after done",
          "[engine][verification][completion]") {
  testing::EngineRig rig{kT0};  // no scripted deployments: not observed
  rig.start(load(v::kPolicy));
  REQUIRE(rig.engine->handle(leak()).outcome == Outcome::kExecuted);
  rig.scheduler.advance(30s + 5min);
  REQUIRE(of_kind(rig, AuditKind::kVerification).size() == 1);
  CHECK(of_kind(rig, AuditKind::kActionResult).size() == 1);  // no "took effect" record
}

TEST_CASE("a check that misses its bound passes when improved by the margin",
          "[engine][verification][judgement]") {
  auto run = [](const std::string& extra) {
    testing::EngineRig rig{kT0};
    rig.telemetry.fallback.error_rate = 0.40;  // when the action is taken
    rig.start(load(std::string(v::kPolicy) + extra));
    REQUIRE(rig.engine->handle(leak()).outcome == Outcome::kExecuted);
    rig.telemetry.fallback.error_rate = 0.10;  // the window still holds the tail
    rig.scheduler.advance(30s + 5min);
    const auto out = of_kind(rig, AuditKind::kVerification);
    REQUIRE(out.size() == 1);
    return out[0];
  };
  const auto improved = run("");
  CHECK(improved.success == true);
  CHECK_THAT(improved.detail,
             Catch::Contains("error_rate 0.100 > 0.020, but down 75% from 0.400 when the action "
                             "was taken (margin 50%)"));
  const auto off = run("    improvement_margin: 0\n");
  INFO(off.detail << " / " << off.reason);
  CHECK(off.success == false);
  const auto strict = run("    improvement_margin: 0.8\n");
  CHECK(strict.success == false);
  CHECK_THAT(strict.detail, Catch::Contains("0.400 when the action was taken (not down by the "
                                            "margin 80%)"));
}

TEST_CASE("a check that misses its bound passes within the service objective",
          "[engine][verification][judgement]") {
  testing::EngineRig rig{kT0};
  rig.telemetry.fallback.error_rate = 0.04;  // barely better than before: no margin
  rig.telemetry.fallback.error_rate_objective = 0.05;
  rig.start(load(v::kPolicy));
  REQUIRE(rig.engine->handle(leak()).outcome == Outcome::kExecuted);
  rig.scheduler.advance(30s + 5min);
  const auto out = of_kind(rig, AuditKind::kVerification);
  REQUIRE(out.size() == 1);
  CHECK(out[0].success == true);
  CHECK_THAT(out[0].detail,
             Catch::Contains("error_rate 0.040 > 0.020, but within the service objective 0.050"));
}

TEST_CASE("policy checks that cannot be measured fall back to the service objectives",
          "[engine][verification][judgement]") {
  const std::string policy = std::string(v::kPolicy) +
                             "    verification:\n"
                             "      - {signal: request_rate, back_to_baseline: true}\n";
  testing::EngineRig rig{kT0};
  rig.telemetry.fallback.error_rate_objective = 0.01;
  rig.start(load(policy));
  REQUIRE(rig.engine->handle(leak()).outcome == Outcome::kExecuted);
  rig.scheduler.advance(30s + 5min);
  auto out = of_kind(rig, AuditKind::kVerification);
  REQUIRE(out.size() == 1);
  CHECK(out[0].success == true);
  CHECK_THAT(out[0].detail,
             Catch::Contains("skipped: request_rate back to baseline: no baseline; pass: "
                             "objective: "
                             "error_rate 0.001 <= 0.010"));

  testing::EngineRig none{kT0};  // no objective stated: nothing to judge, not verified
  none.start(load(policy));
  REQUIRE(none.engine->handle(leak()).outcome == Outcome::kExecuted);
  none.scheduler.advance(30s + 5min);
  out = of_kind(none, AuditKind::kVerification);
  REQUIRE(out.size() == 1);
  CHECK(out[0].success == false);
}

TEST_CASE("completion_timeout and improvement_margin are read and checked",
          "[engine][verification][policy]") {
  const auto p = load(v::kPolicy);
  CHECK(p.policies[0].completion_timeout == 2min);
  CHECK(p.policies[0].improvement_margin == defaults::kImprovementMargin);
  auto bad =
      load_policy_string(std::string(v::kPolicy) + "    improvement_margin: 1.5\n", "bad.yaml");
  CHECK_FALSE(bad.policies);
  CHECK_THAT(bad.diagnostics.describe(), Catch::Contains("improvement_margin"));
  auto zero = load_policy_string(
      "remediation_policies:\n  - incident_type: memory-leak\n    completion_timeout: 0s\n",
      "zero.yaml");
  CHECK_FALSE(zero.policies);
  CHECK_THAT(zero.diagnostics.describe(), Catch::Contains("completion_timeout: must be longer"));
}

namespace {
// A live clock moves while the engine works: here one millisecond per reading.
struct TickingClock final : Clock {
  explicit TickingClock(const Clock& base) : base_(base) {}
  TimePoint now() const override { return base_.now() + (ticks_ += 1ms); }
  const Clock& base_;
  mutable Duration ticks_{0};
};
}  // namespace

TEST_CASE("an action with no rollout observed reports its result once, however the clock moves",
          "[engine][verification][completion]") {
  testing::EngineRig rig{kT0};  // the actuator observes no Deployment
  TickingClock clock{rig.clock};
  rig.engine.emplace(EngineContext{clock, rig.scheduler, rig.telemetry, rig.topology, rig.calendar,
                                   rig.actuator, rig.notifier, rig.state, rig.audit},
                     load(v::kPolicy), ClassifierModel{});
  REQUIRE(rig.engine->handle(leak()).outcome == Outcome::kExecuted);
  rig.scheduler.advance(testing::EngineRig::kActionTime);
  const auto results = of_kind(rig, AuditKind::kActionResult);
  REQUIRE(results.size() == 1);  // "done", never a "took effect" no rollout was seen to take
  CHECK_THAT(results[0].reason, Catch::Contains("done"));
}

}  // namespace completion_test
