// Sweeps say what changed nothing (issue 20): an axis whose values give identical metric
// distributions is named in a note instead of leaving every value marked Pareto alike; and
// a scenario's invariants become a violation rate with its confidence interval.
#include <catch2/catch.hpp>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "sweep/report.hpp"
#include "sweep/sweep.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace no_effect_test {

namespace sw = selfheal::sweep;

namespace {

// Two axes, x (3 values) and y (2): the metrics are set per combination by `f(x, y)`.
template <typename F>
sw::SweepResult grid(F f) {
  sw::SweepResult r;
  r.axes = {{"x", {"a", "b", "c"}}, {"y", {"1", "2"}}};
  const auto combos = sw::combinations(r.axes);
  for (std::size_t c = 0; c < combos.size(); ++c) {
    r.combinations.push_back({combos[c], {}});
    const auto& p = combos[c].params;
    for (std::size_t m = 0; m < sw::kMetricCount; ++m)
      r.combinations[c].metrics[m].add(f(p[0].value, p[1].value, m));
  }
  return r;
}

}  // namespace

TEST_CASE("an axis whose values change nothing is named, one that matters is not",
          "[sweep][no-effect]") {
  // y matters, x does not.
  const sw::SweepResult r =
      grid([](const std::string&, const std::string& y, std::size_t m) -> std::int64_t {
        return m == 0 ? (y == "1" ? 600000 : 300000) : 1;
      });
  const auto notes = sw::no_effect_notes(r);
  REQUIRE(notes.size() == 1);
  CHECK_THAT(notes[0], Catch::StartsWith("x had no effect: its 3 values gave identical metric "
                                         "distributions in every run"));
  CHECK_THAT(notes[0], Catch::Contains("Pareto marks cannot rank them"));
  // Combination 0 (x=a y=1) is identical to 2 (x=b y=1): the table marks it "=2", not "*".
  const auto same = sw::identical_to(r);
  CHECK(same[0] == 2);
  CHECK(sw::table(r).find("note: x had no effect") != std::string::npos);
  CHECK(sw::summary_csv(r).find("# note: x had no effect") != std::string::npos);
  CHECK(sw::to_json(r)["notes"].size() == 1);
}

TEST_CASE("no action in any run: the note says the axis cannot matter", "[sweep][no-effect]") {
  const std::size_t actions = *sw::metric_index("actions");
  const sw::SweepResult r =
      grid([&](const std::string&, const std::string&, std::size_t m) -> std::int64_t {
        return m == actions ? 0 : 5;
      });
  const auto notes = sw::no_effect_notes(r);
  REQUIRE(notes.size() == 2);  // neither axis changed anything
  CHECK_THAT(notes[0], Catch::Contains("no run executed an action"));
}

TEST_CASE("every axis matters: no note, no '=' marks", "[sweep][no-effect]") {
  const sw::SweepResult r =
      grid([](const std::string& x, const std::string& y, std::size_t) -> std::int64_t {
        return static_cast<std::int64_t>(x[0]) * 10 + (y == "1" ? 1 : 2);
      });
  CHECK(sw::no_effect_notes(r).empty());
  for (long s : sw::identical_to(r))
    CHECK(s == -1);
  CHECK_FALSE(sw::to_json(r).contains("notes"));
}

TEST_CASE("a run's invariants become the invariant_violated metric", "[sweep][invariants]") {
  auto l = selfheal::scenario::load_scenario_file("scenarios/orders-freeze.yaml");
  REQUIRE(l.scenario);
  const std::size_t k = *sw::metric_index("invariant_violated");
  const auto held = sw::extract(selfheal::scenario::run_scenario(*l.scenario, {}));
  REQUIRE(held[k].has_value());
  CHECK(*held[k] == 0);
  l.scenario->policies.settings.freeze = {};
  const auto broken = sw::extract(selfheal::scenario::run_scenario(*l.scenario, {}));
  CHECK(*broken[k] == 10000);  // 1.0 in steps of 1e-4
  l.scenario->invariants.clear();
  CHECK_FALSE(sw::extract(selfheal::scenario::run_scenario(*l.scenario, {}))[k].has_value());
}

}  // namespace no_effect_test
