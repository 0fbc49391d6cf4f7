// `selfheal check --baseline`'s diff (issue 19): every changed figure with the gate's own
// verdict, nothing unchanged, and an aligned table with a one-line summary for a CI log.
#include <catch2/catch.hpp>

#include "reports/text_writer.hpp"
#include "scenario/baseline.hpp"

namespace sc = selfheal::scenario;
using selfheal::core::Duration;

namespace {

sc::RunResult run(const std::string& name, std::optional<long long> mttr_ms, int unrecovered,
                  int wrongly_acted, std::optional<int> made_worse) {
  sc::RunResult r;
  r.scenario = name;
  if (mttr_ms) r.metrics.mttr_mean = Duration{*mttr_ms};
  r.metrics.unrecovered = unrecovered;
  r.metrics.wrongly_acted = wrongly_acted;
  r.metrics.made_worse = made_worse;
  return r;
}

sc::BaselineEntry entry(std::optional<long long> mttr_ms, int unrecovered, int wrongly_acted,
                        std::optional<int> made_worse) {
  sc::BaselineEntry e;
  e.mttr_mean_ms = mttr_ms;
  e.unrecovered = unrecovered;
  e.wrongly_acted = wrongly_acted;
  e.made_worse = made_worse;
  return e;
}

constexpr long long kMin = 60000;

}  // namespace

TEST_CASE("baseline diff: only changed figures, each with the gate's verdict", "[baseline]") {
  const sc::Baseline base{
      {"same", entry(10 * kMin, 0, 0, 0)},
      {"slower-within", entry(10 * kMin, 0, 0, 0)},  // +30s: within 10% or 1m
      {"slower", entry(10 * kMin, 1, 0, 0)},         // +2m: beyond; one fewer unrecovered
      {"lost-mttr", entry(10 * kMin, 0, 1, 2)},      // no recovery now; wrongly acted +1
      {"gained-mttr", entry(std::nullopt, 0, 0, std::nullopt)},
  };
  const std::vector<sc::RunResult> runs{
      run("same", 10 * kMin, 0, 0, 0),       run("slower-within", 10 * kMin + 30000, 0, 0, 0),
      run("slower", 12 * kMin, 0, 0, 0),     run("lost-mttr", std::nullopt, 0, 2, 5),
      run("gained-mttr", 5 * kMin, 0, 0, 3),  // made worse: the baseline had no twin
      run("new", 1 * kMin, 9, 9, 9),
  };
  const auto c = sc::baseline_changes(runs, base);
  using V = sc::BaselineVerdict;
  struct Row {
    std::string scenario, metric, baseline, now, delta;
    V verdict;
  };
  const std::vector<Row> want{
      {"slower-within", "MTTR mean", "10m", "10m30s", "+30s", V::kWithinTolerance},
      {"slower", "MTTR mean", "10m", "12m", "+2m", V::kRegression},
      {"slower", "unrecovered incidents", "1", "0", "-1", V::kImproved},
      {"lost-mttr", "MTTR mean", "10m", "none", "n/a", V::kRegression},
      {"lost-mttr", "wrongly-acted incidents", "1", "2", "+1", V::kRegression},
      {"lost-mttr", "made-worse incidents", "2", "5", "+3", V::kRegression},
      {"gained-mttr", "MTTR mean", "none", "5m", "n/a", V::kImproved},
  };
  REQUIRE(c.size() == want.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    INFO(i);
    CHECK(c[i].scenario == want[i].scenario);
    CHECK(c[i].metric == want[i].metric);
    CHECK(c[i].baseline == want[i].baseline);
    CHECK(c[i].now == want[i].now);
    CHECK(c[i].delta == want[i].delta);
    CHECK(c[i].verdict == want[i].verdict);
  }
  // The gate fails on exactly the REGRESSION rows, in the same words as before.
  std::vector<std::string> notes;
  const auto regs = sc::compare_to_baseline(runs, base, &notes);
  REQUIRE(regs.size() == 4);
  CHECK(regs[0].what == "MTTR 10m -> 12m (tolerance: 10% or 1m, whichever is larger)");
  CHECK(regs[1].what == "MTTR 10m -> none (no incident recovered)");
  CHECK(regs[2].what == "wrongly-acted incidents 1 -> 2");
  CHECK(notes == std::vector<std::string>{"new: not in the baseline (new scenario)"});
}

TEST_CASE("baseline table: aligned columns, then one summary line", "[baseline]") {
  using V = sc::BaselineVerdict;
  const std::vector<sc::BaselineChange> c{
      {"db-outage-naive", "MTTR mean", "10m", "12m", "+2m", V::kRegression, ""},
      {"bad-deploy", "wrongly-acted incidents", "1", "0", "-1", V::kImproved, ""},
  };
  CHECK(selfheal::reports::baseline_table(c, 12, 1) ==
        "scenario         metric                   baseline  now  delta  verdict\n"
        "db-outage-naive  MTTR mean                10m       12m  +2m    REGRESSION\n"
        "bad-deploy       wrongly-acted incidents  1         0    -1     improved\n"
        "baseline: 1 regression, 1 improved, 0 within tolerance (12 scenarios compared, 1 "
        "new)\n");
  CHECK(selfheal::reports::baseline_table({c[1]}, 1, 0) ==
        "scenario    metric                   baseline  now  delta  verdict\n"
        "bad-deploy  wrongly-acted incidents  1         0    -1     improved\n"
        "baseline: no regression, 1 improved, 0 within tolerance (1 scenario compared)\n");
  CHECK(selfheal::reports::baseline_table({}, 3, 0) ==
        "baseline: no change (3 scenarios compared)\n");
}
