// `selfheal run` and `selfheal check` as CI uses them: exit codes, the table, JUnit, the
// baseline gate, report files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include "tests/support/cli_harness.hpp"

namespace fs = std::filesystem;

namespace {

using selfheal::test::call;
using selfheal::test::slurp;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A small scenario: a bad release the engine rolls back. `expect` is appended.
std::string scenario(const std::string& name, const std::string& expect) {
  return "scenario: " + name + R"(
description: a bad release, rolled back
duration: 1h
seed: 3
cluster:
  namespace: prod
  services:
    cart-api: {replicas: 3, traffic: {rps: 100}, releases: [{revision: 1}, {revision: 2}]}
policies:
  engine: {mode: auto}
  remediation_policies:
    - incident_type: bad-deployment
      action: rollback
      auto_execute: true
      confidence_threshold: 0.5
      verification_window: 10m
faults:
  - {name: bad-release, at: 10m, kind: bad-deploy, target: cart-api, severity: 0.4,
     classification: {incident_type: bad-deployment, confidence: 0.95}}
expect:
)" + expect;
}

struct TempDir : selfheal::test::TempDir {
  TempDir() : selfheal::test::TempDir("cli-test") {}
};

}  // namespace

TEST_CASE("check passes: exit 0, a table, JUnit with one testcase per expectation", "[cli]") {
  TempDir d;
  write(d.path / "lib" / "good.yaml",
        scenario("good",
                 "  - {metric: actions, where: {action: rollback}, equals: 1}\n"
                 "  - {metric: wrongly_acted_incidents, equals: 0}\n"));
  write(d.path / "lib" / "policies" / "not-a-scenario.yaml", "remediation_policy: {}\n");
  const auto r = call({"check", (d.path / "lib").string(), "--junit",
                       (d.path / "junit.xml").string(), "--out", (d.path / "out").string()});
  INFO(r.out << r.err);
  CHECK(r.rc == 0);
  CHECK(r.out.find("good") != std::string::npos);
  CHECK(r.out.find("1 scenario(s) run, 0 failed") != std::string::npos);
  const std::string x = slurp(d.path / "junit.xml");
  CHECK(x.find("tests=\"2\" failures=\"0\" errors=\"0\"") != std::string::npos);
  CHECK(x.find("name=\"actions{action=rollback} == 1\"/>") != std::string::npos);
  CHECK(fs::exists(d.path / "out" / "index.html"));
  CHECK(fs::exists(d.path / "out" / "good" / "report.html"));
  CHECK(fs::exists(d.path / "out" / "good" / "report.json"));
  CHECK(fs::exists(d.path / "out" / "good" / "report.md"));
}

TEST_CASE("check fails an expectation: exit 1, expected vs actual in table and JUnit", "[cli]") {
  TempDir d;
  write(d.path / "bad.yaml",
        scenario("strict", "  - {metric: actions, where: {action: rollback}, equals: 0}\n"));
  const auto r =
      call({"check", (d.path / "bad.yaml").string(), "--junit", (d.path / "junit.xml").string()});
  INFO(r.out << r.err);
  CHECK(r.rc == 1);
  CHECK(r.out.find("bad.yaml:21: strict: actions{action=rollback}: expected == 0, actual 1") !=
        std::string::npos);
  const std::string x = slurp(d.path / "junit.xml");
  CHECK(x.find("<failure message=\"expected == 0, actual 1\" type=\"expectation\">") !=
        std::string::npos);
}

TEST_CASE("check on a malformed scenario: exit 2, file:line: field: message", "[cli]") {
  TempDir d;
  std::string y = scenario("broken", "  - {metric: restarts, max: 1}\n");
  y.replace(y.find("target: cart-api"), 16, "target: cart-apu");
  write(d.path / "broken.yaml", y);
  const auto r = call(
      {"check", (d.path / "broken.yaml").string(), "--junit", (d.path / "junit.xml").string()});
  CHECK(r.rc == 2);
  CHECK(
      r.err.find("broken.yaml:18:60: faults[0].target: unknown service \"cart-apu\"; did you mean "
                 "\"cart-api\"?") != std::string::npos);
  CHECK(r.err.find("broken.yaml:21:14: expect[0].metric: unknown metric \"restarts\"") !=
        std::string::npos);
  CHECK(slurp(d.path / "junit.xml").find("errors=\"1\"") != std::string::npos);
  CHECK(call({"check", (d.path / "missing").string()}).rc == 2);
  CHECK(call({"check"}).rc == 2);
  CHECK(call({"check", "--help"}).rc == 0);
}

