#include <catch2/catch.hpp>

#include <algorithm>

#include "scenario/runner.hpp"
#include "scenario/variation.hpp"
#include "sim/random.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace variation_test {

namespace r = selfheal::scenario;
using namespace std::chrono_literals;

namespace {
r::Scenario scenario() {
  auto l = r::load_scenario_file("tests/sweep/data/db-outage-varied.yaml");
  INFO(l.diagnostics.describe());
  REQUIRE(l.scenario);
  return *l.scenario;
}
}  // namespace

TEST_CASE("run seeds are SplitMix64's outputs from the base seed", "[scenario][variation]") {
  std::uint64_t state = 42;
  for (std::uint64_t i = 0; i < 5; ++i)
    CHECK(r::run_seed(42, i) == selfheal::sim::splitmix64(state));
  CHECK(r::run_seed(42, 0) != r::run_seed(43, 0));
}

TEST_CASE("each draw stays within its bounds and depends only on the seed",
          "[scenario][variation]") {
  const r::Scenario s = scenario();
  bool jittered = false, retyped = false, delayed = false;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const r::Scenario v = r::vary(s, seed);
    const auto at = v.cluster.faults[0].at;
    CHECK(at >= 5min);
    CHECK(at <= 15min);
    jittered = jittered || at != 10min;
    CHECK(v.cluster.services[0].traffic.noise == Approx(0.1));
    const auto& c = v.classifications[0].classification;
    CHECK(c.confidence >= 0.0);
    CHECK(c.confidence <= 1.0);
    CHECK((c.incident_type == "application-crash" || c.incident_type == "memory-leak"));
    retyped = retyped || c.incident_type == "memory-leak";
    CHECK(v.cluster.oncall.response_time >= 15min);
    CHECK(v.cluster.oncall.response_time <= 25min);
    delayed = delayed || v.cluster.oncall.response_time != 15min;
    // A pure function of (scenario, seed).
    const r::Scenario again = r::vary(s, seed);
    CHECK(again.cluster.faults[0].at == at);
    CHECK(again.classifications[0].classification.confidence == c.confidence);
  }
  CHECK(jittered);
  CHECK(retyped);
  CHECK(delayed);
}

TEST_CASE("adding a fault does not change the draws of the others", "[scenario][variation]") {
  r::Scenario s = scenario();
  const auto before = r::vary(s, 99).cluster.faults[0].at;
  auto extra = s.cluster.faults[0];
  extra.name = "another";
  s.cluster.faults.insert(s.cluster.faults.begin(), extra);
  CHECK(r::vary(s, 99).cluster.faults[1].at == before);
}

TEST_CASE("run applies the variation only when asked, and says so", "[scenario][variation]") {
  const r::Scenario s = scenario();
  r::RunOptions plain;
  plain.seed = 5;
  plain.twin = false;
  r::RunOptions varied = plain;
  varied.vary = true;
  const auto a = r::run_scenario(s, plain);
  const auto b = r::run_scenario(s, varied);
  const std::string note = "variation: the scenario's variation block drawn from seed 5";
  CHECK(std::count(b.notes.begin(), b.notes.end(), note) == 1);
  for (const auto& n : a.notes)
    CHECK(n.find("variation:") == std::string::npos);
  // What ran: the plain run the scenario as written (the fault at 10m), the varied run the
  // draw of vary() for the run's seed (the fault elsewhere in 5m..15m).
  const auto drawn = r::vary(s, 5).cluster.faults[0].at;
  REQUIRE(drawn != s.cluster.faults[0].at);
  REQUIRE(a.metrics.incidents.size() == 1);
  REQUIRE(b.metrics.incidents.size() == 1);
  CHECK(a.metrics.incidents[0].start == 10min);
  CHECK(b.metrics.incidents[0].start == drawn);
}

}  // namespace variation_test
