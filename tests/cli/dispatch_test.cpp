#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "tests/support/cli_harness.hpp"

namespace cli = selfheal::cli;

using selfheal::test::call;
using selfheal::test::TempDir;

TEST_CASE("selfheal --help lists every subcommand", "[cli]") {
  auto r = call({"--help"});
  CHECK(r.rc == 0);
  for (const char* c : {"run", "check", "sweep", "decide", "lint", "serve"}) {
    CHECK_THAT(r.out, Catch::Contains(std::string("  ") + c));
  }
}

TEST_CASE("selfheal --version prints the version", "[cli]") {
  auto r = call({"--version"});
  CHECK(r.rc == 0);
  CHECK_THAT(r.out, Catch::StartsWith("selfheal "));
}

TEST_CASE("no arguments or an unknown command is a usage error, exit 2", "[cli]") {
  auto none = call({});
  CHECK(none.rc == 2);
  CHECK_THAT(none.err, Catch::Contains("usage: selfheal"));
  auto unknown = call({"frobnicate"});
  CHECK(unknown.rc == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown command 'frobnicate'"));
  CHECK(unknown.out.empty());
}

TEST_CASE("every subcommand has --help and rejects unknown options", "[cli]") {
  for (const auto& c : cli::commands()) {
    INFO(c.name);
    auto help = call({c.name, "--help"});
    CHECK(help.rc == 0);
    CHECK_THAT(help.out, Catch::Contains(std::string("selfheal ") + c.name));
    auto bad = call({c.name, "--no-such-option"});
    CHECK(bad.rc == 2);
    CHECK_THAT(bad.err, Catch::Contains("no-such-option"));
  }
}

TEST_CASE("serve warns loudly at start-up when no notifier would receive an escalation",
          "[cli][serve]") {
  TempDir t("serve-warn");
  const std::string base =
      "auth: {token: \"0123456789abcdef0123\"}\n"
      "policies: {remediation_policies: [{incident_type: memory-leak, "
      "action: restart}]}\nengine: {mode: recommend}\n";
  std::ofstream(t.path / "none.yaml") << base;
  std::ofstream(t.path / "hook.yaml")
      << base << "notifiers: [{name: hook, type: webhook, url: \"http://127.0.0.1:1/a\"}]\n";
  const auto none = call({"serve", "--config", (t.path / "none.yaml").string(), "--check-config"});
  CHECK(none.rc == 0);  // a warning, not an error: the server still audits
  CHECK_THAT(none.err, Catch::StartsWith("WARNING: "));
  CHECK_THAT(none.err, Catch::Contains("no notifiers are configured"));
  CHECK_THAT(none.err, Catch::Contains("nothing is ever approved"));
  const auto hook = call({"serve", "--config", (t.path / "hook.yaml").string(), "--check-config"});
  CHECK(hook.rc == 0);
  CHECK(hook.err.empty());
}

TEST_CASE("serve --check-config refuses an objective out of range: file, line, field, exit 2",
          "[cli][serve]") {
  TempDir t("serve-slo");
  const std::string base =
      "auth: {token: \"0123456789abcdef0123\"}\n"
      "policies: {remediation_policies: [{incident_type: memory-leak, action: restart}]}\n"
      "engine: {mode: recommend}\n"
      "notifiers: [{name: hook, type: webhook, url: \"http://127.0.0.1:1/a\"}]\n"
      "topology:\n"
      "  services:\n";
  std::ofstream(t.path / "good.yaml")
      << base
      << "    payment-api: {namespace: prod, slo: {error_rate: 0.01, latency_p99_ms: 300}}\n";
  std::ofstream(t.path / "bad.yaml")
      << base << "    payment-api: {namespace: prod, slo: {error_rate: 2}}\n";
  const auto good = call({"serve", "--config", (t.path / "good.yaml").string(), "--check-config"});
  CHECK(good.rc == 0);
  CHECK_THAT(good.out, Catch::StartsWith("configuration ok"));
  const auto bad_path = (t.path / "bad.yaml").string();
  const auto bad = call({"serve", "--config", bad_path, "--check-config"});
  CHECK(bad.rc == 2);
  CHECK_THAT(bad.err, Catch::Contains(bad_path + ":7:"));
  CHECK_THAT(bad.err, Catch::Contains("topology.services.payment-api.slo.error_rate: must be "
                                      "between 0 and 1, got 2"));
  CHECK(bad.out.empty());
}

namespace dispatch_test {

TEST_CASE("a negative number for a count option is a usage error, not 2^64 - 1", "[cli]") {
  // boost::lexical_cast wraps "-1" to the unsigned maximum: sweep --runs -1 ran "forever".
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"sweep", "s.yaml", "--runs", "-1"},
        std::vector<std::string>{"sweep", "s.yaml", "--runs=-1"},
        std::vector<std::string>{"check", "s.yaml", "-j", "-1"},
        std::vector<std::string>{"run", "s.yaml", "--seed=-5"},
        std::vector<std::string>{"backtest", "--policy", "p.yaml",
                                 "--max-actions-per-target-hour=-1", "h.json"}}) {
    INFO(args[0] << " " << args[2]);
    auto r = call(args);
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("is invalid: it must be a whole number >= 0"));
  }
}

}  // namespace dispatch_test

namespace dispatch_test {

TEST_CASE("a scenario file name that is not UTF-8 reaches the JSON reports as U+FFFD", "[cli]") {
  // The name comes from the command line, the one text no reader validates; nlohmann's dump
  // threw type_error 316 on it and ended the run in std::terminate (exit 134).
  TempDir t("non-utf8-name");
  const std::string name = t / "scen-\xff.yaml";
  std::ofstream(name)
      << "scenario: bad-name\n"
         "duration: 30m\n"
         "seed: 1\n"
         "start: 2026-01-05T09:00:00Z\n"
         "cluster:\n"
         "  namespace: prod\n"
         "  services:\n"
         "    api: {replicas: 2, traffic: {rps: 50}}\n"
         "policies: "
      << std::filesystem::absolute("scenarios/policies/calendar-blind.yaml").string() << "\n";
  const auto r = call({"run", name, "--no-twin", "--format", "json", "--out", t / "out"});
  CHECK(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("scen-\xef\xbf\xbd.yaml"));
  CHECK_THAT(selfheal::test::slurp(t.path / "out/report.json"),
             Catch::Contains("scen-\xef\xbf\xbd.yaml"));
}

}  // namespace dispatch_test
