// sweep/merge_shards: reading shard outputs, merging them in shard order, and putting their
// runs.csv rows back together — the work `selfheal merge` calls.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "sweep/merge_shards.hpp"
#include "sweep/report.hpp"
#include "tests/support/cli_harness.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace merge_shards_test {

namespace sw = selfheal::sweep;
namespace fs = std::filesystem;
using selfheal::test::slurp;
using selfheal::test::TempDir;

namespace {

const char* kScenario = "tests/sweep/data/db-outage-varied.yaml";

sw::SweepResult shard(std::uint64_t index, std::uint64_t count) {
  sw::SweepSpec s;
  s.scenario_path = kScenario;
  s.runs = count;
  s.shard = {index, count};
  auto p = sw::prepare(s);
  INFO(p.diagnostics.describe());
  REQUIRE(p.prepared);
  return sw::execute(*p.prepared, sw::ExecuteOptions{});
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("merge_shards sorts parts into shard order and refuses a missing shard", "[sweep]") {
  std::vector<sw::ShardOutput> parts{{shard(2, 3), "c"}, {shard(0, 3), "a"}};
  auto refused = sw::merge_shards(parts, false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "shards missing: 1 of 3 (pass --partial to merge what is there)");
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].dir == "a");
  CHECK(parts[1].dir == "c");

  auto partial = sw::merge_shards(parts, true);
  REQUIRE(partial);
  CHECK_FALSE(partial->complete());
  CHECK(partial->shards == std::vector<std::uint64_t>{0, 2});
}

TEST_CASE("read_shard_outputs names every unreadable input and keeps the good ones", "[sweep]") {
  TempDir t("merge-read");
  REQUIRE(sw::write_result(shard(0, 2), t / "good"));
  write_text(t.path / "bad" / "sweep.json", "{ not json");
  selfheal::core::Diagnostics unreadable;
  auto parts = sw::read_shard_outputs({t / "nowhere", t / "good", t / "bad"}, unreadable);
  REQUIRE(unreadable.size() == 2);
  CHECK(unreadable.errors()[0].describe() == t / "nowhere" + ": cannot read");
  CHECK(unreadable.errors()[1].describe() ==
        (t.path / "bad" / "sweep.json").string() + ": not valid JSON");
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].dir == t / "good");
  CHECK(parts[0].result.shards == std::vector<std::uint64_t>{0});
}

TEST_CASE("write_merged_runs_csv joins rows in part order, or writes nothing", "[sweep]") {
  TempDir t("merge-rows");
  const std::string header = sw::runs_csv_header();
  write_text(t.path / "a" / "runs.csv", header + "row a1\nrow a2\n");
  write_text(t.path / "b" / "runs.csv", header);  // a shard with no runs
  write_text(t.path / "c" / "runs.csv", header + "row c1\n");
  fs::create_directories(t.path / "out");
  std::vector<sw::ShardOutput> parts{{{}, t / "a"}, {{}, t / "b"}, {{}, t / "c"}};
  REQUIRE(sw::write_merged_runs_csv(parts, t / "out"));
  CHECK(slurp(t.path / "out" / "runs.csv") == header + "row a1\nrow a2\nrow c1\n");

  fs::remove(t.path / "out" / "runs.csv");
  fs::remove(t.path / "b" / "runs.csv");
  CHECK_FALSE(sw::write_merged_runs_csv(parts, t / "out"));
  CHECK_FALSE(fs::exists(t.path / "out" / "runs.csv"));
  CHECK_FALSE(fs::exists(t.path / "out" / "runs.csv.tmp"));
}

}  // namespace merge_shards_test
