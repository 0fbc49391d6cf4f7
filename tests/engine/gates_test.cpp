// The engine gates (issue 20): engine.freeze_when and the transitive dependency pre-check,
// through the ports, on the inputs tests/live/gates_test.cpp gives `selfheal serve`
// (tests/support/gates_inputs.hpp). Also their policy keys and their data needs.
#include <catch2/catch.hpp>

#include <string>

#include "engine/data_needs.hpp"
#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"
#include "engine/policy_loader.hpp"
#include "engine/testing/scripted_actuator.hpp"
#include "engine/time_text.hpp"
#include "tests/support/gates_inputs.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace gates_test {

using namespace selfheal::engine;
using namespace std::chrono_literals;
namespace g = selfheal::test_support::gates;
using selfheal::engine::testing::PortCall;

namespace {

const TimePoint kT0 = *parse_time("2026-11-27T18:00:00Z");
const ServiceRef kWorker{g::kNamespace, g::kWorker};
const ServiceRef kApi{g::kNamespace, g::kApi};
const ServiceRef kDb{g::kNamespace, g::kDb};

PolicySet load(const std::string& yaml) {
  auto l = load_policy_string(yaml, "gates.yaml");
  INFO(l.diagnostics.describe());
  REQUIRE(l.policies);
  return *l.policies;
}

std::string load_error(const std::string& yaml) {
  auto l = load_policy_string(yaml, "gates.yaml");
  REQUIRE_FALSE(l.policies);
  return l.diagnostics.describe();
}

DependencyHealth health(const ServiceRef& s, double error_rate) {
  DependencyHealth h;
  h.service = s;
  h.error_rate = error_rate;
  h.healthy = error_rate <= 0.05;
  h.reason = h.healthy ? "" : "db-connection-errors 0.82 > 0.05";
  return h;
}

Incident leak(const ServiceRef& target = kWorker, const std::string& fp = "fp-1") {
  Incident i;
  i.target = target;
  i.fingerprint = fp;
  i.classification = ExternalClassification{"memory-leak", 0.97};
  i.started_at = kT0;
  return i;
}

// The in-memory world of gates_inputs.hpp; topology calls are recorded.
struct Rig {
  ManualClock clock{kT0};
  ManualScheduler scheduler{clock};
  StaticTelemetry telemetry;
  StaticTopology values;
  std::vector<PortCall> calls;
  testing::RecordingTopology topology{values, calls};
  StaticCalendar calendar;
  testing::ScriptedActuator actuator{&scheduler, 30s};
  RecordingNotifier notifier;
  MemoryStateStore state;
  VectorAuditSink audit;
  PolicySet policies;
  std::optional<Engine> engine;

  explicit Rig(const char* yaml, double db_error_rate = g::kDbErrorRate, Mode mode = Mode::kAuto)
      : policies(load(yaml)) {
    telemetry.fallback.error_rate = 0.001;
    telemetry.fallback.ready_replicas = 3;
    telemetry.fallback.desired_replicas = 3;
    values.default_services_per_namespace = 10;
    values.set_upstreams(kWorker, {health(kApi, 0.0)});
    values.set_upstreams(kApi, {health(kDb, db_error_rate)});
    values.set_upstreams(kDb, {});
    policies.settings.mode = mode;
    engine.emplace(EngineContext{clock, scheduler, telemetry, topology, calendar, actuator,
                                 notifier, state, audit},
                   policies, ClassifierModel{});
  }
  bool asked_health_of(const ServiceRef& s) const {
    for (const auto& c : calls)
      if (c.kind == PortCall::Kind::kHealth && c.service == s) return true;
    return false;
  }
};

}  // namespace

TEST_CASE("engine freeze: no action while orders-db is unhealthy, and the page says why",
          "[pipeline][gates][freeze]") {
  Rig w(g::kFreezePolicies);
  const Decision d = w.engine->handle(leak());
  CHECK(d.outcome == Outcome::kKillSwitch);
  CHECK(d.guardrail == "freeze");
  CHECK_THAT(d.reason, Catch::StartsWith(g::kFreezeReason));
  CHECK_THAT(d.reason, Catch::Contains("db-connection-errors 0.82 > 0.05"));
  CHECK(d.escalate);
  CHECK(w.actuator.requests().empty());
  REQUIRE(w.notifier.escalations().size() == 1);
  const Escalation& page = w.notifier.escalations().front();
  CHECK(page.channel == "pagerduty-p1");
  CHECK_THAT(page.summary, Catch::Contains(g::kFreezeReason));
  CHECK(page.suggested_action.has_value());  // a person may still choose to restart
  CHECK(w.asked_health_of(kDb));
  // The audit record carries the same guardrail and reason.
  int frozen_records = 0;
  for (const auto& rec : w.audit.records())
    if (rec.kind == AuditKind::kDecision && rec.guardrail == "freeze") ++frozen_records;
  CHECK(frozen_records == 1);

  // The watched service itself is in an `all` scope too.
  CHECK(w.engine->handle(leak(kDb, "fp-db")).guardrail == "freeze");
}

