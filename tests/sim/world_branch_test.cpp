// Branching a run (docs/architecture.md "The simulated world"): a world is branched by
// re-running it with the same spec and seed to the decision point, where an intervention
// scheduled on its Simulation takes effect. These tests hold the two properties that design
// rests on: a re-run is the same world up to the point, and an intervention changes only
// what follows it, the same way every time.
#include <catch2/catch.hpp>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cluster_fixtures.hpp"
#include "sim/model_constants.hpp"
#include "sim/world.hpp"

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;
using engine::ActionKind;

namespace {

/// Every timeline event before `until`, one line each (all fields that reports read).
std::vector<std::string> events_before(const Timeline& t, TimePoint until) {
  std::vector<std::string> out;
  for (const auto& e : t.events) {
    if (e.time >= until) continue;
    std::ostringstream line;
    line << core::to_unix_ms(e.time) << ' ' << static_cast<int>(e.kind) << ' ' << e.service << ' '
         << e.incident << ' ' << e.fingerprint << ' ' << e.action_id << ' ' << e.name << ' '
         << e.detail << ' ' << (e.success ? (*e.success ? 1 : 0) : -1) << ' ' << e.automated;
    out.push_back(line.str());
  }
  return out;
}

}  // namespace

TEST_CASE("a world re-run with the same spec and seed is the same world at every point",
          "[sim][world][branch]") {
  const ClusterSpec c = leaking_cluster();
  World original{c, 7};
  World rerun{c, 7};
  original.run_until(original.start() + 40min);
  rerun.run_until(rerun.start() + 25min);
  const TimePoint point = rerun.start() + 25min;
  CHECK(events_before(rerun.timeline(), point) == events_before(original.timeline(), point));
  rerun.run_until(rerun.start() + 40min);
  CHECK(events_before(rerun.timeline(), rerun.start() + 40min) ==
        events_before(original.timeline(), original.start() + 40min));
  const ServiceSnapshot a = original.snapshot("payment-api");
  const ServiceSnapshot b = rerun.snapshot("payment-api");
  CHECK(a.restarts == b.restarts);
  CHECK(a.max_memory_mb == b.max_memory_mb);
  CHECK(a.request_rate == b.request_rate);
}

TEST_CASE("an intervention at the branch point changes only what follows, deterministically",
          "[sim][world][branch]") {
  const ClusterSpec c = leaking_cluster();
  World original{c, 7};
  original.run_until(original.start() + 40min);

  // The branch: the same world, re-run with a restart scheduled at the decision point.
  const auto branch = [&c](std::shared_ptr<ActionProbe>& probe) {
    auto w = std::make_unique<World>(c, 7);
    World* raw = w.get();
    w->simulation().at(w->start() + 20min, [raw, &probe] {
      probe = act(*raw, "payment-api", action(ActionKind::kRestart), 1);
    });
    w->run_until(w->start() + 40min);
    return w;
  };
  std::shared_ptr<ActionProbe> p1, p2;
  const auto b1 = branch(p1);
  const auto b2 = branch(p2);
  REQUIRE(p1);
  REQUIRE(p1->result);
  CHECK(p1->result->ok);

  const TimePoint point = original.start() + 20min;
  CHECK(events_before(b1->timeline(), point) == events_before(original.timeline(), point));
  const TimePoint end = original.start() + 40min;
  CHECK(events_before(b1->timeline(), end) != events_before(original.timeline(), end));
  CHECK(count_events(b1->timeline(), EventKind::kActionStarted, "payment-api") == 1);
  CHECK(count_events(original.timeline(), EventKind::kActionStarted, "payment-api") == 0);
  // The same branch twice: the same future.
  CHECK(events_before(b1->timeline(), end) == events_before(b2->timeline(), end));
}

TEST_CASE("model constants: the shared formulas are defined once with the documented values",
          "[sim][model]") {
  using namespace selfheal::sim::model;
  // Memory without a leak: 85% of memory_per_pod_mb idle, 100% at (or above) full load.
  CHECK(base_memory_mb(1000.0, 0.0) == Approx(850.0));
  CHECK(base_memory_mb(1000.0, 1.0) == Approx(1000.0));
  CHECK(base_memory_mb(1000.0, 3.0) == Approx(1000.0));
  // The default leak fills the headroom in 20 minutes.
  CHECK(default_leak_mb_per_min(1024.0, 512.0) == Approx(512.0 / 20.0));
  // "0 means the default": positive values win, zero and negative fall back.
  CHECK(or_default(0.0, kDefaultHogSeverity) == kDefaultHogSeverity);
  CHECK(or_default(-1.0, kDefaultFlagSeverity) == kDefaultFlagSeverity);
  CHECK(or_default(0.42, kDefaultFlagSeverity) == 0.42);
  // The queueing knee: 1 idle, 1.5 at half load, bounded near saturation.
  CHECK(latency_factor(0.0) == 1.0);
  CHECK(latency_factor(0.5) == Approx(1.5));
  CHECK(latency_factor(5.0) == latency_factor(kMaxLatencyUtilisation));
  // The crash back-off reaches its cap within the doublings it is allowed.
  CHECK(Duration{kBackoffBase.count() << kBackoffMaxShift} >= kBackoffMax);
  CHECK(Duration{kBackoffBase.count() << (kBackoffMaxShift - 1)} < kBackoffMax);
}
