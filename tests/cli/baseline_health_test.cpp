// The baseline health gate from the command line: run/check/sweep refuse a world that
// misses its objectives before its first fault (exit 2, each service and why), run anyway
// with --allow-unhealthy-baseline and a warning in every report, and lint prints the load.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cli_harness.hpp"

using selfheal::test::call;
using selfheal::test::slurp;
using selfheal::test::TempDir;

namespace {

// storefront's 200 rps reach orders-api on top of its own 333: 533 vs 6 x 75 = 450.
constexpr const char* kOverloaded = R"(scenario: orders-overloaded
duration: 2h
cluster:
  namespace: orders
  services:
    storefront: {traffic: {rps: 200, daily_shape: false}, depends_on: [orders-api]}
    orders-api:
      replicas: 6
      capacity_rps_per_replica: 75
      traffic: {rps: 333, daily_shape: false}
policies:
  remediation_policies:
    - incident_type: memory-leak
      action: restart
faults:
  - {at: 30m, kind: memory-leak, target: orders-api}
)";

constexpr const char* kWhy =
    "orders-api: 533 rps offered vs 450 capacity (6 × 75 rps) at the start before any fault";

std::string write_scenario(const TempDir& t) {
  const std::string f = (t.path / "orders.yaml").string();
  std::ofstream(f) << kOverloaded;
  return f;
}

}  // namespace

TEST_CASE("run and check stop with exit 2 naming the overloaded service", "[cli][baseline]") {
  TempDir t("baseline-gate");
  const std::string f = write_scenario(t);
  for (const char* cmd : {"run", "check"}) {
    INFO(cmd);
    auto r = call({cmd, f, "--out", (t.path / "out").string()});
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains(kWhy));
    CHECK_THAT(r.err, Catch::Contains("scenario orders-overloaded: unhealthy baseline"));
    CHECK_THAT(r.err, Catch::Contains("--allow-unhealthy-baseline"));
    CHECK_FALSE(std::filesystem::exists(t.path / "out/report.json"));
    CHECK_FALSE(std::filesystem::exists(t.path / "out/orders-overloaded/report.json"));
  }
}

TEST_CASE("allow-unhealthy-baseline runs and warns in every report", "[cli][baseline]") {
  TempDir t("baseline-allow");
  const std::string f = write_scenario(t);
  const auto out = t.path / "out";
  // No twin and no counterfactual branches: the warning is the subject, not the verdicts, and
  // the overloaded service's incident never ends, so its decisions would each be branched.
  auto r = call({"run", f, "--no-twin", "--no-counterfactuals", "--allow-unhealthy-baseline",
                 "--out", out.string()});
  CHECK(r.rc != 2);
  CHECK_THAT(r.out, Catch::Contains("WARNING unhealthy baseline"));
  CHECK_THAT(r.out, Catch::Contains(kWhy));
  CHECK_THAT(slurp(out / "report.md"), Catch::Contains("**Warning: unhealthy baseline.**"));
  CHECK_THAT(slurp(out / "report.md"), Catch::Contains(kWhy));
  CHECK_THAT(slurp(out / "report.html"), Catch::Contains("Warning: unhealthy baseline."));
  CHECK_THAT(slurp(out / "report.html"), Catch::Contains(kWhy));
  const auto j = nlohmann::json::parse(slurp(out / "report.json"));
  REQUIRE(j.contains("baseline_warnings"));
  CHECK(j["baseline_warnings"] == nlohmann::json::array({kWhy}));
  // check too.
  auto c = call({"check", f, "--no-twin", "--no-counterfactuals", "--allow-unhealthy-baseline"});
  CHECK(c.rc != 2);
}

TEST_CASE("a healthy library scenario's JSON report has no baseline_warnings field",
          "[cli][baseline]") {
  auto r = call({"run", "scenarios/db-outage-naive.yaml", "--no-twin", "--format", "json", "--out",
                 TempDir("baseline-healthy").path.string()});
  CHECK(r.rc == 0);
  CHECK_FALSE(nlohmann::json::parse(r.out).contains("baseline_warnings"));
}

TEST_CASE("sweep refuses an unhealthy baseline unless allowed", "[cli][baseline]") {
  TempDir t("baseline-sweep");
  const std::string f = write_scenario(t);
  auto r = call({"sweep", f, "--runs", "1", "--jobs", "1", "--progress", "never", "--out",
                 (t.path / "sweep").string()});
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains(kWhy));
  CHECK_FALSE(std::filesystem::exists(t.path / "sweep/runs.csv"));
  auto ok = call({"sweep", f, "--runs", "1", "--jobs", "1", "--progress", "never", "--no-twin",
                  "--allow-unhealthy-baseline", "--out", (t.path / "sweep").string()});
  CHECK(ok.rc == 0);
  CHECK_THAT(ok.out, Catch::Contains("WARNING (--allow-unhealthy-baseline)"));
  CHECK_THAT(ok.out, Catch::Contains(kWhy));
  // sweep.json carries the warning too (issue 20).
  const std::string json = slurp(t.path / "sweep/sweep.json");
  CHECK_THAT(json, Catch::Contains("\"baseline_warnings\"") && Catch::Contains(kWhy));
}

TEST_CASE("lint of a scenario prints offered load, capacity and headroom", "[cli][baseline]") {
  TempDir t("baseline-lint");
  const std::string f = write_scenario(t);
  auto r = call({"lint", f});
  CHECK(r.rc == 2);
  CHECK_THAT(r.out,
             Catch::Contains(
                 "UNHEALTHY: scenario orders-overloaded, 2 services, 1 fault, 0 calendar events"));
  CHECK_THAT(r.out, Catch::Contains("  orders-api                         533.0         533.0  "
                                    "450 (6 x 75)              -18%\n"));
  CHECK_THAT(r.out, Catch::Contains("  storefront                         200.0         200.0  "
                                    "300 (3 x 100)              33%\n"));
  CHECK_THAT(r.err, Catch::Contains(kWhy));

  auto ok = call({"lint", "scenarios/db-outage-naive.yaml"});
  CHECK(ok.rc == 0);
  CHECK_THAT(ok.out, Catch::Contains("OK: scenario db-outage-naive"));
  CHECK_THAT(ok.out, Catch::Contains("payments-db"));
  CHECK_THAT(ok.out, Catch::Contains("baseline healthy"));

  auto j = call({"lint", "--format", "json", f});
  CHECK(j.rc == 2);
  const auto doc = nlohmann::json::parse(j.out);
  CHECK(doc["files"][0]["kind"] == "scenario");
  CHECK(doc["files"][0]["baseline"][1]["offered_peak_rps"] == 533.0);
  CHECK(doc["files"][0]["baseline_problems"][0] == kWhy);
  // A policy file is still linted as one.
  CHECK(call({"lint", "scenarios/policies/naive-restart.yaml"}).rc == 0);
}
