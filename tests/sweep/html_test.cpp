// sweep.html (issue 19): per-axis means with 95% CIs taken from the sweep's statistics, the
// trade-off scatter with its Pareto front, the best combination spelled out, and the same
// bytes for the same sweep whatever --jobs or shards.
#include <catch2/catch.hpp>

#include <regex>

#include "reports/format.hpp"
#include "sweep/html.hpp"
#include "sweep/report.hpp"
#include "sweep/sweep.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace html_test {

namespace sw = selfheal::sweep;

namespace {

const char* kScenario = "tests/sweep/data/db-outage-varied.yaml";

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1))
    ++n;
  return n;
}

sw::SweepResult run(sw::SweepSpec s, unsigned jobs) {
  auto p = sw::prepare(s);
  INFO(p.diagnostics.describe());
  REQUIRE(p.prepared);
  sw::ExecuteOptions o;
  o.jobs = jobs;
  return sw::execute(*p.prepared, o);
}

sw::SweepSpec spec() {
  sw::SweepSpec s;
  s.scenario_path = kScenario;
  s.runs = 5;
  s.axes.push_back(*sw::parse_axis("policies.application-crash.confidence_threshold=0.85,0.95"));
  s.axes.push_back(*sw::parse_axis("policies.application-crash.max_attempts=1,3"));
  return s;
}

// One axis "x" with values a..e; combination c gets one run with MTTR `mttr[c]` seconds
// and `wrong[c]` wrongly-acted incidents (every other metric unmeasured).
sw::SweepResult made_up(const std::vector<std::int64_t>& mttr_s,
                        const std::vector<std::int64_t>& wrong) {
  sw::SweepResult r;
  r.scenario = "made-up";
  r.axes = {{"x", {}}};
  for (std::size_t c = 0; c < mttr_s.size(); ++c)
    r.axes[0].values.push_back(std::string(1, static_cast<char>('a' + c)));
  for (const auto& c : sw::combinations(r.axes))
    r.combinations.push_back({c, {}});
  for (std::size_t c = 0; c < mttr_s.size(); ++c) {
    r.combinations[c].metrics[*sw::metric_index("mttr")].add(mttr_s[c] * 1000);
    r.combinations[c].metrics[*sw::metric_index("wrongly_acted")].add(wrong[c]);
  }
  return r;
}

}  // namespace

TEST_CASE("sweep.html: one small chart per axis and measured metric, CIs from summarize",
          "[sweep][html]") {
  const auto r = run(spec(), 2);
  const std::string page = sw::sweep_html(r);
  std::size_t measured = 0;
  for (std::size_t i = 0; i < sw::kMetricCount; ++i) {
    bool any = false;
    for (const auto& cr : r.combinations)
      any = any || cr.metrics[i].count() > 0;
    measured += any ? 1 : 0;
  }
  REQUIRE(measured > 5);
  CHECK(count(page, "<figure>") == 2 * measured);
  CHECK(count(page, "class=\"series pareto-front\"") == 1);
  CHECK(count(page, "<svg") == 2 * measured + 1);
  // Self-contained: the only URL is the SVG namespace name (never fetched).
  CHECK(count(page, "http") == count(page, "xmlns=\"http://www.w3.org/2000/svg\""));
  // A point's figures are summarize()'s over the runs of both combinations with that value:
  // the pooled accumulator, not a mean of means and not a CI of our own.
  const std::size_t pages = *sw::metric_index("pages");
  sw::Accumulator pooled = r.combinations[2].metrics[pages];  // threshold 0.95, attempts 1
  pooled.merge(r.combinations[3].metrics[pages]);             // threshold 0.95, attempts 3
  const auto s = sw::summarize(pooled, sw::Unit::kCount);
  REQUIRE(s.n == 10);
  using selfheal::reports::fixed;
  const std::string hover = "policies.application-crash.confidence_threshold=0.95: pages " +
                            fixed(s.mean, 3) + " [" + fixed(s.ci_low, 3) + ", " +
                            fixed(s.ci_high, 3) + "], n 10";
  CHECK_THAT(page, Catch::Contains(hover));
}

TEST_CASE("sweep.html is the same bytes with 1 and 2 jobs and after merging shards",
          "[sweep][html]") {
  const auto serial = run(spec(), 1);
  const std::string page = sw::sweep_html(serial);
  CHECK(sw::sweep_html(run(spec(), 2)) == page);
  std::vector<sw::SweepResult> parts;
  for (std::uint64_t i : {1ULL, 0ULL}) {
    auto s = spec();
    s.shard = {i, 2};
    parts.push_back(run(s, 1));
  }
  auto merged = sw::merge(parts);
  REQUIRE(merged);
  CHECK(sw::sweep_html(*merged) == page);
  // A shard alone says it is partial.
  CHECK_THAT(sw::sweep_html(parts[0]), Catch::Contains("partial: shards 1 of 2"));
}

