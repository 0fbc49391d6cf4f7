// Verification as an operator would do it, live (issue 15), the two readings the simulator
// already had: a service's objectives from the serve config's `topology.services.<name>.slo`
// reach the engine through the live Telemetry, and the before-action state an action was
// taken in survives a restart of `selfheal serve` in the SQLite state. Both through a running
// LiveService, its Prometheus a local stand-in that answers the error-rate query with a
// value the test sets and every other query with 0.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <limits>
#include <string>

#include "engine/audit_json.hpp"
#include "live/prometheus.hpp"
#include "live/runtime.hpp"
#include "live/service.hpp"
#include "live/sqlite_state.hpp"
#include "tests/live/serve_harness.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace objectives_test {

using namespace selfheal;
using namespace selfheal::live;
using namespace selfheal::live::serve_test;
using namespace std::chrono_literals;

namespace {

const engine::ServiceRef kApi{"prod", "payment-api"};

/// The error-rate template the stand-in recognises (no placeholders needed: one service).
constexpr const char* kErrorRateMetric = "selfheal_test_error_rate";

// A Prometheus whose error-rate answer the test sets; 0 for every other query.
struct SignalPrometheus {
  std::atomic<double> error_rate{0.0};
  HttpServer server{{"127.0.0.1", 0, 1 << 20, 1}, [this](const HttpServer::Request& r) {
                      const std::string target(r.target());
                      const double v = target.find(kErrorRateMetric) != std::string::npos
                                           ? error_rate.load()
                                           : 0.0;
                      return HttpServer::json(
                          200, R"({"status":"success","data":{"resultType":"vector","result":[)"
                               R"({"metric":{},"value":[1700000000,")" +
                                   std::to_string(v) + R"("]}]}})");
                    }};
  std::uint16_t port = 0;
  SignalPrometheus() { port = *server.start(); }
  ~SignalPrometheus() { server.stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

ServeConfig config_with(const std::filesystem::path& dir, const SignalPrometheus& prom) {
  auto cfg = make_config(dir);
  cfg.prometheus.url = prom.url();
  cfg.prometheus.queries["error_rate"] = kErrorRateMetric;
  return cfg;
}

// What a restart finds: the memory-leak restart of payment-api executed, its verification due
// now, taken in `before` (nullopt: state from a build that did not keep it).
void seed_due_verification(const ServeConfig& cfg, std::optional<engine::ServiceSignals> before) {
  auto store = SqliteStore::open(cfg.state_path);
  REQUIRE(store);
  SystemClock clock;
  engine::TargetState st;
  st.last_action_at = clock.now() - 11min;
  st.attempts = 1;
  engine::InFlightAction fl;
  fl.action_id = 1;
  fl.incident = "fp-1";
  fl.action.kind = engine::ActionKind::kRestart;
  fl.started_at = clock.now() - 11min;
  fl.verify_at = clock.now() - 1s;
  fl.executed = true;
  fl.policy = "memory-leak";
  fl.before = std::move(before);
  st.in_flight = fl;
  (*store)->save(kApi, st);
}

// The one verification a LiveService started on `cfg` makes of the seeded action.
engine::AuditRecord verification(const ServeConfig& cfg) {
  Running s(cfg);
  REQUIRE(s.wait_record(engine::AuditKind::kVerification));
  const auto v = s.records(engine::AuditKind::kVerification);
  REQUIRE(v.size() == 1);
  CHECK(v[0].target == kApi);
  return v[0];
}

}  // namespace

TEST_CASE("live: a check that misses its bound passes within the service's configured slo",
          "[live][verification][slo]") {
  SignalPrometheus prom;
  prom.error_rate = 0.03;  // above the default check's bound max(2 x baseline, 0.02)
  TempDir dir;
  auto cfg = config_with(dir.path, prom);
  cfg.topology.push_back(TopologyService{kApi.ns, kApi.name, {}});
  cfg.objectives[kApi].error_rate = 0.05;
  seed_due_verification(cfg, std::nullopt);
  const auto v = verification(cfg);
  INFO(v.detail);
  CHECK(v.success == true);
  CHECK_THAT(v.detail,
             Catch::Contains("pass: error_rate 0.030 > 0.020, but within the service objective "
                             "0.050"));
}

TEST_CASE("live: without an slo the same window fails verification", "[live][verification][slo]") {
  SignalPrometheus prom;
  prom.error_rate = 0.03;
  TempDir dir;
  auto cfg = config_with(dir.path, prom);
  // In the topology, but no slo: no objective to be within.
  cfg.topology.push_back(TopologyService{kApi.ns, kApi.name, {}});
  seed_due_verification(cfg, std::nullopt);
  const auto v = verification(cfg);
  INFO(v.detail);
  CHECK(v.success == false);
  CHECK_THAT(v.detail, Catch::Contains("FAIL: error_rate 0.030 > 0.020"));
  CHECK_THAT(v.detail, !Catch::Contains("objective"));
}

