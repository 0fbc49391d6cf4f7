#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/cli_harness.hpp"

using selfheal::test::call;
using selfheal::test::slurp;
using selfheal::test::TempDir;

namespace {

constexpr const char* kLine =
    R"({"version":"4","groupKey":"g","truncatedAlerts":0,"status":"firing","receiver":"r",)"
    R"("groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am",)"
    R"("alerts":[{"status":"firing","labels":{"alertname":"OOMKilled","service":"payment-api",)"
    R"("namespace":"prod"},"annotations":{"incident_type":"memory-leak","confidence":"0.95"},)"
    R"("startsAt":"2026-11-27T18:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"",)"
    R"("fingerprint":"c0ffee01"}]})";

constexpr const char* kPolicy = R"(engine: {mode: auto}
remediation_policies:
  - {incident_type: memory-leak, action: restart, auto_execute: true, cooldown: 10m}
)";

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

}  // namespace

TEST_CASE("selfheal import alerts then backtest: history file, text, JSON, the CI bound",
          "[cli][backtest]") {
  TempDir t("backtest-cli");
  write(t / "am.log", std::string(kLine) + "\n");
  write(t / "p.yaml", kPolicy);
  auto imp = call({"import", "alerts", "--webhook-log", t / "am.log", "--out", t / "h.json"});
  INFO(imp.err);
  REQUIRE(imp.rc == 0);
  CHECK_THAT(slurp(t / "h.json"), Catch::Contains("\"fingerprint\": \"c0ffee01\""));

  auto text = call({"backtest", "--policy", t / "p.yaml", t / "h.json"});
  INFO(text.err);
  CHECK(text.rc == 0);
  CHECK_THAT(text.out, Catch::Contains("would run: kubectl") && Catch::Contains("open loop"));
  auto json = call({"backtest", "--policy", t / "p.yaml", "--format", "json", t / "h.json"});
  CHECK(json.rc == 0);
  CHECK_THAT(json.out, Catch::Contains("\"actions\": 1"));
  auto md = call({"backtest", "--policy", t / "p.yaml", "--format", "markdown", t / "h.json"});
  CHECK_THAT(md.out, Catch::StartsWith("# Backtest of"));
  auto bound = call(
      {"backtest", "--policy", t / "p.yaml", "--max-actions-per-target-hour", "0", t / "h.json"});
  CHECK(bound.rc == 1);
  CHECK_THAT(bound.err, Catch::Contains("prod/payment-api"));
  auto junit = call({"backtest", "--policy", t / "p.yaml", "--max-actions-per-target-hour", "0",
                     "--junit", t / "junit.xml", t / "h.json"});
  CHECK(junit.rc == 1);
  const std::string x = slurp(t / "junit.xml");
  CHECK_THAT(x, Catch::Contains("failures=\"1\"") &&
                    Catch::Contains("<testcase classname=\"backtest\" name=\"OOMKilled\">") &&
                    Catch::Contains("<failure message=\"1 actions on prod/payment-api"));
  auto against =
      call({"backtest", "--policy", t / "p.yaml", "--against", t / "p.yaml", t / "h.json"});
  CHECK_THAT(against.out, Catch::Contains("none: both policies act and page identically"));
}

TEST_CASE("selfheal import alerts: a bad line fails with file:line, exit 2, nothing written",
          "[cli][backtest]") {
  TempDir t("import-bad");
  write(t / "am.log", std::string(kLine) + "\nnot json\n");
  auto r = call({"import", "alerts", "--webhook-log", t / "am.log", "--out", t / "h.json"});
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains((t / "am.log") + ":2:") && Catch::Contains("nothing written"));
  CHECK_FALSE(std::filesystem::exists(t / "h.json"));
  auto bad_hist = call({"backtest", "--policy", t / "am.log", t / "am.log"});
  CHECK(bad_hist.rc == 2);
}

