// End to end with Debian's real Prometheus: it evaluates a real alerting rule on loopback,
// `import alerts --prometheus` reads ALERTS back through /api/v1/query_range, and a
// backtest of a policy over that history decides as documented (no annotations in ALERTS:
// the built-in classifier on no data, then no policy for its type: a page). Skipped (exit 77) when
// /usr/bin/prometheus is missing; a failure instead under SELFHEAL_REQUIRE_E2E=1 (CI).
// Every wait is a bounded poll. A second case has Prometheus record service-graph counters
// (OpenTelemetry's and Istio's, each growing at a known rate) and imports the graph into
// the kubectl fixture's cluster.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>  // before asio: its awaitable.hpp uses std::exchange

#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <thread>

#include "backtest/backtest.hpp"
#include "engine/policy_loader.hpp"
#include "importer/prometheus_import.hpp"
#include "importer/service_graph.hpp"
#include "live/http_client.hpp"
#include "scenario/scenario.hpp"
#include "tests/support/child_process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using selfheal::test::Child;
using selfheal::test::eventually;
using selfheal::test::free_port;

namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr int kSkipExitCode = 77;

void require_prometheus() {
  if (fs::exists(kPrometheus)) return;
  const char* require = std::getenv("SELFHEAL_REQUIRE_E2E");
  if (require != nullptr && std::string_view(require) == "1")
    FAIL("SELFHEAL_REQUIRE_E2E=1 and /usr/bin/prometheus is not installed");
  std::fprintf(stderr, "SKIPPED: /usr/bin/prometheus is not installed (scripts/setup)\n");
  std::exit(kSkipExitCode);
}

}  // namespace

TEST_CASE(
    "import alerts --prometheus reads a real Prometheus's ALERTS, then backtest decides on it",
    "[import][e2e]") {
  require_prometheus();
  const fs::path dir =
      fs::temp_directory_path() / ("selfheal-prom-import-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "rules.yml") << R"(groups:
  - name: import-e2e
    interval: 1s
    rules:
      - alert: OOMKilled
        expr: vector(1)
        labels: {service: payment-api, namespace: prod, severity: critical}
)";
  std::ofstream(dir / "prometheus.yml") << "global: {evaluation_interval: 1s}\n"
                                        << "rule_files: [" << (dir / "rules.yml").string() << "]\n";
  const auto port = free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const auto begin = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  {
    Child prom({kPrometheus, "--config.file=" + (dir / "prometheus.yml").string(),
                "--storage.tsdb.path=" + (dir / "data").string(),
                "--web.listen-address=127.0.0.1:" + std::to_string(port)},
               dir / "prometheus.log");
    std::optional<selfheal::history::History> h;
    std::string last_error;
    const bool got = eventually(
        [&] {
          selfheal::importer::PrometheusRange range;
          range.url = url;
          range.from = selfheal::core::TimePoint{
              std::chrono::duration_cast<selfheal::core::Duration>(begin.time_since_epoch())};
          range.until = range.from + 5min;
          range.step = 1s;
          selfheal::core::Diagnostics d;
          h = selfheal::importer::import_prometheus(range, d);
          last_error = d.describe();
          return h.has_value();
        },
        90s);
    std::ifstream log(dir / "prometheus.log");
    INFO("last import error: " << last_error << "\nprometheus log:\n"
                               << std::string(std::istreambuf_iterator<char>(log), {}));
    REQUIRE(got);
    REQUIRE(h->alerts.size() == 1);
    const auto& a = h->alerts[0];
    CHECK(a.alertname == "OOMKilled");
    CHECK(a.service == "payment-api");
    CHECK(a.ns == "prod");
    CHECK(a.labels.at("severity") == "critical");
    CHECK(a.fingerprint == selfheal::importer::label_fingerprint(a.labels));
    REQUIRE(a.firings.size() == 1);
    CHECK_FALSE(a.firings[0].end);  // still firing at the end of the range

    auto policies = selfheal::engine::load_policy_string(R"(
engine: {mode: auto}
remediation_policies:
  - {incident_type: memory-leak, action: restart, auto_execute: true,
     escalation_channel: pagerduty-p1}
)",
                                                         "e2e.yaml");
    REQUIRE(policies.policies);
    const auto r = selfheal::backtest::run(*h, *policies.policies, {});
    REQUIRE(r.incidents.size() == 1);
    CHECK(r.totals.actions == 0);
    std::string outcomes;
    for (const auto& [o, n] : r.totals.outcomes)
      outcomes += o + "=" + std::to_string(n) + " ";
    INFO("outcomes: " << outcomes);
    // The built-in classifier on no data picks a type at low confidence (0.20); this policy
    // has none for it: no-policy, a page.
    CHECK(r.totals.outcomes.count("no-policy") == 1);
    CHECK(r.totals.pages == 1);
  }
  fs::remove_all(dir);
}

