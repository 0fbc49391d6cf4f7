// The rollout verdict (issue 20) comes first in every report format and in the library
// index, and a broken invariant's first violation is in each with its time and decision.
#include <catch2/catch.hpp>

#include "reports/html_writer.hpp"
#include "reports/json_writer.hpp"
#include "reports/markdown_writer.hpp"
#include "reports/text_writer.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

using namespace selfheal;

namespace {

// orders-freeze without its freeze: the first invariant breaks.
scenario::RunResult broken_run() {
  auto l = scenario::load_scenario_file("scenarios/orders-freeze.yaml");
  REQUIRE(l.scenario);
  l.scenario->policies.settings.freeze = {};
  return scenario::run_scenario(*l.scenario, {});
}

constexpr const char* kInvariant = "never any action while orders-db is unhealthy";

}  // namespace

TEST_CASE("every report format leads with the verdict and names the first violation",
          "[reports][verdict]") {
  const scenario::RunResult r = broken_run();
  REQUIRE_FALSE(r.verdict.go);
  const std::string when = "36m15s";

  const std::string md = reports::report_markdown(r);
  const auto verdict_at = md.find("## Rollout verdict: HOLD");
  REQUIRE(verdict_at != std::string::npos);
  CHECK(verdict_at < md.find("## Summary"));  // first, before the metrics
  CHECK_THAT(md, Catch::Contains(kInvariant) && Catch::Contains("BROKEN at " + when));
  CHECK_THAT(md, Catch::Contains("| report-worker | memory-leak |"));
  // Measured by the counterfactual branches (on by default): a number, not "not measured".
  REQUIRE(r.metrics.verification_false_failures.has_value());
  CHECK_THAT(md, Catch::Contains("verification false failures | " +
                                 std::to_string(*r.metrics.verification_false_failures) + " |"));

  const std::string html = reports::report_html(r);
  REQUIRE(html.find("Rollout verdict") != std::string::npos);
  CHECK(html.find("Rollout verdict") < html.find("<h2>Summary</h2>"));
  CHECK_THAT(html, Catch::Contains("BROKEN at " + when));

  const std::string text = reports::text_summary(r);
  CHECK_THAT(text, Catch::Contains("verdict: HOLD (1 invariant broken"));
  CHECK_THAT(text, Catch::Contains("invariant BROKEN: " + std::string(kInvariant)));

  const auto j = reports::report_json(r);
  CHECK(j["verdict"]["go"] == false);
  CHECK(j["verdict"]["invariants"][0]["held"] == false);
  CHECK(j["verdict"]["invariants"][0]["first_violation_ms"] == 36 * 60000 + 15000);
  CHECK(j["verdict"]["verification_false_failures"] == *r.metrics.verification_false_failures);
  CHECK_THAT(j["verdict"]["invariants"][0]["first_violation_decision"].get<std::string>(),
             Catch::StartsWith("executed restart on report-worker"));

  const std::string index = reports::index_markdown({r}, {"orders-freeze"});
  CHECK(index.find("## Rollout verdict: HOLD") < index.find("| scenario |"));
  CHECK_THAT(index, Catch::Contains("HOLD orders-freeze: 1 invariant broken"));
  CHECK_THAT(reports::index_html({r}, {"orders-freeze"}), Catch::Contains("Rollout verdict"));
}
