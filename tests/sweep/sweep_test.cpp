#include <catch2/catch.hpp>

#include <set>

#include "scenario/runner.hpp"
#include "scenario/variation.hpp"
#include "sweep/report.hpp"
#include "sweep/sweep.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace sweep_test {

namespace sw = selfheal::sweep;

namespace {

const char* kScenario = "tests/sweep/data/db-outage-varied.yaml";

sw::SweepSpec spec(std::uint64_t runs) {
  sw::SweepSpec s;
  s.scenario_path = kScenario;
  s.runs = runs;
  s.axes.push_back(*sw::parse_axis("policies.application-crash.confidence_threshold=0.85,0.95"));
  s.axes.push_back(*sw::parse_axis("policies.application-crash.max_attempts=1,3"));
  return s;
}

sw::SweepResult run(const sw::SweepSpec& s, unsigned jobs,
                    std::vector<sw::RunRow>* rows = nullptr) {
  auto p = sw::prepare(s);
  INFO(p.diagnostics.describe());
  REQUIRE(p.prepared);
  sw::ExecuteOptions o;
  o.jobs = jobs;
  if (rows) o.on_run = [&](const sw::RunRow& r) { rows->push_back(r); };
  return sw::execute(*p.prepared, o);
}

}  // namespace

TEST_CASE("set axes parse PATH=V1,V2 and refuse empty or repeated values", "[sweep]") {
  auto a = sw::parse_axis("oncall.response_time=5m,15m,30m");
  REQUIRE(a);
  CHECK(a->path == "oncall.response_time");
  CHECK(a->values == std::vector<std::string>{"5m", "15m", "30m"});
  CHECK_FALSE(sw::parse_axis("oncall.response_time"));
  CHECK_FALSE(sw::parse_axis("x=1,,2"));
  CHECK_FALSE(sw::parse_axis("x=1,2,1"));
  CHECK_FALSE(sw::parse_axis("=1"));
}

TEST_CASE("the grid is the cartesian product, first axis slowest", "[sweep]") {
  auto g = sw::combinations({{"a", {"1", "2"}}, {"b", {"x", "y", "z"}}});
  REQUIRE(g.size() == 6);
  CHECK(g[0].label() == "a=1 b=x");
  CHECK(g[2].label() == "a=1 b=z");
  CHECK(g[3].label() == "a=2 b=x");
  CHECK(sw::combinations({}).size() == 1);
}

TEST_CASE("shards are contiguous, disjoint and cover every run", "[sweep]") {
  CHECK_FALSE(sw::parse_shard("3/3"));
  CHECK_FALSE(sw::parse_shard("1"));
  CHECK_FALSE(sw::parse_shard("a/2"));
  CHECK_FALSE(sw::parse_shard("0/0"));
  for (std::uint64_t runs : {1ULL, 7ULL, 100ULL})
    for (std::uint64_t n : {1ULL, 3ULL, 8ULL}) {
      std::uint64_t next = 0;
      for (std::uint64_t i = 0; i < n; ++i) {
        const auto r = sw::shard_range(runs, {i, n});
        CHECK(r.begin == next);
        next = r.end;
      }
      CHECK(next == runs);
    }
}

TEST_CASE("a bad --set is refused before anything runs, naming the --set", "[sweep]") {
  sw::SweepSpec s;
  s.scenario_path = kScenario;
  s.axes.push_back(*sw::parse_axis("policies.application-crash.confidence_threshold=0.9,1.5"));
  s.axes.push_back(*sw::parse_axis("policies.aplication-crash.max_attempts=2"));
  auto p = sw::prepare(s);
  CHECK_FALSE(p.prepared);
  const std::string d = p.diagnostics.describe();
  CHECK_THAT(d, Catch::Contains("--set policies.aplication-crash.max_attempts"));
  CHECK_THAT(d, Catch::Contains("did you mean \"application-crash\""));
  CHECK_THAT(d, Catch::Contains("confidence_threshold"));
  CHECK_THAT(d, Catch::Contains("1.5"));
}

TEST_CASE("the parameters reach the runs: more attempts, more restarts", "[sweep]") {
  sw::SweepSpec s;
  s.scenario_path = kScenario;
  s.runs = 6;
  s.axes.push_back(*sw::parse_axis("policies.application-crash.max_attempts=1,3"));
  const auto r = run(s, 1);
  const std::size_t actions = *sw::metric_index("actions");
  const double one = r.combinations[0].metrics[actions].mean();
  const double three = r.combinations[1].metrics[actions].mean();
  CHECK(one <= 1.0);
  CHECK(three > one);
}

TEST_CASE("2 jobs give exactly the serial result and rows in the same order", "[sweep]") {
  const auto s = spec(6);
  std::vector<sw::RunRow> serial_rows, parallel_rows;
  const auto serial = run(s, 1, &serial_rows);
  const auto parallel = run(s, 2, &parallel_rows);
  CHECK(sw::to_json(serial).dump() == sw::to_json(parallel).dump());
  REQUIRE(serial_rows.size() == 24);
  REQUIRE(parallel_rows.size() == 24);
  for (std::size_t i = 0; i < serial_rows.size(); ++i) {
    CHECK(serial_rows[i].run == parallel_rows[i].run);
    CHECK(serial_rows[i].combination == parallel_rows[i].combination);
    CHECK(serial_rows[i].values == parallel_rows[i].values);
  }
  // Run-major order: run 0 of every combination first.
  CHECK(serial_rows[0].run == 0);
  CHECK(serial_rows[3].run == 0);
  CHECK(serial_rows[4].run == 1);
}

