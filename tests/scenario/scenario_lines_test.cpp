// Every scenario loading error names file and line (issue 21): calendar events, duplicate
// incident names, the model's own validation, and a policy file read as a scenario.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "scenario/scenario.hpp"
#include "sim/world.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace scenario_lines_test {

using namespace selfheal;
using namespace selfheal::scenario;

namespace {

// Line 1..10; the calendar (or whatever `tail` holds) starts at line 11.
const std::string kHead = R"(scenario: lines
duration: 2h
cluster:
  services:
    payment-api: {replicas: 3, depends_on: [payments-db]}
    payments-db: {kind: database}
policies:
  remediation_policies:
    - incident_type: memory-leak
      action: restart
)";

ScenarioLoad load(const std::string& tail) {
  return load_scenario_string(kHead + tail, "s.yaml", "scenarios");
}

// The single error's `file:line: field: message`.
std::string only_error(const ScenarioLoad& l) {
  REQUIRE(l.diagnostics.size() == 1);
  return l.diagnostics.errors().front().describe();
}

}  // namespace

TEST_CASE("a marketing campaign without a service is reported at the event's line",
          "[scenario][errors][lines]") {
  const auto l = load(R"(calendar:
  - name: black-friday
    kind: marketing-campaign
    start: 1h
    end: 90m
    traffic_multiplier: 3
)");
  CHECK_FALSE(l.scenario);
  CHECK(only_error(l) ==
        "s.yaml:12:5: calendar[0].service: missing: a marketing campaign needs the service whose "
        "traffic it raises");
}

TEST_CASE("a deploy window without a service is reported at the event's line",
          "[scenario][errors][lines]") {
  const auto l = load(R"(calendar:
  - {name: release, kind: deploy-window, start: 1h, end: 90m, release: {version: 2.0.0}}
)");
  CHECK(only_error(l) ==
        "s.yaml:12:5: calendar[0].service: missing: a deploy window needs the service it rolls out "
        "to");
}

TEST_CASE("a maintenance without a service loads: it is cluster-wide", "[scenario][lines]") {
  const auto l = load(R"(calendar:
  - {name: db-maintenance, kind: maintenance, start: 1h, end: 90m}
)");
  REQUIRE(l.scenario);
  REQUIRE(l.scenario->cluster.planned.size() == 1);
  CHECK(l.scenario->cluster.planned[0].service.empty());
}

TEST_CASE("the model's calendar checks are reported at the event's line, in the user's terms",
          "[scenario][errors][lines]") {
  // sim::validate speaks of calendar[1].traffic_multiplier; we report it at line 13.
  const auto l = load(R"(calendar:
  - {name: a, kind: maintenance, start: 1h, end: 90m}
  - {name: b, kind: marketing-campaign, service: payment-api, start: 1h, end: 90m,
     traffic_multiplier: 0}
)");
  CHECK(only_error(l) == "s.yaml:13: calendar[1].traffic_multiplier: must be > 0");
}

TEST_CASE("a fault and a calendar event with the same name are reported at the second's line",
          "[scenario][errors][lines]") {
  const auto l = load(R"(faults:
  - {name: rush, at: 10m, kind: traffic-spike, target: payment-api}
calendar:
  - {name: rush, kind: marketing-campaign, service: payment-api, start: 1h, end: 90m}
)");
  CHECK(only_error(l) ==
        "s.yaml:14: calendar: two faults or calendar events are named \"rush\": give each a "
        "unique name");
}

TEST_CASE("the model's service checks keep the rest of the field path",
          "[scenario][errors][lines]") {
  const auto l = load_scenario_string(R"(scenario: lines
duration: 2h
cluster:
  services:
    payment-api: {memory_per_pod_mb: 600, memory_limit_mb: 500}
policies: policies/naive-restart.yaml
)",
                                      "s.yaml", "scenarios");
  CHECK(only_error(l) ==
        "s.yaml:5: cluster.services.payment-api.memory_limit_mb: must be greater than "
        "memory_per_pod_mb");
}

TEST_CASE("a traffic noise the model refuses is refused where it is written",
          "[scenario][errors][lines]") {
  // The readers took up to 10 while the model takes up to 1: a sweep's variation of 5 passed
  // the load and aborted every run (an uncaught invalid_argument from the world, exit 134).
  CHECK(only_error(load("variation: {traffic_noise: 5}\n")) ==
        "s.yaml:11:28: variation.traffic_noise: must be between 0 and 1");
  CHECK(load("variation: {traffic_noise: 1}\n").diagnostics.empty());
}