TEST_CASE("check --baseline fails on a regression, --update-baseline writes one", "[cli]") {
  TempDir d;
  write(d.path / "s.yaml",
        scenario("base", "  - {metric: actions, where: {action: rollback}, max: 5}\n"));
  const std::string base = (d.path / "baseline.json").string();
  CHECK(call({"check", (d.path / "s.yaml").string(), "--update-baseline", base}).rc == 0);
  auto j = nlohmann::json::parse(slurp(base));
  CHECK(j["schema_version"] == 1);
  REQUIRE(j["scenarios"].contains("base"));
  const auto same = call({"check", (d.path / "s.yaml").string(), "--baseline", base});
  CHECK(same.rc == 0);
  CHECK_THAT(same.out, Catch::Contains("\nbaseline: no change (1 scenario compared)\n"));
  // A baseline that was better: the MTTR was a minute and nothing was wrongly acted.
  j["scenarios"]["base"]["mttr_mean_ms"] = 10000;
  j["scenarios"]["base"]["wrongly_acted_incidents"] = -1;
  std::ofstream(base) << j.dump();
  const auto r = call({"check", (d.path / "s.yaml").string(), "--baseline", base});
  INFO(r.out);
  CHECK(r.rc == 1);
  // The diff as a table a reviewer reads in a CI log: changed figures only, one summary line.
  CHECK_THAT(r.out, Catch::Contains("changed against the baseline " + base +
                                    ":\n"
                                    "scenario  metric                   baseline  now"));
  const std::regex mttr_row("\nbase +MTTR mean +10s +\\S+ +\\+\\S+ +REGRESSION\n");
  CHECK(std::regex_search(r.out, mttr_row));
  const std::regex wrong_row("\nbase +wrongly-acted incidents +-1 +0 +\\+1 +REGRESSION\n");
  CHECK(std::regex_search(r.out, wrong_row));
  // Unchanged figures are not listed: "unrecovered" is only in the run table's header.
  CHECK(r.out.find("unrecovered") == r.out.rfind("unrecovered"));
  CHECK_THAT(r.out, Catch::Contains("baseline: 2 regressions, 0 improved, 0 within tolerance "
                                    "(1 scenario compared)\n"));
  CHECK(call({"check", (d.path / "s.yaml").string(), "--baseline", (d.path / "nope.json").string()})
            .rc == 2);
}