TEST_CASE("engine freeze: a healthy watched service, or a target outside its scope, acts",
          "[pipeline][gates][freeze]") {
  SECTION("orders-db healthy") {
    Rig w(g::kFreezePolicies, 0.0);
    CHECK(w.engine->handle(leak()).outcome == Outcome::kExecuted);
    CHECK(w.actuator.requests().size() == 1);
  }
  SECTION("report-worker outside the freeze's scope (services: [orders-api])") {
    Rig w(g::kScopedFreezePolicies);
    CHECK(w.engine->handle(leak()).outcome == Outcome::kExecuted);
    CHECK_FALSE(w.asked_health_of(kDb));  // out of scope: not even read
    CHECK(w.engine->handle(leak(kApi, "fp-api")).guardrail == "freeze");
  }
}

TEST_CASE("engine freeze: shadow mode records it without paging, recommend mode is unchanged",
          "[pipeline][gates][freeze]") {
  SECTION("shadow") {
    Rig w(g::kFreezePolicies, g::kDbErrorRate, Mode::kShadow);
    const Decision d = w.engine->handle(leak());
    CHECK(d.guardrail == "freeze");
    CHECK_FALSE(d.escalate);
    CHECK(w.notifier.escalations().empty());
  }
  SECTION("recommend") {
    Rig w(g::kFreezePolicies, g::kDbErrorRate, Mode::kRecommend);
    const Decision d = w.engine->handle(leak());
    CHECK(d.outcome == Outcome::kRecommend);
    CHECK_FALSE(w.asked_health_of(kDb));
  }
}

TEST_CASE("dependency pre-check depth: direct misses a database two hops away, transitive stops",
          "[pipeline][gates][precheck]") {
  SECTION("direct (today's behaviour): orders-api is healthy, the restart runs") {
    Rig w(g::kDirectPolicies);
    CHECK(w.engine->handle(leak()).outcome == Outcome::kExecuted);
  }
  SECTION("transitive: orders-db blamed, with the chain") {
    Rig w(g::kTransitivePolicies);
    const Decision d = w.engine->handle(leak());
    CHECK(d.outcome == Outcome::kDependencyFailure);
    CHECK(d.guardrail == "dependency-precheck");
    CHECK_THAT(d.reason, Catch::StartsWith(g::kTransitiveReason));
    REQUIRE(d.upstream.has_value());
    CHECK(*d.upstream == kDb);
    CHECK(w.actuator.requests().empty());
    REQUIRE(w.notifier.escalations().size() == 1);
    REQUIRE(w.notifier.escalations().front().upstream.has_value());
    CHECK(*w.notifier.escalations().front().upstream == kDb);
  }
  SECTION("transitive bounded to one hop: as direct") {
    Rig w(g::kOneHopPolicies);
    CHECK(w.engine->handle(leak()).outcome == Outcome::kExecuted);
  }
}

TEST_CASE("transitive pre-check: a dependency cycle ends, the nearest unhealthy hop is blamed",
          "[pipeline][gates][precheck]") {
  // The deepest walk a policy may ask for, round a cycle.
  Rig w(
      "remediation_policies:\n  - incident_type: memory-leak\n    action: restart\n"
      "    auto_execute: true\n    dependency_precheck: {depth: transitive, max_depth: 16}\n",
      0.0);
  // worker -> api -> db -> worker (a cycle), all healthy: the walk ends and the restart runs.
  w.values.set_upstreams(kDb, {health(kWorker, 0.0), health(kApi, 0.0)});
  CHECK(w.engine->handle(leak()).outcome == Outcome::kExecuted);
  std::size_t upstream_calls = 0;
  for (const auto& c : w.calls)
    if (c.kind == PortCall::Kind::kUpstreams) ++upstream_calls;
  CHECK(upstream_calls == 3);  // worker, api, db: each once, never round the cycle again

  // A direct upstream that is down is blamed before the database behind it.
  Rig near(g::kTransitivePolicies);
  near.values.set_upstreams(kWorker, {health(kApi, 0.3)});
  const Decision d = near.engine->handle(leak());
  CHECK(d.outcome == Outcome::kDependencyFailure);
  CHECK_THAT(d.reason, Catch::StartsWith("upstream prod/orders-api is unhealthy"));
}

