// Scenario loading: the format users write, and every mistake reported with file, line and
// field (exit 2 at the CLI).
#include <catch2/catch.hpp>

#include <filesystem>

#include "scenario/scenario.hpp"

using namespace selfheal;
using namespace selfheal::scenario;
using namespace std::chrono_literals;

namespace {

const char* kGood = R"(scenario: db-outage
description: payments-db goes down
duration: 2h
seed: 7
start: 2026-01-05T10:00:00Z
cluster:
  namespace: prod
  services:
    payment-api: {replicas: 3, depends_on: [payments-db], traffic: {rps: 150}}
    payments-db: {kind: database}
policies: policies/naive-restart.yaml
engine: {mode: recommend}
oncall: {response_time: 15m}
calendar:
  - {name: spring-campaign, kind: marketing-campaign, start: 1h, end: 90m,
     service: payment-api, traffic_multiplier: 3}
faults:
  - {at: 10m, kind: dependency-outage, target: payments-db, duration: 45m,
     classification: {incident_type: application-crash, confidence: 0.93, service: payment-api}}
  - {at: 70m, kind: dependency-outage, target: payments-db, duration: 5m}
alert_rules:
  - {name: HighErrorRate, threshold: 0.02}
expect:
  - {metric: actions, where: {service: payment-api, action: restart}, max: 2}
  - {metric: ttr, where: {incident: dependency-outage-payments-db-2}, max: 30m}
variation: {fault_start_jitter: 2m, traffic_noise: 0.1, classifier_noise: 0.05, responder_delay: 5m}
)";