TEST_CASE("run prints a summary or the JSON report, and writes the reports", "[cli]") {
  TempDir d;
  write(d.path / "s.yaml",
        scenario("one", "  - {metric: actions, where: {action: rollback}, equals: 1}\n"));
  auto r = call({"run", (d.path / "s.yaml").string(), "--out", (d.path / "out").string()});
  INFO(r.out << r.err);
  CHECK(r.rc == 0);
  CHECK(r.out.find("one (seed 3, 1h, mode auto): PASS") != std::string::npos);
  CHECK(fs::exists(d.path / "out" / "report.html"));
  r = call({"run", (d.path / "s.yaml").string(), "--out", (d.path / "o2").string(), "--format",
            "json", "--no-twin", "--seed", "5"});
  CHECK(r.rc == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema_version"] == 2);
  CHECK(j["scenario"]["seed"] == 5);
  CHECK(j["scenario"]["twin"] == false);
  CHECK(j["summary"]["made_worse_incidents"].is_null());
  CHECK(call({"run", (d.path / "s.yaml").string(), "--format", "yaml"}).rc == 2);
  CHECK(call({"run", (d.path / "nope.yaml").string()}).rc == 2);
}

TEST_CASE("check DIR skips a policy file in it with a one-line note", "[cli]") {
  TempDir d;
  write(d.path / "lib" / "good.yaml",
        scenario("good", "  - {metric: actions, where: {action: rollback}, equals: 1}\n"));
  write(d.path / "lib" / "orders-policy.yaml",
        "remediation_policies:\n  - incident_type: memory-leak\n    action: restart\n");
  const auto r = call({"check", (d.path / "lib").string()});
  INFO(r.out << r.err);
  CHECK(r.rc == 0);
  CHECK(r.out.find("1 scenario(s) run, 0 failed\n") != std::string::npos);
  CHECK(r.err == "note: " + (d.path / "lib" / "orders-policy.yaml").string() +
                     ":1: remediation_policies: this is a policy file; scenarios reference it "
                     "with `policies:`\n");
  CHECK(r.out.find("unknown key") == std::string::npos);
}

TEST_CASE("check FILE on a policy file is bad input that says what it is", "[cli]") {
  TempDir d;
  write(d.path / "seed.yaml", "remediation_policy:\n  incident_type: memory-leak\n");
  const auto r = call({"check", (d.path / "seed.yaml").string()});
  CHECK(r.rc == 2);
  CHECK(r.err.find(":1: remediation_policy: this is a policy file; scenarios reference it with "
                   "`policies:`") != std::string::npos);
}

TEST_CASE("check fails a broken invariant: exit 1, its time and decision in the table and JUnit",
          "[cli][invariants]") {
  TempDir d;
  write(d.path / "inv.yaml",
        scenario("guarded", "  - {metric: actions, where: {action: rollback}, equals: 1}\n") +
            "invariants:\n  - never: {action: rollback, target: cart-api}\n"
            "  - never: {action: restart}\n");
  const auto r =
      call({"check", (d.path / "inv.yaml").string(), "--junit", (d.path / "junit.xml").string()});
  INFO(r.out << r.err);
  CHECK(r.rc == 1);
  CHECK(r.out.find("inv.yaml:23: guarded: invariant never rollback on cart-api broken at ") !=
        std::string::npos);
  CHECK(r.out.find(": executed rollback on cart-api") != std::string::npos);
  CHECK(r.out.find("failed expectations and broken invariants:") != std::string::npos);
  const std::string x = slurp(d.path / "junit.xml");
  CHECK(x.find("tests=\"3\" failures=\"1\"") != std::string::npos);
  CHECK(x.find("name=\"invariant never restart holds at every moment\"/>") != std::string::npos);
  CHECK(x.find("name=\"invariant never rollback on cart-api holds at every moment\">") !=
        std::string::npos);
}

TEST_CASE("check --link lists a page (a sweep's sweep.html) in --out's index.html", "[cli]") {
  TempDir d;
  write(d.path / "s.yaml",
        scenario("linked", "  - {metric: actions, where: {action: rollback}, max: 5}\n"));
  const std::string s = (d.path / "s.yaml").string(), out = (d.path / "out").string();
  auto r = call({"check", s, "--out", out, "--link", "sweep of <x>=sweep/sweep.html"});
  INFO(r.out << r.err);
  REQUIRE(r.rc == 0);
  CHECK_THAT(slurp(d.path / "out/index.html"),
             Catch::Contains("<p>Also: <a href=\"sweep/sweep.html\">sweep of &lt;x&gt;</a></p>"));
  // Without a link the index is as before: no "Also".
  REQUIRE(call({"check", s, "--out", out}).rc == 0);
  CHECK(slurp(d.path / "out/index.html").find("Also:") == std::string::npos);
  CHECK(call({"check", s, "--link", "a=b"}).rc == 2);  // no --out: nowhere to list it
  auto bad = call({"check", s, "--out", out, "--link", "no-equals-sign"});
  CHECK(bad.rc == 2);
  CHECK_THAT(bad.err, Catch::Contains("expected TEXT=HREF"));
}
