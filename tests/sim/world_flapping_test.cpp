// Intermittent faults and keep_firing_for (docs/scenario.md#intermittent-faults): a blinking
// DB outage makes its caller's alert fire and resolve with the phases, reproducibly for a
// seed; keep_firing_for bridges the quiet phases into one firing.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cluster_fixtures.hpp"
#include "sim/world.hpp"

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;

namespace {

ClusterSpec blinking_db(double jitter_fraction = 0.0) {
  ClusterSpec c = payments_cluster();
  FaultSpec f = fault(FaultKind::kDependencyOutage, "payments-db", 10min, 80min);
  f.intermittent = IntermittentSpec{5min, 10min, jitter_fraction, 0s};
  c.faults.push_back(f);
  return c;
}

std::vector<TimePoint> times_of(const Timeline& t, EventKind kind, const std::string& service,
                                const std::string& name = {}) {
  std::vector<TimePoint> out;
  for (const auto& e : t.events)
    if (e.kind == kind && e.service == service && (name.empty() || e.name == name))
      out.push_back(e.time);
  return out;
}

}  // namespace

TEST_CASE("an intermittent outage switches off and on, and its caller's alert follows",
          "[sim][world][fault][intermittent]") {
  World w{blinking_db(), 7};
  w.run_until(w.start() + 2h);
  const Timeline& t = w.timeline();
  const auto phases = times_of(t, EventKind::kFaultPhase, "payments-db");
  // on 10m-15m, off -25m, on -30m, off -40m, ..., the fault ends at 90m.
  REQUIRE(phases.size() >= 8);
  CHECK(phases[0] == w.start() + 15min);
  CHECK(phases[1] == w.start() + 25min);
  CHECK(phases[2] == w.start() + 30min);
  CHECK(phases.back() < w.start() + 90min);
  const auto fired = times_of(t, EventKind::kAlertFiring, "payment-api", "HighErrorRate");
  const auto resolved = times_of(t, EventKind::kAlertResolved, "payment-api", "HighErrorRate");
  CHECK(fired.size() >= 5);  // once per on phase
  CHECK(resolved.size() >= 5);
}

TEST_CASE("intermittent jitter comes from the seed", "[sim][world][fault][intermittent]") {
  auto phases = [](std::uint64_t seed) {
    World w{blinking_db(0.2), seed};
    w.run_until(w.start() + 2h);
    return times_of(w.timeline(), EventKind::kFaultPhase, "payments-db");
  };
  const auto a = phases(7);
  CHECK(a == phases(7));  // same seed: same phases
  CHECK(a != phases(8));  // another seed: other phases
  REQUIRE(a.size() >= 2);
  const World w{blinking_db(0.2), 7};
  // The first on phase is 5m +- 20%.
  CHECK(a[0] >= w.start() + 10min + 4min);
  CHECK(a[0] <= w.start() + 10min + 6min);
  CHECK(a[0] != w.start() + 15min);
}

TEST_CASE("keep_firing_for bridges the quiet phases into one firing",
          "[sim][world][detection][intermittent]") {
  ClusterSpec c = blinking_db();
  AlertRuleSpec r = default_alert_rules()[1];
  REQUIRE(r.name == "HighErrorRate");
  r.keep_firing_for = 12min;  // longer than the 10m off phase
  c.alert_rules.push_back(r);
  World w{c, 7};
  w.run_until(w.start() + 2h);
  const Timeline& t = w.timeline();
  const auto fired = times_of(t, EventKind::kAlertFiring, "payment-api", "HighErrorRate");
  const auto resolved = times_of(t, EventKind::kAlertResolved, "payment-api", "HighErrorRate");
  REQUIRE(fired.size() == 1);
  REQUIRE(resolved.size() == 1);
  // The last on phase ends by the fault's end (90m); the alert resolves 12m after it clears.
  CHECK(resolved[0] >= w.start() + 12min + 30min);
  CHECK(resolved[0] <= w.start() + 90min + 12min + 1min);
}