TEST_CASE("gate data needs: the freeze's health reads and the pre-check's hops are named",
          "[pipeline][gates][data-needs]") {
  const PolicySet freeze = load(g::kFreezePolicies);
  const DataNeeds n = decision_needs(freeze, leak(), TargetState{}, kT0);
  REQUIRE(n.health.size() == 1);
  CHECK(n.health.front() == kDb);
  const PolicySet scoped = load(g::kScopedFreezePolicies);
  CHECK(decision_needs(scoped, leak(), TargetState{}, kT0).health.empty());
  CHECK(gate_needs(scoped, kApi).health.size() == 1);

  const DataNeeds t = decision_needs(load(g::kTransitivePolicies), leak(), TargetState{}, kT0);
  CHECK(t.upstreams);
  CHECK(t.upstream_hops == 3);
  const DataNeeds direct = decision_needs(load(g::kDirectPolicies), leak(), TargetState{}, kT0);
  CHECK(direct.upstream_hops == 1);
  // The built-in classifier's path (and follow-ups) take the deepest pre-check of any policy.
  Incident unclassified = leak();
  unclassified.classification.reset();
  CHECK(decision_needs(load(g::kTransitivePolicies), unclassified, TargetState{}, kT0)
            .upstream_hops == 3);
}

TEST_CASE("gate policy keys: errors name the file, line and field, with a did-you-mean",
          "[policy][gates]") {
  const std::string base = "remediation_policies:\n  - incident_type: memory-leak\n";
  CHECK_THAT(load_error("engine:\n  freeze_when: {unhealthy: [orders-db], scpoe: all}\n" + base),
             Catch::Contains("gates.yaml:2") && Catch::Contains("engine.freeze_when.scpoe") &&
                 Catch::Contains("scope"));
  CHECK_THAT(load_error("engine:\n  freeze_when: {scope: all}\n" + base),
             Catch::Contains("engine.freeze_when.unhealthy") && Catch::Contains("required"));
  CHECK_THAT(load_error("engine:\n  freeze_when: {unhealthy: [Orders_DB]}\n" + base),
             Catch::Contains("engine.freeze_when.unhealthy[0]"));
  CHECK_THAT(load_error("engine:\n  freeze_when: {unhealthy: [a], scope: {}}\n" + base),
             Catch::Contains("engine.freeze_when.scope"));
  CHECK_THAT(load_error(base + "    dependency_precheck: {depth: transitiv}\n"),
             Catch::Contains("gates.yaml:3") &&
                 Catch::Contains("remediation_policies[0].dependency_precheck.depth") &&
                 Catch::Contains("transitive"));
  CHECK_THAT(load_error(base + "    dependency_precheck: {max_depth: 2}\n"),
             Catch::Contains("max_depth needs depth: transitive"));
  CHECK_THAT(load_error(base + "    dependency_precheck: {depth: transitive, max_depth: 99}\n"),
             Catch::Contains("at most 16"));
  CHECK_THAT(load_error(base + "    dependency_precheck: {dept: transitive}\n"),
             Catch::Contains("depth"));

  const PolicySet ok = load(
      "engine:\n  freeze_when: {unhealthy: [orders-db, payments/ledger-db], scope: {namespaces: "
      "[orders]}}\n" +
      base);
  REQUIRE(ok.settings.freeze.unhealthy.size() == 2);
  CHECK(Freeze::resolve(ok.settings.freeze.unhealthy[1], "orders") ==
        ServiceRef{"payments", "ledger-db"});
  CHECK(ok.settings.freeze.covers(ServiceRef{"orders", "x"}));
  CHECK_FALSE(ok.settings.freeze.covers(ServiceRef{"prod", "x"}));
  // Absent keys: everything as before.
  const PolicySet plain = load(base);
  CHECK_FALSE(plain.settings.freeze.enabled());
  CHECK_FALSE(plain.policies[0].dependency_precheck.transitive);
  CHECK(plain.policies[0].dependency_precheck.depth() == 1);
}

}  // namespace gates_test
