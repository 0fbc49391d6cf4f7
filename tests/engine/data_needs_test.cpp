// The engine names its data needs (engine/data_needs.hpp) and live/ fetches exactly those
// before it calls the engine. These tests run the real pipeline over recording ports and
// hold what it actually asked to what the needs functions say, path by path, so the two
// cannot drift apart (a read the needs miss would block live's engine thread on Prometheus).
#include <catch2/catch.hpp>

#include "engine/audit_json.hpp"
#include "engine/data_needs.hpp"
#include "engine/defaults.hpp"
#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"
#include "engine/testing/scripted_actuator.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace data_needs_test {

using namespace selfheal::engine;
using namespace std::chrono_literals;
using selfheal::engine::testing::PortCall;

namespace {

const TimePoint kT0 = *parse_time("2026-11-27T18:00:00Z");
const ServiceRef kTarget{"prod", "payment-api"};
const std::string kErrorsQuery = "sum(rate(http_errors_total{service=\"{{service}}\"}[5m]))";

ActionSpec restart() {
  return ActionSpec{};
}

ActionSpec scale_by(double factor) {
  ActionSpec a;
  a.kind = ActionKind::kScale;
  a.factor = factor;
  a.max_replicas = 12;
  return a;
}

Policy policy(std::string type, std::vector<ActionSpec> actions) {
  Policy p;
  p.incident_type = std::move(type);
  p.actions = std::move(actions);
  p.confidence_threshold = 0.5;
  p.auto_execute = true;
  return p;
}

Incident incident(std::optional<std::string> type) {
  Incident i;
  i.target = kTarget;
  i.fingerprint = "fp-1";
  i.started_at = kT0;
  if (type) i.classification = ExternalClassification{*type, 0.99};
  return i;
}

ServiceSignals healthy() {
  ServiceSignals s;
  s.error_rate = 0.001;
  s.ready_replicas = 3;
  s.desired_replicas = 3;
  return s;
}

// Every port in memory; Telemetry and Topology record what the engine asks.
struct Rig {
  ManualClock clock{kT0};
  ManualScheduler scheduler{clock};
  StaticTelemetry values;
  testing::RecordingTelemetry telemetry{values};
  StaticTopology topology_values;
  testing::RecordingTopology topology{topology_values, telemetry.calls()};
  StaticCalendar calendar;
  testing::ScriptedActuator actuator{&scheduler, 30s};
  RecordingNotifier notifier;
  MemoryStateStore state;
  VectorAuditSink audit;
  PolicySet policies;
  std::optional<Engine> engine;

  explicit Rig(std::vector<Policy> ps) : policies{std::move(ps), {}, "test"} {
    values.fallback = healthy();
    values.set_query(kErrorsQuery, 0.0);
    topology_values.set_upstreams(kTarget, {{{"prod", "payments-db"}, true, 0.0, ""}});
    engine.emplace(EngineContext{clock, scheduler, telemetry, topology, calendar, actuator,
                                 notifier, state, audit},
                   policies, ClassifierModel{});
  }

  /// What the engine asked since the last call, as DataNeeds (then forgets it).
  DataNeeds asked() {
    DataNeeds n;
    for (const auto& c : telemetry.calls()) {
      REQUIRE(c.service == kTarget);
      DataNeeds one;
      if (c.kind == PortCall::Kind::kSignals) one.signal_windows = {c.window};
      if (c.kind == PortCall::Kind::kUpstreams) one.upstreams = true;
      if (c.kind == PortCall::Kind::kQuery) one.queries = {c.expr};
      n.merge(one);
    }
    telemetry.calls().clear();
    for (const auto& t : actuator.deployment_reads()) {
      REQUIRE(t == kTarget);
      n.deployment = true;
    }
    actuator.deployment_reads().clear();
    return n;
  }