ScenarioLoad load(const std::string& yaml) {
  return load_scenario_string(yaml, "s.yaml", "scenarios");
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

bool has(const ScenarioLoad& l, const std::string& text) {
  return l.diagnostics.describe().find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("a scenario fills the cluster spec, policies, expectations and variation", "[scenario]") {
  const auto l = load(kGood);
  INFO(l.diagnostics.describe());
  REQUIRE(l.scenario);
  const Scenario& s = *l.scenario;
  CHECK(s.name == "db-outage");
  CHECK(s.duration == 2h);
  CHECK(s.seed == 7);
  CHECK(s.cluster.ns == "prod");
  REQUIRE(s.cluster.services.size() == 2);
  CHECK(s.cluster.services[0].name == "payment-api");
  CHECK(s.cluster.services[0].traffic.rps == 150);
  CHECK(s.cluster.services[0].depends_on == std::vector<std::string>{"payments-db"});
  CHECK(s.cluster.services[1].kind == sim::ServiceKind::kDatabase);
  REQUIRE(s.cluster.faults.size() == 2);
  CHECK(s.cluster.faults[0].name == "dependency-outage-payments-db");
  CHECK(s.cluster.faults[1].name == "dependency-outage-payments-db-2");
  CHECK(s.cluster.faults[0].duration == 45min);
  REQUIRE(s.cluster.planned.size() == 1);
  CHECK(s.cluster.planned[0].end == 90min);
  CHECK(s.cluster.oncall.response_time == 15min);
  REQUIRE(s.cluster.alert_rules.size() == 1);
  CHECK(s.cluster.alert_rules[0].threshold == 0.02);
  CHECK(s.cluster.alert_rules[0].for_ == 1min);  // the rest comes from the default rule
  CHECK(s.policies.find("application-crash") != nullptr);
  CHECK(s.policies.settings.mode == engine::Mode::kRecommend);
  REQUIRE(s.classifications.size() == 1);
  CHECK(s.classifications[0].service == "payment-api");
  CHECK(s.classifications[0].classification.confidence == 0.93);
  CHECK(s.expectations.size() == 2);
  CHECK(s.variation.fault_start_jitter == 2min);
  CHECK(s.variation.classifier_noise == 0.05);
  CHECK(s.cluster.start - sim::ClusterSpec{}.start == 10h);
}

TEST_CASE("an unknown service in a fault is reported at its line with did-you-mean",
          "[scenario][errors]") {
  const auto l = load(
      replace(kGood, "target: payments-db, duration: 45m", "target: payment-db, duration: 45m"));
  CHECK_FALSE(l.scenario);
  CHECK(has(l,
            "s.yaml:18:48: faults[0].target: unknown service \"payment-db\"; did you mean "
            "\"payments-db\"?"));
}

TEST_CASE("a fault after the end of the run is an error", "[scenario][errors]") {
  const auto l = load(replace(kGood, "at: 70m", "at: 3h"));
  CHECK_FALSE(l.scenario);
  CHECK(has(l,
            "s.yaml:20:10: faults[1].at: the fault starts at 3h, at or after the end of the run "
            "(duration 2h)"));
}

TEST_CASE("a policy file that does not exist is an error", "[scenario][errors]") {
  const auto l = load(replace(kGood, "policies/naive-restart.yaml", "policies/nope.yaml"));
  CHECK_FALSE(l.scenario);
  CHECK(has(l, "s.yaml:11:11: policies: policy file \"policies/nope.yaml\" does not exist"));
}

TEST_CASE("a policy path that is a directory is an error that says so", "[scenario][errors]") {
  const auto l = load(replace(kGood, "policies/naive-restart.yaml", "policies"));
  CHECK_FALSE(l.scenario);
  CHECK(has(l, "s.yaml:11:11: policies: policy file \"policies\" is a directory, not a file"));
}

TEST_CASE("an unknown metric in expect is an error with did-you-mean", "[scenario][errors]") {
  const auto l = load(replace(kGood, "metric: actions", "metric: restarts_total"));
  CHECK_FALSE(l.scenario);
  CHECK(has(l, "s.yaml:24:14: expect[0].metric: unknown metric \"restarts_total\""));
  const auto l2 = load(replace(kGood, "metric: ttr", "metric: mtr"));
  CHECK(has(l2, "expect[1].metric: unknown metric \"mtr\"; did you mean \"mttr\"?"));
}

TEST_CASE("unknown keys get did-you-mean, bad durations say what is valid", "[scenario][errors]") {
  const auto l =
      load(replace(replace(kGood, "oncall:", "on_call:"), "duration: 2h", "duration: 2 hours"));
  CHECK_FALSE(l.scenario);
  CHECK(has(l, "s.yaml:13:1: on_call: unknown key \"on_call\"; did you mean \"oncall\"?"));
  CHECK(has(l, "s.yaml:3:11: duration: invalid duration \"2 hours\""));
  const auto l2 = load(replace(kGood, "replicas: 3,", "replica: 3,"));
  CHECK(has(l2,
            "s.yaml:9:19: cluster.services.payment-api.replica: unknown key \"replica\"; did "
            "you mean \"replicas\"?"));
}

TEST_CASE("every problem is reported at once, and the model's own checks get our lines",
          "[scenario][errors]") {
  std::string y = replace(kGood, "kind: dependency-outage, target: payments-db, duration: 45m",
                          "kind: dependency-outrage, target: payments-db, duration: 45m");
  y = replace(y, "depends_on: [payments-db]", "depends_on: [payment-api]");  // a self-loop
  const auto l = load(y);
  INFO(l.diagnostics.describe());
  CHECK_FALSE(l.scenario);
  // Every problem of the scenario itself at once: the bad kind, and the expectation naming
  // the second outage, whose default name came from the (now unknown) kind.
  CHECK(has(l,
            "s.yaml:18:21: faults[0].kind: unknown fault kind \"dependency-outrage\"; did you mean "
            "\"dependency-outage\"?"));
  CHECK(has(l, "s.yaml:25:37: expect[1].where.incident: unknown incident"));
  // The model's own checks (sim::validate: the self-loop) run only once the scenario itself
  // is valid, so they are not part of this first answer.
  CHECK(l.diagnostics.errors().size() == 2);
  CHECK_FALSE(has(l, "depend on itself"));

  // Then they are reported at the scenario's line and field, not the model's.
  const auto self = load(replace(kGood, "depends_on: [payments-db]", "depends_on: [payment-api]"));
  CHECK_FALSE(self.scenario);
  CHECK(self.diagnostics.describe() ==
        "s.yaml:9: cluster.services.payment-api.depends_on[0]: a service cannot depend on "
        "itself\n");
  const auto cycle = load(replace(kGood, "payments-db: {kind: database}",
                                  "payments-db: {kind: database, depends_on: [payment-api]}"));
  CHECK_FALSE(cycle.scenario);
  CHECK(cycle.diagnostics.describe() ==
        "s.yaml:10: cluster.services.payments-db.depends_on: dependency cycle through "
        "\"payments-db\" and "
        "\"payment-api\"\n");
}

TEST_CASE("inline policies report their mistakes at the scenario's lines", "[scenario][errors]") {
  const std::string y = replace(kGood, "policies: policies/naive-restart.yaml\n",
                                "policies:\n"
                                "  remediation_policy:\n"
                                "    incident_type: memory-leak\n"
                                "    confidense_threshold: 0.9\n");
  const auto l = load(y);
  CHECK_FALSE(l.scenario);
  INFO(l.diagnostics.describe());
  CHECK(has(l, "s.yaml:14:"));
  CHECK(has(l, "confidense_threshold"));
  const std::string ok = replace(kGood, "policies: policies/naive-restart.yaml\n",
                                 "policies:\n"
                                 "  remediation_policy:\n"
                                 "    incident_type: memory-leak\n"
                                 "    confidence_threshold: 0.9\n");
  const auto l2 = load(ok);
  INFO(l2.diagnostics.describe());
  REQUIRE(l2.scenario);
  CHECK(l2.scenario->policy_source == "inline");
  CHECK(l2.scenario->policies.find("memory-leak") != nullptr);
}

TEST_CASE("every scenario in the library loads", "[scenario][library]") {
  core::Diagnostics d;
  const auto files = scenario_files("scenarios", d);
  REQUIRE(d.empty());
  REQUIRE(files.size() >= 10);
  for (const auto& f : files) {
    const auto l = load_scenario_file(f);
    INFO(f << "\n" << l.diagnostics.describe());
    CHECK(l.scenario);
    if (l.scenario) {
      CHECK_FALSE(l.scenario->description.empty());
      CHECK_FALSE(l.scenario->expectations.empty());
    }
  }
}

TEST_CASE("alert_rules as an empty map or defaults-only loads instead of throwing",
          "[scenario][hardening]") {
  const std::string empty = replace(
      kGood, "alert_rules:\n  - {name: HighErrorRate, threshold: 0.02}\n", "alert_rules: {}\n");
  auto l = load(empty);
  INFO(l.diagnostics.describe());
  REQUIRE(l.scenario);
  CHECK(l.scenario->cluster.default_rules);
  CHECK(l.scenario->cluster.alert_rules.empty());

  const std::string off =
      replace(kGood, "alert_rules:\n  - {name: HighErrorRate, threshold: 0.02}\n",
              "alert_rules: {defaults: false}\n");
  auto l2 = load(off);
  INFO(l2.diagnostics.describe());
  REQUIRE(l2.scenario);
  CHECK_FALSE(l2.scenario->cluster.default_rules);
  CHECK(l2.scenario->cluster.alert_rules.empty());
}

TEST_CASE("a scenario past the services limit is refused with a clear error",
          "[scenario][hardening]") {
  std::string services;
  for (std::size_t i = 0; i <= kMaxScenarioServices; ++i)
    services += "    s" + std::to_string(i) + ": {}\n";
  const std::string y = replace(kGood,
                                "    payment-api: {replicas: 3, depends_on: [payments-db], "
                                "traffic: {rps: 150}}\n    payments-db: {kind: database}\n",
                                services);
  auto l = load(y);
  REQUIRE_FALSE(l.scenario);
  CHECK(has(l,
            "s.yaml:9:5: cluster.services: 10001 services is more than a scenario may hold "
            "(at most 10000;"));
}

namespace scenario_test {

TEST_CASE("engine.allowed_namespaces takes namespace names, as in a policy file",
          "[scenario][errors]") {
  // `Prod` was accepted and, matching no namespace, silently refused every action.
  const auto l = load(replace(kGood, "engine: {mode: recommend}",
                              "engine: {mode: recommend, allowed_namespaces: [Prod]}"));
  CHECK_FALSE(l.scenario);
  INFO(l.diagnostics.describe());
  CHECK(has(l, "s.yaml:12:48: engine.allowed_namespaces[0]: \"Prod\" is not a DNS-1123 name"));
  const auto ok = load(replace(kGood, "engine: {mode: recommend}",
                               "engine: {mode: recommend, allowed_namespaces: [prod]}"));
  REQUIRE(ok.scenario);
  CHECK(ok.scenario->policies.settings.allowed_namespaces == std::vector<std::string>{"prod"});
}

TEST_CASE("alert rules: one rule a name, labels strings given once", "[scenario][errors]") {
  // All four were accepted: the second HighErrorRate replaced the first, the list label
  // became "", and of two `team` labels the last won.
  const auto l = load(replace(kGood, "  - {name: HighErrorRate, threshold: 0.02}\n",
                              "  - {name: HighErrorRate, threshold: 0.02}\n"
                              "  - {name: HighErrorRate, threshold: 0.5}\n"
                              "  - {name: Mine, signal: restarts, op: '>', threshold: 3,\n"
                              "     labels: {severity: [page], team: a, team: b}}\n"));
  CHECK_FALSE(l.scenario);
  INFO(l.diagnostics.describe());
  CHECK(has(l,
            "s.yaml:23:12: alert_rules[1].name: two alert rules are named \"HighErrorRate\" "
            "(the first at line 22)"));
  CHECK(has(l, "alert_rules[2].labels.severity: expected a string, got a list"));
  CHECK(has(l, "alert_rules[2].labels.team: label \"team\" is given twice"));
  CHECK(l.diagnostics.errors().size() == 3);
}

}  // namespace scenario_test
