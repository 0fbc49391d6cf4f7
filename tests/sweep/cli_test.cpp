#include <algorithm>
#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "tests/support/cli_harness.hpp"

namespace fs = std::filesystem;
namespace cli = selfheal::cli;

namespace {

using selfheal::test::call;
using selfheal::test::slurp;
using selfheal::test::TempDir;

const std::string kScenario = "tests/sweep/data/db-outage-varied.yaml";
const std::string kSet = "policies.application-crash.max_attempts=1,3";

}  // namespace

TEST_CASE("selfheal sweep writes a table, sweep.json, summary.csv and runs.csv", "[sweep][cli]") {
  TempDir t;
  auto r = call({"sweep", kScenario, "--runs", "4", "--jobs", "2", "--set", kSet, "--out",
                 t / "all", "--progress", "never"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("sweep db-outage-varied: 2 combinations x 4 runs"));
  CHECK_THAT(r.out, Catch::Contains("MTTR mean [95% CI]"));
  CHECK_THAT(r.err, Catch::Contains("runs/s"));
  auto j = nlohmann::json::parse(slurp(t / "all/sweep.json"));
  CHECK(j["combinations"].size() == 2);
  CHECK(j["combinations"][1]["params"]["policies.application-crash.max_attempts"] == "3");
  CHECK(j["combinations"][0]["metrics"]["pages"]["n"] == 4);
  const std::string html = slurp(t / "all/sweep.html");
  CHECK_THAT(html, Catch::StartsWith("<!DOCTYPE html>"));
  CHECK_THAT(html, Catch::Contains("Trade-off: mttr vs wrongly_acted"));
  CHECK_THAT(r.out, Catch::Contains("sweep.html"));
  std::istringstream runs(slurp(t / "all/runs.csv"));
  std::string line;
  int n = 0;
  while (std::getline(runs, line))
    ++n;
  CHECK(n == 1 + 8);
}

TEST_CASE("shards merged by selfheal merge write the very same files", "[sweep][cli]") {
  TempDir t;
  REQUIRE(call({"sweep", kScenario, "--runs", "5", "--set", kSet, "--jobs", "2", "--out", t / "all",
                "--progress", "never"})
              .rc == 0);
  for (const char* s : {"0/2", "1/2"})
    REQUIRE(call({"sweep", kScenario, "--runs", "5", "--set", kSet, "--jobs", "1", "--shard", s,
                  "--out", t / (std::string("shard") + s[0]), "--progress", "never"})
                .rc == 0);
  auto m = call({"merge", t / "shard1", t / "shard0/sweep.json", "--out", t / "merged"});
  INFO(m.err);
  REQUIRE(m.rc == 0);
  for (const char* f : {"sweep.json", "summary.csv", "sweep.html", "runs.csv"}) {
    INFO(f);
    CHECK(slurp(t / (std::string("merged/") + f)) == slurp(t / (std::string("all/") + f)));
  }
}

TEST_CASE("merge refuses a missing shard unless --partial", "[sweep][cli]") {
  TempDir t;
  REQUIRE(call({"sweep", kScenario, "--runs", "4", "--shard", "0/2", "--out", t / "s0",
                "--progress", "never"})
              .rc == 0);
  auto m = call({"merge", t / "s0", "--out", t / "m"});
  CHECK(m.rc == 2);
  CHECK_THAT(m.err, Catch::Contains("shards missing: 1 of 2"));
  CHECK_FALSE(fs::exists(t / "m/sweep.json"));
  auto p = call({"merge", t / "s0", "--out", t / "m", "--partial"});
  CHECK(p.rc == 0);
  CHECK_THAT(p.out, Catch::Contains("(partial)"));
  CHECK(call({"merge", t / "nowhere"}).rc == 2);
}

TEST_CASE("a recorded seed reproduces its run with selfheal run --seed", "[sweep][cli]") {
  TempDir t;
  REQUIRE(call({"sweep", kScenario, "--runs", "3", "--set", kSet, "--out", t / "sw", "--progress",
                "never"})
              .rc == 0);
  std::istringstream runs(slurp(t / "sw/runs.csv"));
  std::string line;
  const auto split = [](const std::string& row) {
    std::vector<std::string> cells;
    std::stringstream ss(row);
    for (std::string c; std::getline(ss, c, ',');)
      cells.push_back(c);
    if (!row.empty() && row.back() == ',') cells.emplace_back();
    return cells;
  };
  std::getline(runs, line);
  const std::vector<std::string> header = split(line);
  const auto column = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    REQUIRE(it != header.end());
    return static_cast<std::size_t>(it - header.begin());
  };
  // Every metric column of runs.csv against the same figure in `selfheal run`'s JSON summary
  // (times in the CSV are seconds, in the JSON milliseconds; an empty cell is a null).
  struct Pair {
    const char* csv;
    const char* json;
    double scale;
  };
  const std::vector<Pair> pairs = {
      {"mttr", "/mttr_ms/mean", 1000},
      {"time_to_escalate", "/time_to_escalate_mean_ms", 1000},
      {"incidents", "/incidents", 1},
      {"unrecovered", "/unrecovered_incidents", 1},
      {"remediation_loops", "/remediation_loops", 1},
      {"wrongly_acted", "/wrongly_acted_incidents", 1},
      {"made_worse", "/made_worse_incidents", 1},
      {"actions", "/actions", 1},
      {"pages", "/pages", 1},
      {"approval_requests", "/approval_requests", 1},
      {"automated_recovery_rate", "/automated_recovery_rate", 1},
      {"verification_pass_rate", "/verification_pass_rate", 1},
      {"error_budget_minutes", "/error_budget_minutes", 1},
      {"budget_saved_minutes", "/error_budget_saved_minutes", 1},
      {"max_actions_per_target_hour", "/max_actions_per_target_hour", 1},
  };
  int reproduced = 0;
  int acted = 0;
  while (std::getline(runs, line)) {
    const std::vector<std::string> cells = split(line);
    REQUIRE(cells.size() == header.size());
    if (cells[column("combination")] != "1") continue;  // max_attempts=3
    auto r =
        call({"run", kScenario, "--seed", cells[column("seed")], "--set",
              "policies.application-crash.max_attempts=3", "--format", "json", "--out", t / "one"});
    INFO(r.err);
    REQUIRE(r.rc <= 1);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["scenario"]["seed"].get<std::uint64_t>() == std::stoull(cells[column("seed")]));
    const auto& summary = j["summary"];
    for (const Pair& p : pairs) {
      INFO("run " << cells[column("run")] << ", column " << p.csv);
      const std::string& cell = cells[column(p.csv)];
      const nlohmann::json& value = summary.at(nlohmann::json::json_pointer(p.json));
      if (cell.empty()) {
        CHECK(value.is_null());
      } else {
        REQUIRE(value.is_number());
        CHECK(std::stod(cell) * p.scale == Approx(value.get<double>()).margin(1e-6));
      }
    }
    if (std::stoi(cells[column("actions")]) > 0) ++acted;
    ++reproduced;
  }
  CHECK(reproduced == 3);
  CHECK(acted > 0);  // at least one reproduced run did something worth comparing
}

TEST_CASE("bad sweep input exits 2 and writes nothing", "[sweep][cli]") {
  TempDir t;
  auto typo = call(
      {"sweep", kScenario, "--set", "policies.application-crash.max_atempts=2", "--out", t / "x"});
  CHECK(typo.rc == 2);
  CHECK_THAT(typo.err, Catch::Contains("max_atempts"));
  CHECK_FALSE(fs::exists(t / "x"));
  CHECK(call({"sweep", kScenario, "--shard", "2/2"}).rc == 2);
  CHECK(call({"sweep", kScenario, "--runs", "0", "--out", t / "x"}).rc == 2);
  CHECK(call({"sweep", kScenario, "--jobs", "0"}).rc == 2);
  auto trade = call({"sweep", kScenario, "--trade-off", "mttr,pagse", "--out", t / "x"});
  CHECK(trade.rc == 2);
  CHECK_THAT(trade.err, Catch::Contains("did you mean \"pages\""));
  CHECK_FALSE(fs::exists(t / "x"));
  CHECK(call({"sweep"}).rc == 2);
  CHECK(call({"sweep", "tests/sweep/data/nope.yaml"}).rc == 2);
}