TEST_CASE("every loader error carries a line", "[scenario][errors][lines]") {
  // Missing keys (reported on absent nodes), sections of the wrong shape, model checks.
  const std::vector<std::string> tails{
      "calendar:\n  - {kind: maintenance}\n",
      "calendar:\n  - {name: x, kind: deploy-window, service: payment-api, start: 1h, end: 2h}\n",
      "faults:\n  - {}\n",
      "faults:\n  - {kind: pod-loss, target: payment-api, at: 1m, pods: 0}\n",
      "alert_rules:\n  - {signal: error_rate}\n",
      "oncall: {business_hours_start: 20, business_hours_end: 3}\n",
      "expect:\n  - {where: {service: nope}}\n",
      "faults: {at: 1m}\n",
      "engine: {limits: {blast_radius: 3}}\n",
      "variation: {traffic_noise: 20}\n",
  };
  for (const auto& tail : tails) {
    const auto l = load(tail);
    INFO(tail << l.diagnostics.describe());
    CHECK_FALSE(l.diagnostics.empty());
    for (const auto& e : l.diagnostics.errors()) {
      CHECK(e.file == "s.yaml");
      CHECK(e.line > 0);
    }
  }
  // A scenario with nothing but a name still names lines for what is missing.
  const auto bare = load_scenario_string("scenario: x\n", "s.yaml", ".");
  for (const auto& e : bare.diagnostics.errors())
    CHECK(e.line > 0);
}

TEST_CASE("a policy file read as a scenario says what it is, once", "[scenario][errors][lines]") {
  const auto l = load_scenario_string(R"(# the orders team's policies
remediation_policies:
  - incident_type: memory-leak
    action: restart
)",
                                      "scenarios/orders-policy.yaml", "scenarios");
  CHECK_FALSE(l.scenario);
  CHECK(l.policy_document);
  CHECK(only_error(l) ==
        "scenarios/orders-policy.yaml:2: remediation_policies: this is a policy file; scenarios "
        "reference it with `policies:`");
}

TEST_CASE("a scenario is not taken for a policy file", "[scenario][lines]") {
  CHECK_FALSE(load("").policy_document);
}

TEST_CASE("a maintenance without a service is active for every service and fails nothing",
          "[scenario][lines][calendar]") {
  // docs/model.md and docs/scenario.md: cluster-wide context for the planned-events step.
  const auto l = load(R"(calendar:
  - {name: db-maintenance, kind: maintenance, start: 1h, end: 2h, severity: 0.5}
)");
  REQUIRE(l.scenario);
  sim::World w{l.scenario->cluster, 1};
  w.run_until(w.start() + std::chrono::minutes{90});
  for (const char* svc : {"payment-api", "payments-db"}) {
    INFO(svc);
    const auto events = w.context().calendar.active({"default", svc}, w.now());
    REQUIRE(events.size() == 1);
    CHECK(events[0].name == "db-maintenance");
    CHECK(w.signals(svc, std::chrono::minutes{2}).error_rate < 0.05);
  }
}

TEST_CASE("intermittent faults, keep_firing_for and flap_window load", "[scenario][flapping]") {
  const auto l = load(R"(engine: {flap_window: 30m}
faults:
  - {at: 10m, kind: dependency-outage, target: payments-db, duration: 1h,
     intermittent: {on: 5m, off: 10m, jitter: 0.2}}
  - {at: 10m, kind: dependency-degradation, target: payments-db,
     intermittent: {on: 5m, off: 10m, jitter: 90s}}
alert_rules:
  - {name: HighErrorRate, keep_firing_for: 3m}
)");
  REQUIRE(l.scenario);
  const auto& s = *l.scenario;
  CHECK(s.policies.settings.flap_window == std::chrono::minutes{30});
  REQUIRE(s.cluster.faults.size() == 2);
  REQUIRE(s.cluster.faults[0].intermittent);
  CHECK(s.cluster.faults[0].intermittent->on == std::chrono::minutes{5});
  CHECK(s.cluster.faults[0].intermittent->off == std::chrono::minutes{10});
  CHECK(s.cluster.faults[0].intermittent->jitter_fraction == 0.2);
  CHECK(s.cluster.faults[1].intermittent->jitter == std::chrono::seconds{90});
  REQUIRE(s.cluster.alert_rules.size() == 1);
  CHECK(s.cluster.alert_rules[0].keep_firing_for == std::chrono::minutes{3});
  CHECK(s.cluster.alert_rules[0].for_ == std::chrono::minutes{1});  // the default rule's
}

TEST_CASE("intermittent mistakes are reported at their line", "[scenario][errors][flapping]") {
  CHECK(only_error(load(R"(faults:
  - {at: 10m, kind: dependency-outage, target: payments-db,
     intermittent: {on: 5m, off: 10m, jiter: 0.2}}
)")) == "s.yaml:13:39: faults[0].intermittent.jiter: unknown key \"jiter\"; did you mean "
        "\"jitter\"?");
  CHECK(only_error(load(R"(faults:
  - {at: 10m, kind: memory-leak, target: payments-db, intermittent: {on: 5m, off: 10m}}
)"))
            .find("faults[0].intermittent: supported for dependency-outage and "
                  "dependency-degradation only") != std::string::npos);
  CHECK(only_error(load(R"(faults:
  - {at: 10m, kind: dependency-outage, target: payments-db,
     intermittent: {on: 5m, off: 10m, jitter: 6m}}
)"))
            .find("faults[0].intermittent.jitter: must be shorter than both phases") !=
        std::string::npos);
  CHECK(only_error(load(R"(engine: {flap_windw: 30m}
)"))
            .find("did you mean \"flap_window\"?") != std::string::npos);
}

}  // namespace scenario_lines_test
