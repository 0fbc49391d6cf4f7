#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "scenario/overrides.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace overrides_test {

namespace r = selfheal::scenario;
using namespace std::chrono_literals;

namespace {

const char* kScenario = "tests/sweep/data/db-outage-varied.yaml";

r::ScenarioLoad load(std::vector<std::string> sets) {
  std::vector<r::Override> o;
  for (const auto& s : sets)
    o.push_back(*r::parse_override(s));
  return r::load_scenario_file(kScenario, o);
}

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("PATH=VALUE parses, a missing '=' or value is refused", "[scenario][overrides]") {
  auto o = r::parse_override("a.b=c=d");
  REQUIRE(o);
  CHECK(o->path == "a.b");
  CHECK(o->value == "c=d");
  CHECK_FALSE(r::parse_override("a.b"));
  CHECK_FALSE(r::parse_override("a.b="));
  CHECK_FALSE(r::parse_override("=3"));
}

TEST_CASE("a policy field in the scenario's policy file is changed in memory only",
          "[scenario][overrides]") {
  const std::string before = slurp("tests/sweep/data/policies/restart.yaml");
  auto l = load({"policies.application-crash.max_attempts=7",
                 "policies.application-crash.confidence_threshold=0.95",
                 "policies.memory-leak.cooldown_after_action=20m"});
  INFO(l.diagnostics.describe());
  REQUIRE(l.scenario);
  const auto* crash = l.scenario->policies.find("application-crash");
  REQUIRE(crash);
  CHECK(crash->max_attempts == 7);
  CHECK(crash->confidence_threshold == Approx(0.95));
  CHECK(l.scenario->policies.find("memory-leak")->cooldown == 20min);
  CHECK_THAT(l.scenario->policy_source, Catch::Contains("changed by --set"));
  CHECK(slurp("tests/sweep/data/policies/restart.yaml") == before);
}

TEST_CASE("scenario fields: nested maps, list elements by name or index, new keys",
          "[scenario][overrides]") {
  auto l = load({"cluster.services.payment-api.replicas=5", "faults.payments-db-down.duration=40m",
                 "faults.0.at=12m", "oncall.response_time=3m", "engine.mode=shadow",
                 "cluster.services.payments-db.traffic.rps=90"});
  INFO(l.diagnostics.describe());
  REQUIRE(l.scenario);
  const auto& s = *l.scenario;
  CHECK(s.cluster.services[0].replicas == 5);
  CHECK(s.cluster.faults[0].duration == 40min);
  CHECK(s.cluster.faults[0].at == 12min);
  CHECK(s.cluster.oncall.response_time == 3min);
  CHECK(s.policies.settings.mode == selfheal::engine::Mode::kShadow);
  CHECK(s.cluster.services[1].traffic.rps == Approx(90));
}

TEST_CASE("a wrong path or value is an error naming the --set, with a suggestion",
          "[scenario][overrides]") {
  auto typo = load({"policies.aplication-crash.max_attempts=2"});
  CHECK_FALSE(typo.scenario);
  CHECK_THAT(typo.diagnostics.describe(), Catch::Contains("--set policies.aplication-crash"));
  CHECK_THAT(typo.diagnostics.describe(), Catch::Contains("did you mean \"application-crash\""));

  auto key = load({"cluster.services.payment-api.replcas=2"});
  CHECK_FALSE(key.scenario);
  CHECK_THAT(key.diagnostics.describe(), Catch::Contains("replcas"));
  CHECK_THAT(key.diagnostics.describe(), Catch::Contains("replicas"));
  CHECK_THAT(key.diagnostics.describe(), Catch::Contains("after --set"));

  auto value = load({"policies.application-crash.confidence_threshold=1.5"});
  CHECK_FALSE(value.scenario);
  CHECK_THAT(value.diagnostics.describe(), Catch::Contains("confidence_threshold"));

  // Beyond what the model takes: refused here, not by every sweep run's world (exit 134).
  auto noise = load({"variation.traffic_noise=5"});
  CHECK_FALSE(noise.scenario);
  CHECK_THAT(noise.diagnostics.describe(),
             Catch::Contains("variation.traffic_noise: must be between 0 and 1 (after --set"));

  auto fault = load({"faults.db-down.duration=5m"});
  CHECK_FALSE(fault.scenario);
  CHECK_THAT(fault.diagnostics.describe(), Catch::Contains("payments-db-down"));

  auto inside = load({"duration.x=1"});
  CHECK_FALSE(inside.scenario);
  CHECK_THAT(inside.diagnostics.describe(), Catch::Contains("is a value"));

  auto whole = load({"faults.0=1"});
  CHECK_FALSE(whole.scenario);
}

TEST_CASE("no override is exactly the plain load", "[scenario][overrides]") {
  auto a = r::load_scenario_file(kScenario, {});
  auto b = r::load_scenario_file(kScenario);
  REQUIRE(a.scenario);
  REQUIRE(b.scenario);
  CHECK(a.scenario->policy_source == b.scenario->policy_source);
}

}  // namespace overrides_test
