// PromQL in scenarios: Prometheus rule files (`alert_rules: {prometheus_rules: FILE}`) and
// their errors, `metric_names:`, `promql:` checks parsed at policy load and evaluated in a
// run, and the template rendering Prometheus does (docs/prometheus-series.md).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/policy_loader.hpp"
#include "scenario/prom_rules.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

namespace fs = std::filesystem;
using namespace selfheal;
using namespace selfheal::scenario;

namespace {

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() /
                     ("selfheal-prom-rules-" + std::to_string(static_cast<long>(::getpid())));
  fs::create_directories(d);
  return d;
}

const char* kScenario = R"(scenario: rules
duration: 1h
start: 2026-01-05T10:00:00Z
cluster:
  namespace: shop
  services:
    cart-api: {replicas: 4, traffic: {rps: 180}, releases: [{revision: 1}, {revision: 2}]}
policies:
  remediation_policies:
    - incident_type: bad-deployment
      action: rollback
      auto_execute: true
      confidence_threshold: 0.8
      verification:
        - promql: 'sum(rate(http_requests_total{service="{service}",code=~"5.."}[{window}])) / sum(rate(http_requests_total{service="{service}"}[{window}]))'
          max: 0.02
alert_rules: {prometheus_rules: rules.yaml}
faults:
  - {at: 10m, kind: bad-deploy, target: cart-api, severity: 0.4}
)";

ScenarioLoad load_with_rules(const std::string& rules, const std::string& scenario = kScenario) {
  const fs::path d = temp_dir();
  std::ofstream(d / "rules.yaml") << rules;
  return load_scenario_string(scenario, "s.yaml", d.string());
}

const char* kGoodRules = R"(groups:
  - name: slo
    interval: 30s
    rules:
      - alert: HighErrorRate
        expr: sum by (service) (rate(http_requests_total{code="500"}[1m])) / sum by (service) (rate(http_requests_total[1m])) > 0.05
        for: 1m
        labels: {severity: critical, team: '{{ $labels.service }}-owners'}
        annotations: {summary: '{{ $labels.service }} fails {{ $value }}'}
)";

}  // namespace

TEST_CASE("a Prometheus rule file's alerts drive the engine and promql checks are evaluated",
          "[scenario][promql]") {
  auto load = load_with_rules(kGoodRules);
  INFO(load.diagnostics.describe());
  REQUIRE(load.scenario);
  REQUIRE(load.scenario->prometheus_rules.size() == 1);
  CHECK_FALSE(load.scenario->cluster.default_rules);
  const RunResult r = run_scenario(*load.scenario, RunOptions{});
  REQUIRE_FALSE(r.metrics.verifications.empty());
  // The check read the simulated series: it passed or failed on a value, never "no data".
  for (const auto& v : r.metrics.verifications) {
    INFO(v.detail);
    CHECK(v.detail.find("no data") == std::string::npos);
    CHECK(v.detail.find("<= 0.02") != std::string::npos);
  }
}

TEST_CASE("rule file errors name the file, line, field and alert", "[scenario][promql][errors]") {
  SECTION("PromQL outside the subset") {
    auto load = load_with_rules(R"(groups:
  - name: g
    rules:
      - alert: Predict
        expr: predict_linear(container_memory_working_set_bytes[1h], 3600) > 1e9
)");
    const std::string d = load.diagnostics.describe();
    INFO(d);
    CHECK(d.find("rules.yaml:5:") != std::string::npos);
    CHECK(d.find("groups[0].rules[0] (alert Predict).expr") != std::string::npos);
    CHECK(d.find("unsupported function 'predict_linear'") != std::string::npos);
  }
  SECTION("an unknown key, with did-you-mean") {
    auto load = load_with_rules(R"(groups:
  - name: g
    rules:
      - alert: A
        expr: up == 0
        fore: 5m
)");
    const std::string d = load.diagnostics.describe();
    INFO(d);
    CHECK(d.find("rules.yaml:6:") != std::string::npos);
    CHECK(d.find("fore") != std::string::npos);
    CHECK(d.find("for") != std::string::npos);
  }
  SECTION("a recording rule, an unsupported template, a bad interval") {
    auto load = load_with_rules(R"(groups:
  - name: g
    interval: 20s
    rules:
      - record: job:up:sum
        expr: sum(up)
      - alert: A
        expr: up == 0
        annotations: {summary: '{{ $value | humanize }}'}
)");
    const std::string d = load.diagnostics.describe();
    INFO(d);
    CHECK(d.find("recording rules are not supported") != std::string::npos);
    CHECK(d.find("rules.yaml:9:") != std::string::npos);
    CHECK(d.find("unsupported template {{ $value | humanize }}") != std::string::npos);
    CHECK(d.find("multiple of the scrape interval") != std::string::npos);
  }
  SECTION("rules next to prometheus_rules") {
    std::string s = kScenario;
    s.replace(s.find("{prometheus_rules: rules.yaml}"), 30,
              "{prometheus_rules: rules.yaml, defaults: false}");
    auto load = load_with_rules(kGoodRules, s);
    CHECK(load.diagnostics.describe().find("not both") != std::string::npos);
  }
}