TEST_CASE("the trade-off front and the best combination", "[sweep][html]") {
  // (MTTR s, wrongly acted): a fast but harmful, b and c identical and safe, d the fastest
  // but the most harmful, e dominated by b.
  const auto r = made_up({100, 300, 300, 50, 400}, {1, 0, 0, 2, 3});
  CHECK(sw::pareto_front(r, r.trade_off) == std::vector<bool>{true, true, true, true, false});
  // Safest first (lowest wrongly-acted), ties by MTTR, then by the lower index.
  CHECK(sw::best_combination(r) == 1);
  const std::string page = sw::sweep_html(r);
  CHECK(count(page, "class=\"marker front\"") == 4);
  CHECK_THAT(page, Catch::Contains("Combination #1:"));
  CHECK_THAT(page, Catch::Contains("<pre>--set x=b</pre>"));
  // The front is drawn as a staircase through its points in MTTR order: d, a, b (c on b).
  std::smatch m;
  REQUIRE(std::regex_search(page, m,
                            std::regex("class=\"series pareto-front\"[^>]*points=\"([^\"]*)\"")));
  CHECK(count(m[1].str(), ",") == 7);  // d, (a.x, d.y), a, (b.x, a.y), b, (c.x, b.y), c
  // Another pair of metrics changes the front: on wrongly-acted alone (and pages) nothing
  // measured pages, so no combination has data on both and there is no best.
  auto other = r;
  other.trade_off = {*sw::metric_index("wrongly_acted"), *sw::metric_index("pages")};
  CHECK(sw::best_combination(other) == -1);
  CHECK_THAT(sw::sweep_html(other), Catch::Contains("nothing to draw"));
}

TEST_CASE("the best combination's policy fields as the policy file holds them", "[sweep][html]") {
  sw::SweepResult r = made_up({100}, {0});
  // Interleaved on purpose: the engine block goes after the policy list, whatever the order.
  r.axes = {{"policies.application-crash.confidence_threshold", {"0.9"}},
            {"policies.engine.limits.blast_radius", {"0.5"}},
            {"policies.application-crash.dependency_precheck.enabled", {"true"}},
            {"oncall.response_time", {"5m"}}};
  r.combinations[0].combination = sw::combinations(r.axes)[0];
  const std::string page = sw::sweep_html(r);
  CHECK_THAT(page, Catch::Contains("<pre>remediation_policies:\n"
                                   "  - incident_type: application-crash\n"
                                   "    confidence_threshold: 0.9\n"
                                   "    dependency_precheck:\n"
                                   "      enabled: true\n"
                                   "engine:\n"
                                   "  limits:\n"
                                   "    blast_radius: 0.5\n</pre>"));
  CHECK_THAT(page, Catch::Contains("--set oncall.response_time=5m</pre>"));
}

TEST_CASE("the trade-off names two different metrics, with a did-you-mean", "[sweep][html]") {
  auto ok = sw::parse_trade_off("pages,mttr");
  REQUIRE(ok);
  CHECK((*ok)[0] == *sw::metric_index("pages"));
  CHECK_THAT(sw::parse_trade_off("mttr,wrongly_actd").error().message,
             Catch::Contains("did you mean \"wrongly_acted\""));
  CHECK_FALSE(sw::parse_trade_off("mttr"));
  CHECK_FALSE(sw::parse_trade_off("mttr,mttr"));
  CHECK_FALSE(sw::parse_trade_off("mttr,pages,actions"));
}

TEST_CASE("a chosen trade-off survives sweep.json and must agree to merge", "[sweep][html]") {
  auto s = spec();
  s.runs = 2;
  s.trade_off = {*sw::metric_index("pages"), *sw::metric_index("unrecovered")};
  s.shard = {0, 2};
  const auto a = run(s, 1);
  const auto j = sw::to_json(a);
  CHECK(j["trade_off"] == nlohmann::ordered_json({"pages", "unrecovered"}));
  auto back = sw::from_json(nlohmann::json::parse(j.dump()), "sweep.json");
  REQUIRE(back);
  CHECK(back->trade_off == a.trade_off);
  CHECK(sw::sweep_html(*back) == sw::sweep_html(a));
  auto t = spec();
  t.runs = 2;
  t.shard = {1, 2};
  CHECK_THAT(sw::merge({a, run(t, 1)}).error().message, Catch::Contains("--trade-off"));
  // The default is not written: sweep.json of a default sweep is unchanged.
  CHECK_FALSE(sw::to_json(run(t, 1)).contains("trade_off"));
}

}  // namespace html_test