TEST_CASE("the live Telemetry reports a service's configured objectives, none for others",
          "[live][prometheus][slo]") {
  ServiceObjectivesMap objectives;
  objectives[{"prod", "payment-api"}] = {0.01, 300, 0};
  objectives[{"prod", "report-worker"}].queue_lag = 5000;
  PrometheusTelemetry telemetry(PrometheusConfig{}, objectives);  // no URL: nothing sent
  const auto a = telemetry.signals({"prod", "payment-api"}, 5min);
  CHECK(a.error_rate_objective == 0.01);
  CHECK(a.latency_p99_objective_ms == 300);
  CHECK(a.queue_lag_objective == 0);
  const auto w = telemetry.signals({"prod", "report-worker"}, 5min);
  CHECK(w.queue_lag_objective == 5000);
  CHECK(w.error_rate_objective == 0);
  const auto other = telemetry.signals({"staging", "payment-api"}, 5min);  // another namespace
  CHECK(other.error_rate_objective == 0);
  CHECK(other.latency_p99_objective_ms == 0);
  CHECK(telemetry.queries_sent() == 0);
}

TEST_CASE("live: the before-action state survives a restart and verification judges by it",
          "[live][verification][durable]") {
  SignalPrometheus prom;
  prom.error_rate = 0.4;  // the incident when the action is taken
  TempDir dir;
  const auto cfg = config_with(dir.path, prom);
  {
    Running s(cfg);
    s.send("POST", "/api/v1/alerts", alert_payload("fp-1"));
    // The decision waits off the engine queue for its before-action queries (IncidentGate).
    REQUIRE(s.wait_record(engine::AuditKind::kDecision));
    REQUIRE(s.decisions(engine::Outcome::kExecuted).size() == 1);
  }  // stopped before its verification: the process and its memory are gone
  {
    auto store = SqliteStore::open(cfg.state_path);
    REQUIRE(store);
    auto st = (*store)->load(kApi);
    REQUIRE(st.in_flight);
    REQUIRE(st.in_flight->before);
    CHECK(st.in_flight->before->error_rate == 0.4);
    // The verification window passes while the server is down.
    st.in_flight->executed = true;
    st.in_flight->verify_at = SystemClock().now() - 1s;
    (*store)->save(kApi, st);
  }
  prom.error_rate = 0.1;  // draining: above the bound, but down 75%
  const auto v = verification(cfg);
  INFO(v.detail);
  CHECK(v.success == true);
  CHECK_THAT(v.detail, Catch::Contains("pass: error_rate 0.100 > 0.020, but down 75% from 0.400 "
                                       "when the action was taken (margin 50%)"));
}

TEST_CASE("live: a stored action without a before-action state is judged by its bounds",
          "[live][verification][durable]") {
  // State written before the before-action state was kept: the same window fails.
  SignalPrometheus prom;
  prom.error_rate = 0.1;
  TempDir dir;
  const auto cfg = config_with(dir.path, prom);
  seed_due_verification(cfg, std::nullopt);
  const auto v = verification(cfg);
  INFO(v.detail);
  CHECK(v.success == false);
  CHECK_THAT(v.detail, Catch::Contains("FAIL: error_rate 0.100 > 0.020"));
}

TEST_CASE("a before-action state reads back from the state database exactly", "[live][durable]") {
  engine::ServiceSignals b;
  b.error_rate = 0.4;
  b.latency_p99_ms = 216.5;
  b.queue_lag_trend = -12.25;
  b.memory_growth_per_hour = std::numeric_limits<double>::infinity();
  b.cpu_utilization = std::numeric_limits<double>::quiet_NaN();
  b.error_rate_objective = 0.01;
  b.since_last_deploy = 90min;
  b.current_revision = 7;
  b.missing = {"queue_lag", "restarts"};
  TempDir dir;
  const auto cfg = make_config(dir.path);
  seed_due_verification(cfg, b);
  auto store = SqliteStore::open(cfg.state_path);
  REQUIRE(store);
  const auto st = (*store)->load(kApi);
  REQUIRE(st.in_flight);
  REQUIRE(st.in_flight->before);
  const auto& r = *st.in_flight->before;
  CHECK(r.error_rate == 0.4);
  CHECK(r.latency_p99_ms == 216.5);
  CHECK(r.queue_lag_trend == -12.25);
  CHECK(std::isinf(r.memory_growth_per_hour));
  CHECK(std::isnan(r.cpu_utilization));
  CHECK(r.error_rate_objective == 0.01);
  CHECK(r.restarts == 0);
  CHECK(r.since_last_deploy == std::optional<core::Duration>{90min});
  CHECK(r.current_revision == 7);
  CHECK(r.missing == std::vector<std::string>{"queue_lag", "restarts"});
  CHECK((*store)->unreadable_count() == 0);
}

}  // namespace objectives_test
