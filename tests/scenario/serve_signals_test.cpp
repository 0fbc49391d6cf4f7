// `signals: {serve_config: FILE}`: the engine's signals in a run are a serve config's PromQL
// templates (over live's defaults) evaluated over the simulated series, and the file's
// problems are load errors at its lines (docs/scenario.md#signals).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "scenario/prom_telemetry.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace serve_signals_test {

namespace fs = std::filesystem;
using namespace selfheal;
using namespace selfheal::scenario;
using namespace std::chrono_literals;

namespace {

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() /
                     ("selfheal-serve-signals-" + std::to_string(static_cast<long>(::getpid())));
  fs::create_directories(d);
  return d;
}

const char* kScenario = R"(scenario: signals
duration: 1h
start: 2026-01-05T10:00:00Z
cluster:
  namespace: shop
  services:
    cart-api: {replicas: 4, traffic: {rps: 180}}
policies:
  remediation_policies:
    - {incident_type: memory-leak, action: restart}
signals: {serve_config: serve.yaml}
faults:
  - {at: 10m, kind: bad-deploy, target: cart-api, severity: 0.4}
)";

// A serve config as `selfheal serve` reads it; only prometheus.queries matters here.
const char* kServe = R"(listen: {address: 127.0.0.1, port: 9095}
auth: {token_env: SELFHEAL_TOKEN}
policies: policies.yaml
prometheus:
  url: http://127.0.0.1:9090
  queries:
    memory_growth_per_hour: ''
    queue_lag: 'vector(42)'
)";

ScenarioLoad load_with_serve(const std::string& serve, const std::string& scenario = kScenario) {
  const fs::path d = temp_dir();
  std::ofstream(d / "serve.yaml") << serve;
  return load_scenario_string(scenario, "s.yaml", d.string());
}

}  // namespace

TEST_CASE("a serve config's templates are the engine's signals, evaluated over the series",
          "[scenario][promql][signals]") {
  auto load = load_with_serve(kServe);
  INFO(load.diagnostics.describe());
  REQUIRE(load.scenario);
  const Scenario& s = *load.scenario;
  REQUIRE(s.signal_queries);
  // live's defaults under the file's overrides
  CHECK(s.signal_queries->at("queue_lag") == "vector(42)");
  CHECK(s.signal_queries->at("memory_growth_per_hour").empty());
  CHECK(s.signal_queries->at("error_rate") == engine::default_signal_queries().at("error_rate"));

  sim::WorldOptions o;
  o.prometheus_series = true;
  sim::World world{s.cluster, s.seed, o};
  WorldSeriesSource source{world};
  engine::EngineContext base = world.context();
  PromqlTelemetry telemetry{base.telemetry, source, world, &*s.signal_queries};
  world.run_until(world.start() + 20min);  // the bad deploy fails 40% of requests since 10m
  const engine::ServiceRef cart{"shop", "cart-api"};
  const auto model = base.telemetry.signals(cart, 5min);
  const auto promql = telemetry.signals(cart, 5min);
  INFO("model error rate " << model.error_rate << ", PromQL " << promql.error_rate);
  CHECK(promql.error_rate > 0.3);
  CHECK(promql.error_rate == Approx(model.error_rate).epsilon(0.15));
  CHECK(promql.request_rate == Approx(model.request_rate).epsilon(0.15));
  CHECK(promql.ready_replicas == model.ready_replicas);
  CHECK(promql.queue_lag == 42);  // the file's template, not the model's value
  auto missing = [&](const std::string& n) {
    return std::find(promql.missing.begin(), promql.missing.end(), n) != promql.missing.end();
  };
  CHECK_FALSE(missing("error_rate"));
  CHECK(missing("memory_growth_per_hour"));     // "" in the file: unmeasured
  CHECK(missing("seconds_since_last_deploy"));  // no default, no deploy-age series
  CHECK(missing("error_rate_baseline"));        // offset 1w: past the 2 h retention
  // Without the templates the port answers with the model's values.
  PromqlTelemetry plain{base.telemetry, source, world};
  CHECK(plain.signals(cart, 5min).error_rate == model.error_rate);
}

TEST_CASE("a run with serve-config signals is deterministic", "[scenario][promql][signals]") {
  auto load = load_with_serve(kServe);
  REQUIRE(load.scenario);
  const RunResult a = run_scenario(*load.scenario, RunOptions{});
  const RunResult b = run_scenario(*load.scenario, RunOptions{});
  CHECK(a.metrics.decisions.size() == b.metrics.decisions.size());
  CHECK(a.metrics.actions.size() == b.metrics.actions.size());
  CHECK(a.markers.size() == b.markers.size());
  CHECK(a.notes == b.notes);
}

TEST_CASE("serve config errors name the file, line and signal", "[scenario][promql][errors]") {
  SECTION("an unknown signal name, with did-you-mean") {
    auto load = load_with_serve(R"(prometheus:
  queries:
    memory_growth_per_hour: ''
    eror_rate: 'vector(1)'
)");
    const std::string d = load.diagnostics.describe();
    INFO(d);
    CHECK(d.find("serve.yaml:4:") != std::string::npos);
    CHECK(d.find("prometheus.queries.eror_rate") != std::string::npos);
    CHECK(d.find("error_rate") != std::string::npos);
  }
  SECTION("a template outside the subset names its signal") {
    auto load = load_with_serve(R"(prometheus:
  queries:
    memory_growth_per_hour: ''
    restarts: 'predict_linear(kube_pod_container_status_restarts_total[1h], 60)'
)");
    const std::string d = load.diagnostics.describe();
    INFO(d);
    CHECK(d.find("serve.yaml:4:") != std::string::npos);
    CHECK(d.find("prometheus.queries.restarts: not PromQL the simulator evaluates") !=
          std::string::npos);
    CHECK(d.find("predict_linear") != std::string::npos);
  }
  SECTION("live's default the simulator cannot evaluate, not overridden") {
    auto load = load_with_serve("prometheus:\n  url: http://127.0.0.1:9090\n");
    const std::string d = load.diagnostics.describe();
    INFO(d);
    CHECK(d.find("serve.yaml:2:") != std::string::npos);  // the prometheus mapping
    CHECK(d.find("prometheus.queries.memory_growth_per_hour") != std::string::npos);
    CHECK(d.find("deriv") != std::string::npos);
  }
  SECTION("a serve config that does not exist, at the scenario's line") {
    std::string sc = kScenario;
    sc.replace(sc.find("serve.yaml"), 10, "nope.yaml");
    auto load = load_with_serve(kServe, sc);
    const std::string d = load.diagnostics.describe();
    INFO(d);
    CHECK(d.find("s.yaml:11:") != std::string::npos);
    CHECK(d.find("signals.serve_config") != std::string::npos);
    CHECK(d.find("nope.yaml") != std::string::npos);
  }
  SECTION("an unknown key under signals") {
    std::string sc = kScenario;
    sc.replace(sc.find("serve_config"), 12, "serve_confg");
    auto load = load_with_serve(kServe, sc);
    const std::string d = load.diagnostics.describe();
    INFO(d);
    CHECK(d.find("s.yaml:11:") != std::string::npos);
    CHECK(d.find("serve_config") != std::string::npos);
  }
}

}  // namespace serve_signals_test