TEST_CASE("selfheal import cluster writes a cluster: that loads as a scenario", "[cli][import]") {
  TempDir t("import-cluster");
  auto imp = call(
      {"import", "cluster", "tests/importer/data/kubectl-list.json", "--out", t / "cluster.yaml"});
  INFO(imp.err);
  REQUIRE(imp.rc == 0);
  write(t / "s.yaml", "scenario: imported\nduration: 1h\npolicies: " +
                          std::filesystem::absolute("policies/examples/seed.yaml").string() + "\n" +
                          slurp(t / "cluster.yaml"));
  auto lint = call({"lint", t / "s.yaml"});
  INFO(lint.out << lint.err);
  CHECK(lint.rc == 0);
  auto not_list = call({"import", "cluster", t / "s.yaml"});
  CHECK(not_list.rc == 2);
  CHECK_THAT(not_list.err, Catch::Contains("nothing written"));
  auto no_prom = call({"import", "cluster", "tests/importer/data/kubectl-list.json", "--prometheus",
                       "http://127.0.0.1:1", "--out", t / "graph.yaml"});
  CHECK(no_prom.rc == 2);
  CHECK_THAT(no_prom.err, Catch::Contains("Prometheus at http://127.0.0.1:1 unreachable") &&
                              Catch::Contains("nothing written"));
  CHECK_FALSE(std::filesystem::exists(t / "graph.yaml"));
  auto bad_ns = call({"import", "cluster", "--kubectl", "--namespace", "prod;id"});
  CHECK(bad_ns.rc == 2);
  CHECK_THAT(bad_ns.err,
             Catch::Contains("not a DNS-1123 name") && Catch::Contains("nothing written"));
  auto both = call({"import", "cluster", "tests/importer/data/kubectl-list.json", "--kubectl"});
  CHECK(both.rc == 2);
  auto bad_window = call({"import", "cluster", "tests/importer/data/kubectl-list.json",
                          "--prometheus", "http://127.0.0.1:1", "--graph-window", "soon"});
  CHECK(bad_window.rc == 2);
  CHECK_THAT(bad_window.err, Catch::Contains("--graph-window"));
}

TEST_CASE("selfheal import scenario: an incident of the history becomes a scenario that runs",
          "[cli][import]") {
  TempDir t("import-scenario");
  write(t / "am.log", std::string(kLine) + "\n");
  write(t / "p.yaml", kPolicy);
  write(t / "cluster.yaml", R"(cluster:
  namespace: prod
  services:
    payment-api: {replicas: 3, memory_limit_mb: 512, memory_per_pod_mb: 256,
                  traffic: {rps: 120}, depends_on: [payments-db]}
    payments-db: {kind: database}
)");
  REQUIRE(call({"import", "alerts", "--webhook-log", t / "am.log", "--out", t / "h.json"}).rc == 0);
  std::filesystem::create_directories(t / "incidents");
  auto imp = call({"import", "scenario", t / "h.json", "--cluster", t / "cluster.yaml",
                   "--policies", t / "p.yaml", "--incident", "c0ffee01", "--name", "oom-replay",
                   "--out", t / "incidents/oom.yaml"});
  INFO(imp.err);
  REQUIRE(imp.rc == 0);
  const std::string y = slurp(t / "incidents/oom.yaml");
  INFO(y);
  CHECK_THAT(y, Catch::Contains("scenario: oom-replay\n"));
  CHECK_THAT(y, Catch::Contains("policies: " + (t / "p.yaml") + "\n"));  // absolute stays
  CHECK_THAT(y,
             Catch::Contains("kind: memory-leak  # guess: annotation incident_type=memory-leak"));
  auto run = call({"run", t / "incidents/oom.yaml", "--out", t / "report"});
  INFO(run.out << run.err);
  CHECK(run.rc == 0);

  auto unknown = call({"import", "scenario", t / "h.json", "--cluster", t / "cluster.yaml",
                       "--policies", t / "p.yaml", "--incident", "c0ffee02"});
  CHECK(unknown.rc == 2);
  CHECK_THAT(unknown.err, Catch::Contains("c0ffee01") && Catch::Contains("nothing written"));
  auto no_cluster = call({"import", "scenario", t / "h.json", "--policies", t / "p.yaml"});
  CHECK(no_cluster.rc == 2);
}
