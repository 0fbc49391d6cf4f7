// Whole runs: determinism (byte-identical reports for the same seed, also from two threads
// at once), the twin, and what the report files contain.
#include <catch2/catch.hpp>

#include <cmath>
#include <thread>

#include "reports/html_writer.hpp"
#include "reports/json_writer.hpp"
#include "reports/markdown_writer.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

using namespace selfheal;
using namespace selfheal::reports;
using namespace selfheal::scenario;

namespace {

Scenario loaded(const std::string& file) {
  auto l = load_scenario_file(file);
  INFO(l.diagnostics.describe());
  REQUIRE(l.scenario);
  return *l.scenario;
}

}  // namespace

TEST_CASE("the same seed gives a byte-identical report.json, run twice", "[run][determinism]") {
  const Scenario s = loaded("scenarios/db-outage-naive.yaml");
  const std::string a = report_json_text(run_scenario(s));
  const std::string b = report_json_text(run_scenario(s));
  CHECK(a == b);
  CHECK(a.find("\"schema_version\": 2") != std::string::npos);
  // A different seed is a different run (traffic noise differs).
  RunOptions other;
  other.seed = 8;
  CHECK(report_json_text(run_scenario(s, other)) != a);
}

TEST_CASE("the same seed gives a byte-identical report run in two threads at once",
          "[run][determinism]") {
  const Scenario s = loaded("scenarios/mixed-day.yaml");
  std::string a, b, ha, hb;
  std::thread t1([&] {
    const auto r = run_scenario(s);
    a = report_json_text(r);
    ha = report_html(r);
  });
  std::thread t2([&] {
    const auto r = run_scenario(s);
    b = report_json_text(r);
    hb = report_html(r);
  });
  t1.join();
  t2.join();
  CHECK(a == b);
  CHECK(ha == hb);
  CHECK(a == report_json_text(run_scenario(s)));
}

TEST_CASE("a verified restart is not paged while its alert lingers", "[run]") {
  // memory-leak-worker with the default 10-minute OOMKilled rule: the alert outlives the
  // restart's verification and Alertmanager keeps re-sending it. Those re-deliveries must
  // neither page nor restart again (the engine once paged "no policy for unknown" here).
  const RunResult r = run_scenario(loaded("scenarios/memory-leak-worker.yaml"));
  const RunMetrics& m = r.metrics;
  CHECK(m.pages == 0);
  CHECK(m.escalations.empty());
  CHECK(m.actions.size() == 1);
  REQUIRE(m.incidents.size() == 1);
  CHECK(r.failed_expectations() == 0);
  // Declared, the restart fixed the leak without a person. Measured, the leak never took the
  // worker out of its objectives, so the restart changed nothing measurable and the
  // recovery does not count as automation's (docs/metrics.md "Counterfactual branches").
  CHECK_FALSE(m.incidents[0].automated_recovery);
  RunOptions declared;
  declared.counterfactuals = false;
  CHECK(run_scenario(loaded("scenarios/memory-leak-worker.yaml"), declared)
            .metrics.incidents[0]
            .automated_recovery);
}

TEST_CASE("the twin measures made-worse and budget, --no-twin leaves them unset", "[run]") {
  const Scenario s = loaded("scenarios/db-outage-naive.yaml");
  const RunResult with = run_scenario(s);
  CHECK(with.twin);
  // The DB outage lasts 45 minutes either way: the 13 restarts neither shorten nor lengthen
  // it (payment-api is outside its objectives for the whole outage), so nothing was made
  // worse and the twin, without automation, burns the same 90 error-budget minutes.
  REQUIRE(with.metrics.made_worse);
  CHECK(*with.metrics.made_worse == 0);
  REQUIRE(with.metrics.twin_error_budget_minutes);
  CHECK(*with.metrics.twin_error_budget_minutes == Approx(90.0));
  CHECK(with.metrics.error_budget_minutes == Approx(90.0));
  REQUIRE(with.metrics.incidents.size() == 1);
  CHECK(with.metrics.incidents[0].made_worse == false);
  RunOptions o;
  o.twin = false;
  const RunResult without = run_scenario(s, o);
  CHECK_FALSE(without.twin);
  CHECK_FALSE(without.metrics.made_worse.has_value());
  CHECK_FALSE(without.metrics.twin_error_budget_minutes.has_value());
  // The main run is the same either way: the whole report but the twin's fields.
  auto main_run = [](const RunResult& r) {
    auto j = report_json(r);
    j["scenario"].erase("twin");
    for (const char* k : {"made_worse_incidents", "error_budget_minutes_without_automation",
                          "error_budget_saved_minutes"})
      j["summary"].erase(k);
    for (auto& i : j["incidents"]) {
      i.erase("made_worse");
      i.erase("error_budget_minutes_without_automation");
    }
    // The verdict's comparison with the twin (and its paragraph, which states it).
    for (const char* k : {"error_budget_minutes_saved", "paragraph"})
      j["verdict"].erase(k);
    return j.dump(2);
  };
  CHECK(main_run(with) == main_run(without));
  // db-outage-naive: the 12th restart verifies as the database comes back in its window
  // (down by more than half from when it was taken), so there is no 13th.
  CHECK(with.metrics.actions.size() == 12);
}