  /// The needs for handling `inc` now, from the state the engine will see.
  DataNeeds needs(const Incident& inc) {
    return decision_needs(policies, inc, state.load(inc.target), clock.now());
  }
};

// True when every read in `asked` is named in `named`.
bool covered(const DataNeeds& asked, const DataNeeds& named) {
  DataNeeds both = named;
  both.merge(asked);
  return both == named;
}

}  // namespace

TEST_CASE("data needs: the built-in classifier reads the classification signals and upstreams",
          "[engine][data-needs]") {
  Rig rig({policy("memory-leak", {restart()})});
  const Incident inc = incident(std::nullopt);
  const DataNeeds named = rig.needs(inc);
  rig.engine->handle(inc);
  const DataNeeds asked = rig.asked();
  CHECK(covered(asked, named));
  CHECK(asked.signal_windows == std::vector<Duration>{defaults::kClassificationWindow});
  // Upper bound: had the classifier chosen a policy that acts, its before-action state.
  CHECK(named.signal_windows ==
        std::vector<Duration>{defaults::kVerificationWindow, defaults::kClassificationWindow});
  CHECK(named.upstreams);
}

TEST_CASE("data needs: a type without a policy reads only the upstreams (the page names one)",
          "[engine][data-needs]") {
  Rig rig({policy("memory-leak", {restart()})});
  const Incident inc = incident("mystery");
  const DataNeeds named = rig.needs(inc);
  const Decision d = rig.engine->handle(inc);
  REQUIRE(d.outcome == Outcome::kNoPolicy);
  CHECK(rig.asked() == named);
  CHECK(named.upstreams);
  CHECK(named.signal_windows.empty());
}

TEST_CASE("data needs: a dependency pre-check reads upstreams and the dependency_errors signal",
          "[engine][data-needs]") {
  Policy p = policy("memory-leak", {restart()});
  p.dependency_precheck.enabled = true;
  Rig rig({p});
  const Incident inc = incident("memory-leak");
  const DataNeeds named = rig.needs(inc);
  const Decision d = rig.engine->handle(inc);
  REQUIRE(d.outcome == Outcome::kExecuted);
  CHECK(rig.asked() == named);
  CHECK(named.upstreams);
  CHECK(named.signal_windows ==
        std::vector<Duration>{defaults::kVerificationWindow, defaults::kClassificationWindow});
}

TEST_CASE(
    "data needs: an external classification with a plain restart reads only the before-action "
    "state",
    "[engine][data-needs]") {
  Rig rig({policy("memory-leak", {restart()})});
  const Incident inc = incident("memory-leak");
  const DataNeeds named = rig.needs(inc);
  CHECK(named == action_needs(rig.policies, "memory-leak"));
  CHECK(named.signal_windows == std::vector<Duration>{defaults::kVerificationWindow});
  REQUIRE(rig.engine->handle(inc).outcome == Outcome::kExecuted);
  CHECK(rig.asked() == named);
}

TEST_CASE(
    "data needs: a factor scale reads the current replicas, verification its window and "
    "checks",
    "[engine][data-needs]") {
  Policy p = policy("traffic-spike", {scale_by(2.0)});
  p.verification_window = 7min;
  VerificationCheck promql;
  promql.promql = kErrorsQuery;
  promql.max = 0.01;
  VerificationCheck signal;
  signal.signal = SignalName::kErrorRate;
  signal.max = 0.05;
  p.verification = {promql, signal};
  Rig rig({p});
  const Incident inc = incident("traffic-spike");
  const DataNeeds named = rig.needs(inc);
  REQUIRE(rig.engine->handle(inc).outcome == Outcome::kExecuted);
  CHECK(rig.asked() == named);
  CHECK(named.signal_windows == std::vector<Duration>{7min, defaults::kClassificationWindow});

  rig.scheduler.advance(30s + 7min);  // completion (the rollout read), then verification
  const DataNeeds verification = verification_needs(rig.policies, "traffic-spike");
  CHECK(rig.asked() == verification);
  CHECK(verification.signal_windows == std::vector<Duration>{7min});
  CHECK(verification.queries == std::vector<std::string>{kErrorsQuery});
  CHECK(verification.deployment);
}