TEST_CASE("the variation makes runs differ, and the same seed repeats a run exactly", "[sweep]") {
  auto s = spec(8);
  s.axes.clear();
  std::vector<sw::RunRow> rows;
  const auto r = run(s, 2, &rows);
  std::set<std::int64_t> mttrs;
  const std::size_t mttr = *sw::metric_index("mttr");
  for (const auto& row : rows)
    mttrs.insert(row.values[mttr].value_or(-1));
  CHECK(mttrs.size() > 1);

  // `selfheal run --seed <recorded> --no-counterfactuals` is run_scenario with that seed, the
  // variation on and no branches (a sweep plays none unless --counterfactuals).
  auto load = selfheal::scenario::load_scenario_file(kScenario);
  REQUIRE(load.scenario);
  const sw::RunRow& row = rows[5];
  CHECK(row.seed == selfheal::scenario::run_seed(42, 5));
  selfheal::scenario::RunOptions o;
  o.seed = row.seed;
  o.vary = true;
  o.counterfactuals = false;
  CHECK(sw::extract(selfheal::scenario::run_scenario(*load.scenario, o)) == row.values);
}

TEST_CASE("shards merged are identical to the whole sweep", "[sweep]") {
  const auto whole = run(spec(7), 2);
  std::vector<sw::SweepResult> parts;
  for (std::uint64_t i : {2ULL, 0ULL, 1ULL}) {  // any order
    auto s = spec(7);
    s.shard = {i, 3};
    parts.push_back(run(s, 1));
    CHECK_FALSE(parts.back().complete());
  }
  auto merged = sw::merge(parts);
  REQUIRE(merged);
  CHECK(merged->complete());
  CHECK(sw::to_json(*merged).dump(2) == sw::to_json(whole).dump(2));
  CHECK(sw::summary_csv(*merged) == sw::summary_csv(whole));
}

TEST_CASE("merge refuses a shard twice and parts of different sweeps", "[sweep]") {
  auto s = spec(4);
  s.shard = {0, 2};
  const auto a = run(s, 1);
  CHECK_THAT(sw::merge({a, a}).error().message, Catch::Contains("given twice"));
  auto other = spec(4);
  other.shard = {1, 2};
  other.seed = 9;
  CHECK_THAT(sw::merge({a, run(other, 1)}).error().message, Catch::Contains("base seed"));
}

TEST_CASE("sweep.json round-trips through from_json exactly", "[sweep]") {
  const auto r = run(spec(3), 2);
  const auto j = sw::to_json(r);
  auto back = sw::from_json(nlohmann::json::parse(j.dump()), "sweep.json");
  REQUIRE(back);
  CHECK(sw::to_json(*back).dump() == j.dump());
  auto broken = nlohmann::json::parse(j.dump());
  broken["combinations"][0]["state"]["pages"]["n"] = 999;
  CHECK_THAT(sw::from_json(broken, "x.json").error().describe(), Catch::Contains("inconsistent"));
  CHECK_FALSE(sw::from_json(nlohmann::json::parse("{\"format\": \"other\"}"), "x.json"));
}

TEST_CASE("pareto: a combination worse on every objective is not on the front", "[sweep]") {
  sw::SweepResult r;
  r.axes = {{"x", {"a", "b", "c"}}};
  for (const auto& c : sw::combinations(r.axes))
    r.combinations.push_back({c, {}});
  auto set = [&](std::size_t c, std::int64_t mttr, std::int64_t wrong, std::int64_t pages) {
    r.combinations[c].metrics[sw::kParetoObjectives[0]].add(mttr);
    r.combinations[c].metrics[sw::kParetoObjectives[1]].add(wrong);
    r.combinations[c].metrics[sw::kParetoObjectives[2]].add(pages);
  };
  set(0, 600000, 0, 2);  // slow, safe
  set(1, 300000, 1, 1);  // fast, one wrong action
  set(2, 700000, 1, 2);  // worse than 0 on everything
  CHECK(sw::pareto_front(r) == std::vector<bool>{true, true, false});
}

TEST_CASE("with counterfactual branches, 2 jobs give byte-identical files to 1 job",
          "[sweep][counterfactuals]") {
  sw::SweepSpec s;
  s.scenario_path = kScenario;
  s.runs = 4;
  s.counterfactuals = true;
  std::vector<sw::RunRow> serial_rows, parallel_rows;
  const auto serial = run(s, 1, &serial_rows);
  const auto parallel = run(s, 2, &parallel_rows);
  CHECK(serial.counterfactuals);
  CHECK(sw::to_json(serial).dump() == sw::to_json(parallel).dump());
  CHECK(sw::summary_csv(serial) == sw::summary_csv(parallel));
  CHECK(sw::table(serial) == sw::table(parallel));
  REQUIRE(serial_rows.size() == parallel_rows.size());
  std::string a, b;
  for (std::size_t i = 0; i < serial_rows.size(); ++i) {
    a += sw::runs_csv_row(serial_rows[i]);
    b += sw::runs_csv_row(parallel_rows[i]);
  }
  CHECK(a == b);
  // The branches ran: the regret column has a value in every run.
  const std::size_t regret = *sw::metric_index("regret_minutes");
  for (const auto& r : serial_rows)
    CHECK(r.values[regret].has_value());
  // Without --counterfactuals the column stays empty.
  s.counterfactuals = false;
  std::vector<sw::RunRow> plain;
  (void)run(s, 1, &plain);
  for (const auto& r : plain)
    CHECK_FALSE(r.values[regret].has_value());
}

}  // namespace sweep_test