TEST_CASE("metric_names is read through the config reader", "[scenario][promql][errors]") {
  std::string s = kScenario;
  s += "metric_names: {http_requests_total: api_requests_total, http_request_total: x}\n";
  auto load = load_with_rules(kGoodRules, s);
  const std::string d = load.diagnostics.describe();
  INFO(d);
  CHECK(d.find("http_request_total") != std::string::npos);
  CHECK(d.find("did you mean") != std::string::npos);
  std::string ok = kScenario;
  ok += "metric_names: {http_requests_total: api_requests_total}\n";
  auto good = load_with_rules(kGoodRules, ok);
  REQUIRE(good.scenario);
  CHECK(good.scenario->cluster.metric_names.at("http_requests_total") == "api_requests_total");
}

TEST_CASE("a policy's promql check outside the subset is a load error at its line",
          "[scenario][promql][errors]") {
  auto p = engine::load_policy_string(R"(remediation_policies:
  - incident_type: memory-leak
    action: restart
    verification:
      - promql: 'predict_linear(container_memory_working_set_bytes{service="{service}"}[1h], 3600)'
        max: 1
)",
                                      "p.yaml");
  const std::string d = p.diagnostics.describe();
  INFO(d);
  CHECK(d.find("p.yaml:5:") != std::string::npos);
  CHECK(d.find("verification[0].promql: not PromQL the simulator evaluates") != std::string::npos);
}

TEST_CASE("templates render as Prometheus renders them", "[scenario][promql]") {
  CHECK(go_float(0.05) == "0.05");
  CHECK(go_float(0.1 + 0.2) == "0.30000000000000004");
  CHECK(go_float(100) == "100");
  CHECK(go_float(1e-5) == "1e-05");
  CHECK(go_float(123456789) == "123456789");
  CHECK(go_float(1e21) == "1e+21");
  CHECK(go_float(-2.5) == "-2.5");
  const promql::Labels l{{"service", "cart-api"}};
  CHECK(render_template("{{ $labels.service }} at {{$value}}; {{ $labels.pod }}.", l, 0.25) ==
        "cart-api at 0.25; .");
}

TEST_CASE("an alert whose result names no service is reported in the run's notes",
          "[scenario][promql]") {
  auto load = load_with_rules(R"(groups:
  - name: g
    interval: 15s
    rules:
      - alert: AnyTraffic
        expr: sum(rate(http_requests_total[1m])) > 0
)");
  INFO(load.diagnostics.describe());
  REQUIRE(load.scenario);
  const RunResult r = run_scenario(*load.scenario, RunOptions{});
  bool noted = false;
  for (const auto& n : r.notes)
    noted = noted || n.find("alert AnyTraffic: the result element {} at +") == 0;
  CHECK(noted);
}

namespace prom_rules_test {

TEST_CASE("a rule file's label given twice is an error, as Prometheus says",
          "[scenario][promql][errors]") {
  // It was accepted and the last value won; Prometheus refuses the file.
  auto load = load_with_rules(R"(groups:
  - name: g
    rules:
      - alert: A
        expr: up == 0
        labels: {severity: page, severity: ticket}
)");
  const std::string d = load.diagnostics.describe();
  INFO(d);
  CHECK_FALSE(load.scenario);
  CHECK(d.find("rules.yaml:6:34: groups[0].rules[0] (alert A).labels.severity: \"severity\" is "
               "given twice") != std::string::npos);
}

}  // namespace prom_rules_test