TEST_CASE("data needs: a held re-delivery of a verified firing re-reads the verification checks",
          "[engine][data-needs]") {
  Policy p = policy("memory-leak", {restart()});
  p.verification_window = 7min;
  VerificationCheck promql;
  promql.promql = kErrorsQuery;
  promql.max = 0.01;
  p.verification = {promql};
  Rig rig({p});
  const Incident inc = incident("memory-leak");
  REQUIRE(rig.engine->handle(inc).outcome == Outcome::kExecuted);
  rig.scheduler.advance(30s + 7min);
  REQUIRE(rig.state.peek(kTarget)->recovered);
  (void)rig.asked();

  const DataNeeds named = rig.needs(inc);
  const Decision d = rig.engine->handle(inc);  // Alertmanager re-sends the same firing
  REQUIRE(d.outcome == Outcome::kDuplicate);
  CHECK(covered(rig.asked(), named));
  DataNeeds held = verification_needs(rig.policies, "memory-leak");
  held.merge(action_needs(rig.policies, "memory-leak"));
  CHECK(named == held);
}

TEST_CASE("data needs: a resolved alert reads the health signals unless an action is in flight",
          "[engine][data-needs]") {
  Rig rig({policy("memory-leak", {restart()})});
  Incident resolved = incident("memory-leak");
  resolved.resolved = true;
  DataNeeds named = rig.needs(resolved);
  rig.engine->handle(resolved);
  CHECK(rig.asked() == named);
  CHECK(named.signal_windows == std::vector<Duration>{defaults::kClassificationWindow});

  REQUIRE(rig.engine->handle(incident("memory-leak")).outcome == Outcome::kExecuted);
  (void)rig.asked();
  named = rig.needs(resolved);  // the action is in flight: verification will judge it
  rig.engine->handle(resolved);
  CHECK(rig.asked() == named);
  CHECK(named.empty());
}

TEST_CASE("data needs: verification for a policy no longer loaded uses the default window",
          "[engine][data-needs]") {
  Rig rig({policy("memory-leak", {restart()})});
  TargetState st;
  InFlightAction fl;
  fl.action_id = 3;
  fl.incident = "old";
  fl.started_at = kT0 - 1min;
  fl.verify_at = kT0;
  fl.executed = true;
  fl.policy = "retired";
  st.in_flight = fl;
  rig.state.save(kTarget, st);
  rig.engine->resume();
  rig.scheduler.advance(0s);
  const DataNeeds named = verification_needs(rig.policies, "retired");
  CHECK(covered(rig.asked(), named));  // resumed: judged at once, no rollout read
  CHECK(named.signal_windows == std::vector<Duration>{defaults::kVerificationWindow});
  CHECK(named.deployment);
}

TEST_CASE("data needs: a follow-up after a failed verification reads within follow_up_needs",
          "[engine][data-needs]") {
  Policy p = policy("memory-leak", {restart(), scale_by(2.0)});
  p.max_attempts = 3;
  Rig rig({p});
  ServiceSignals failing = healthy();
  failing.error_rate = 0.4;
  rig.values.fallback = failing;
  REQUIRE(rig.engine->handle(incident("memory-leak")).outcome == Outcome::kExecuted);
  rig.scheduler.advance(30s + p.verification_window);  // fails: next rung after the cooldown
  CHECK(rig.asked() == verification_needs(rig.policies, "memory-leak"));

  rig.scheduler.run_until(kT0 + p.cooldown);  // the follow-up re-decides: a factor scale
  REQUIRE(rig.actuator.requests().size() == 2);
  const DataNeeds asked = rig.asked();
  CHECK_FALSE(asked.empty());
  DataNeeds follow_up = follow_up_needs();
  follow_up.merge(action_needs(rig.policies, {}));  // what live's planner adds: it may act
  CHECK(covered(asked, follow_up));
}

}  // namespace data_needs_test