TEST_CASE("report.html is one self-contained page with an SVG timeline and hover markers",
          "[run][html]") {
  const RunResult r = run_scenario(loaded("scenarios/db-outage-naive.yaml"));
  const std::string h = report_html(r);
  CHECK(h.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(h.find("<svg class=\"chart\"") != std::string::npos);
  CHECK(h.find("class=\"series error-rate\"") != std::string::npos);
  CHECK(h.find("class=\"series ready\"") != std::string::npos);
  for (const char* kind : {"marker-fault", "marker-alert", "marker-decision", "marker-action",
                           "marker-verification", "marker-page"})
    CHECK(h.find(kind) != std::string::npos);
  CHECK(h.find("<title>+11m45s engine: restart") != std::string::npos);
  // No network: no scripts, stylesheets or images fetched from anywhere.
  CHECK(h.find("<script") == std::string::npos);
  CHECK(h.find("src=\"http") == std::string::npos);
  CHECK(h.find("href=\"http") == std::string::npos);
  const std::string md = report_markdown(r);
  CHECK(md.find("| remediation loops | 1 |") != std::string::npos);
}

TEST_CASE("report.json decisions carry the built-in classifier's evidence", "[run][json]") {
  // memory-leak-worker has no injected classification: the built-in classifier decides.
  const auto j = report_json(run_scenario(loaded("scenarios/memory-leak-worker.yaml")));
  std::size_t with_evidence = 0;
  for (const auto& d : j["decisions"]) {
    if (d["classification_source"] != "builtin") continue;
    REQUIRE(d["evidence"].is_array());
    CHECK(d["evidence"].size() <= kDecisionEvidence);
    if (d["evidence"].empty()) continue;
    ++with_evidence;
    const auto& top = d["evidence"][0];
    CHECK(top["feature"].is_string());
    CHECK(top["bucket"].is_string());
    CHECK(top["value"].is_number());
    CHECK(top["contribution"].is_number());
    // Largest contribution first.
    for (std::size_t k = 1; k < d["evidence"].size(); ++k)
      CHECK(std::abs(d["evidence"][k]["contribution"].get<double>()) <=
            std::abs(top["contribution"].get<double>()));
  }
  CHECK(with_evidence > 0);
}

TEST_CASE("report.json decisions from an external verdict have no evidence", "[run][json]") {
  const auto j = report_json(run_scenario(loaded("scenarios/db-outage-naive.yaml")));
  std::size_t external = 0;
  for (const auto& d : j["decisions"]) {
    if (d["classification_source"] != "external") continue;
    ++external;
    CHECK(d["evidence"].empty());
  }
  CHECK(external > 0);
}

TEST_CASE("reports carry the what-if of each branched decision and the disagreements",
          "[run][counterfactuals]") {
  const RunResult r = run_scenario(loaded("scenarios/campaign-underprovisioned-cautious.yaml"));
  const std::string md = report_markdown(r);
  CHECK(md.find("| what if |") != std::string::npos);
  CHECK(md.find("| missed: acting would have saved 87.8 min; best: scale 0.8 min (regret 87.8 "
                "min) |") != std::string::npos);
  CHECK(md.find("## Declared vs measured") != std::string::npos);
  const std::string html = report_html(r);
  CHECK(html.find("(measured: missed, scale would have helped)") != std::string::npos);
  CHECK(html.find("What if: counterfactual decisions") != std::string::npos);
  const auto j = report_json(r);
  REQUIRE(j["decisions"].size() >= 1);
  CHECK(j["decisions"][0]["what_if"]["verdict"] == "missed");
  CHECK(j["decisions"][0]["what_if"]["best"] == "scale");
  CHECK(j["summary"]["missed_incidents"] == 1);
  // Each of the three held-back approval requests is measured from its own instant.
  REQUIRE(j["disagreements"].size() == 3);
  CHECK(j["decisions"][1]["what_if"]["verdict"] == "missed");
  CHECK(j["decisions"][1]["what_if"]["window_end_ms"] ==
        j["decisions"][0]["what_if"]["window_end_ms"]);
  // Off: no what-if column, no section, nulls in JSON.
  RunOptions off;
  off.counterfactuals = false;
  const RunResult plain =
      run_scenario(loaded("scenarios/campaign-underprovisioned-cautious.yaml"), off);
  CHECK(report_markdown(plain).find("what if") == std::string::npos);
  CHECK(report_json(plain)["decisions"][0]["what_if"].is_null());
  CHECK(report_json(plain)["summary"]["missed_incidents"].is_null());
}

TEST_CASE("every escalation carries its policy's channel (default without one) and its story",
          "[run][channels]") {
  bool policy_channel = false, default_channel = false;
  // mixed-day's policies all name pagerduty-p1; db-outage-fixed's database has no policy.
  for (const char* file : {"scenarios/mixed-day.yaml", "scenarios/db-outage-fixed.yaml"}) {
    const auto r = run_scenario(loaded(file));
    const auto& escs = r.metrics.escalations;
    REQUIRE_FALSE(escs.empty());
    for (const auto& e : escs) {
      INFO(file << ": " << e.service << " " << e.reason);
      // Pages without a policy use "default".
      CHECK(e.channel == (e.reason == "no-policy" ? "default" : "pagerduty-p1"));
      policy_channel = policy_channel || e.channel == "pagerduty-p1";
      default_channel = default_channel || e.channel == "default";
      REQUIRE_FALSE(e.story.empty());
      CHECK(e.story.back().rfind("next: ", 0) == 0);
      CHECK(e.story.size() >= 2);  // at least the decision that paged, then the next step
    }
    const std::string md = report_markdown(r);
    CHECK(md.find(escs.front().channel + " |") != std::string::npos);
    const std::string html = report_html(r);
    CHECK(html.find("<td>" + escs.front().channel + "</td>") != std::string::npos);
    const std::string json = report_json_text(r);
    CHECK(json.find("\"channel\": \"" + escs.front().channel + "\"") != std::string::npos);
    CHECK(json.find("\"story\": [") != std::string::npos);
  }
  CHECK(policy_channel);
  CHECK(default_channel);
}
