#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "cli/command.hpp"

namespace fs = std::filesystem;
namespace cli = selfheal::cli;

namespace {

struct Outcome {
  int rc;
  std::string out;
  std::string err;
};

Outcome call(std::vector<std::string> args) {
  std::vector<const char*> argv{"selfheal"};
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  int rc = cli::dispatch(static_cast<int>(argv.size()), argv.data(), cli::Io{out, err});
  return {rc, out.str(), err.str()};
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("selfheal-sweep-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + "-" +
            std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& s) const { return (path / s).string(); }
};

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
  for (const char* f : {"sweep.json", "summary.csv", "runs.csv"}) {
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
  // Row 4 = run 1 of combination 1 (max_attempts=3).
  std::istringstream runs(slurp(t / "sw/runs.csv"));
  std::string line;
  for (int i = 0; i <= 4; ++i)
    std::getline(runs, line);
  std::vector<std::string> cells;
  std::stringstream ss(line);
  for (std::string c; std::getline(ss, c, ',');)
    cells.push_back(c);
  REQUIRE(cells.size() >= 13);
  CHECK(cells[0] == "1");
  CHECK(cells[1] == "1");
  auto r =
      call({"run", kScenario, "--seed", cells[2], "--set",
            "policies.application-crash.max_attempts=3", "--format", "json", "--out", t / "one"});
  INFO(r.err);
  REQUIRE(r.rc <= 1);
  auto j = nlohmann::json::parse(r.out);
  // runs.csv columns: combination,run,seed,mttr,time_to_escalate,incidents,unrecovered,
  // remediation_loops,wrongly_acted,made_worse,actions,wrong_actions,pages, ...
  CHECK(std::to_string(j["summary"]["actions"].get<int>()) == cells[10]);
  CHECK(std::to_string(j["summary"]["pages"].get<int>()) == cells[12]);
  CHECK(j["scenario"]["seed"].get<std::uint64_t>() == std::stoull(cells[2]));
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
  CHECK(call({"sweep"}).rc == 2);
  CHECK(call({"sweep", "tests/sweep/data/nope.yaml"}).rc == 2);
}