namespace {

// Recording rules that grow like counters at fixed rates (requests/s): time() * rate.
constexpr const char* kGraphRules = R"(groups:
  - name: service-graph
    interval: 1s
    rules:
      - record: traces_service_graph_request_total
        expr: vector(time() * 120)
        labels: {client: user, server: payment-api}
      - record: traces_service_graph_request_total
        expr: vector(time() * 40)
        labels: {client: payment-api, server: session-cache}
      - record: traces_service_graph_request_total
        expr: vector(time() * 4)
        labels: {client: email-worker, server: payments-db}
      - record: istio_requests_total
        expr: vector(time() * 6)
        labels: {reporter: destination, source_workload: unknown,
                 source_workload_namespace: unknown, destination_workload: email-worker,
                 destination_workload_namespace: prod, response_code: "200"}
      - record: istio_requests_total
        expr: vector(time() * 6)
        labels: {reporter: source, source_workload: unknown,
                 source_workload_namespace: unknown, destination_workload: email-worker,
                 destination_workload_namespace: prod, response_code: "200"}
      - record: istio_requests_total
        expr: vector(time() * 2)
        labels: {reporter: destination, source_workload: email-worker,
                 source_workload_namespace: prod, destination_workload: session-cache,
                 destination_workload_namespace: prod, response_code: "200"}
      - record: istio_requests_total
        expr: vector(time() * 9)
        labels: {reporter: destination, source_workload: payment-api,
                 source_workload_namespace: staging, destination_workload: payments-db,
                 destination_workload_namespace: staging, response_code: "200"}
)";

const selfheal::importer::ImportedService& service(const selfheal::importer::ImportedCluster& c,
                                                   const std::string& name) {
  for (const auto& s : c.services)
    if (s.name == name) return s;
  FAIL("no service " << name);
  throw;
}

}  // namespace

TEST_CASE("import cluster --prometheus reads a real Prometheus's service graph",
          "[import][e2e][graph]") {
  require_prometheus();
  const fs::path dir =
      fs::temp_directory_path() / ("selfheal-prom-graph-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "rules.yml") << kGraphRules;
  std::ofstream(dir / "prometheus.yml") << "global: {evaluation_interval: 1s}\n"
                                        << "rule_files: [" << (dir / "rules.yml").string() << "]\n";
  const auto port = free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  // A short window, so that it is full of samples soon (rate() extrapolates a window only
  // partly covered: the rate would read low until then).
  const auto window = std::chrono::seconds{10};
  {
    Child prom({kPrometheus, "--config.file=" + (dir / "prometheus.yml").string(),
                "--storage.tsdb.path=" + (dir / "data").string(),
                "--web.listen-address=127.0.0.1:" + std::to_string(port)},
               dir / "prometheus.log");
    std::vector<selfheal::importer::GraphEdge> edges;
    std::string last_error;
    auto rate_of = [&](const std::string& client, const std::string& server) {
      for (const auto& e : edges)
        if (e.client == client && e.server == server) return e.rps;
      return -1.0;
    };
    const bool got = eventually(
        [&] {
          selfheal::core::Diagnostics d;
          auto e = selfheal::importer::query_service_graph({url, window, "prod"}, d);
          last_error = d.describe();
          if (!e) return false;
          edges = *e;
          const double user = rate_of("user", "payment-api");
          return edges.size() == 5 && user > 120 * 0.95 && user < 120 * 1.05;
        },
        90s);
    std::ifstream log(dir / "prometheus.log");
    INFO("last error: " << last_error << "\nedges: " << edges.size() << "\nprometheus log:\n"
                        << std::string(std::istreambuf_iterator<char>(log), {}));
    REQUIRE(got);
    // The same evaluations make every series: their rates keep the ratios of the rules.
    const double unit = rate_of("user", "payment-api") / 120;
    CHECK(rate_of("payment-api", "session-cache") == Approx(40 * unit).epsilon(0.01));
    CHECK(rate_of("email-worker", "payments-db") == Approx(4 * unit).epsilon(0.01));
    CHECK(rate_of("unknown", "email-worker") ==
          Approx(6 * unit).epsilon(0.01));  // one reporter only
    CHECK(rate_of("email-worker", "session-cache") == Approx(2 * unit).epsilon(0.01));
    CHECK(rate_of("payment-api", "payments-db") < 0);  // another namespace: not asked

    selfheal::core::Diagnostics d;
    auto c = selfheal::importer::import_cluster_file(
        std::string(SELFHEAL_IMPORTER_TEST_DATA) + "/kubectl-list.json", d);
    REQUIRE(c);
    selfheal::importer::apply_service_graph(*c, edges, "Prometheus " + url);
    const std::string y = selfheal::importer::to_cluster_yaml(*c);
    INFO(y);
    const auto& api = service(*c, "payment-api");
    REQUIRE(api.traffic_rps);
    CHECK(*api.traffic_rps == Approx(120 * unit).epsilon(0.01));
    CHECK(api.depends_on == std::vector<std::string>{"payments-db", "session-cache"});
    const auto& worker = service(*c, "email-worker");
    CHECK(worker.depends_on == std::vector<std::string>{"payments-db", "session-cache"});
    CHECK(worker.depends_on_from_graph);
    REQUIRE(worker.traffic_rps);
    CHECK(*worker.traffic_rps == Approx(6 * unit).epsilon(0.01));
    REQUIRE(service(*c, "session-cache").traffic_rps);
    CHECK(*service(*c, "session-cache").traffic_rps == 0);
    CHECK_THAT(y, Catch::Contains("(traces_service_graph_request_total)") &&
                      Catch::Contains("(istio_requests_total)"));
    auto load = selfheal::scenario::load_scenario_string(
        "scenario: graph\nduration: 1h\npolicies: policies/examples/seed.yaml\n" + y, "graph.yaml",
        ".");
    INFO(load.diagnostics.describe());
    CHECK(load.diagnostics.empty());
  }
  fs::remove_all(dir);
}
