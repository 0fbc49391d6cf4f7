// Faults and incidents alone: scenario start and end times, intermittent phases, effects on
// the services, attribution, impact and recovery, driven through a fake of the world they
// talk to (the services, helm, the cluster's pod slots, the log).
#include "sim/faults.hpp"

#include <catch2/catch.hpp>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "cluster_fixtures.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace faults_test {

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;

namespace {

/// What a cause changes of one service in the fake: the traffic part's effects.
struct Effects {
  double outage = 0, maintenance = 0, degrade_err = 0, degrade_latency = 0, poison = 0;
  double ext_mult = 1.0;
  double leak_mb_per_min = 0;
  bool within = true;
  std::vector<model::Flag> flags;
};

/// The services of `spec` as plain records (no pods), a bounded cluster.
struct FakeWorld final : Faults::Env {
  const ClusterSpec& spec;
  Simulation& sim;
  std::vector<Effects> svcs;
  std::vector<model::PodSet> pod_sets;
  std::int64_t capacity = 100;
  std::vector<std::string> deploys;
  Timeline tl;

  FakeWorld(const ClusterSpec& s, Simulation& k) : spec(s), sim(k) {
    for (const auto& ss : spec.services) {
      model::PodSet p;
      p.spec = &ss;
      p.index = pod_sets.size();
      model::Release r;
      r.version = "1.0";
      p.releases.push_back(r);
      pod_sets.push_back(std::move(p));
      svcs.emplace_back();
    }
  }
  std::size_t services() const override { return svcs.size(); }
  std::ptrdiff_t service_index(std::string_view name) const override {
    for (std::size_t i = 0; i < spec.services.size(); ++i)
      if (spec.services[i].name == name) return static_cast<std::ptrdiff_t>(i);
    return -1;
  }
  bool within_objectives(std::size_t svc) const override { return svcs[svc].within; }
  const model::PodSet& pods(std::size_t svc) const override { return pod_sets[svc]; }
  void touch(std::size_t svc) override { pod_sets[svc].dirty = true; }
  void add_leak(std::size_t svc, double mb_per_min) override {
    svcs[svc].leak_mb_per_min += mb_per_min;
  }
  void remove_leak(std::size_t svc, double mb_per_min) override {
    svcs[svc].leak_mb_per_min -= mb_per_min;
  }
  int start_hog(std::size_t, double) override { return 0; }
  void end_hog(std::size_t) override {}
  int stall(std::size_t) override { return 0; }
  void end_stall(std::size_t) override {}
  int lose_pods(std::size_t, int, TimePoint) override { return 0; }
  void upgrade(std::size_t svc, const ReleaseSpec& rs, const std::string& why) override {
    deploys.push_back(spec.services[svc].name + " " + rs.version + ": " + why);
  }
  void deploy(std::size_t svc, model::Release r, const std::string& why) override {
    deploys.push_back(spec.services[svc].name + " " + r.version + ": " + why);
    pod_sets[svc].releases.push_back(std::move(r));
  }
  bool take_capacity(std::int64_t slots) override {
    capacity -= slots;
    return true;
  }
  void set_outage(std::size_t svc, double share) override { svcs[svc].outage = share; }
  void set_maintenance(std::size_t svc, double share) override { svcs[svc].maintenance = share; }
  void set_degradation(std::size_t svc, double error_share, double latency_ms) override {
    svcs[svc].degrade_err = error_share;
    svcs[svc].degrade_latency = latency_ms;
  }
  void multiply_traffic(std::size_t svc, double factor) override { svcs[svc].ext_mult *= factor; }
  void divide_traffic(std::size_t svc, double factor) override { svcs[svc].ext_mult /= factor; }
  void set_poison(std::size_t svc, double share) override { svcs[svc].poison = share; }
  void flag_on(std::size_t svc, const std::string& name, double severity) override {
    svcs[svc].flags.push_back({name, severity, true, model::kNever});
  }
  void flag_off(std::size_t svc, const std::string& name, TimePoint at) override {
    for (auto& f : svcs[svc].flags) {
      if (f.name == name && f.enabled) {
        f.enabled = false;
        f.off_at = at;
      }
    }
  }
  TimelineEvent& log(EventKind kind, std::string service, std::string name,
                     std::string detail) override {
    return append_event(tl.events, sim.now(), kind, std::move(service), std::move(name),
                        std::move(detail));
  }
  int count(EventKind kind) const {
    int n = 0;
    for (const auto& e : tl.events)
      n += e.kind == kind;
    return n;
  }
};

}  // namespace

TEST_CASE("a fault starts and ends at its scenario times", "[sim][faults]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kDependencyOutage, "payments-db", 10min, 20min));
  Simulation sim{1, c.start};
  FakeWorld world{c, sim};
  Faults faults{c, world.tl, sim, world, 5min};
  faults.start();
  REQUIRE(world.tl.incidents.size() == 1);
  CHECK(world.tl.incidents[0].truth.affected ==
        std::vector<std::string>{"payment-api", "payments-db"});
  sim.run_until(c.start + 10min - 1ms);
  CHECK_FALSE(faults.started(0));
  CHECK(faults.attribute(0) == -1);
  sim.run_until(c.start + 10min);
  CHECK(world.svcs[1].outage == 1.0);
  CHECK(faults.active_for(0, 0));  // payment-api is affected too
  CHECK(faults.attribute(0) == 0);
  CHECK(world.tl.events.back().kind == EventKind::kFaultStart);
  sim.run_until(c.start + 30min);
  CHECK(faults.ended(0));
  CHECK(world.svcs[1].outage == 0.0);
  CHECK(world.tl.incidents[0].end == c.start + 30min);
  CHECK(world.tl.events.back().detail == "duration elapsed");
  CHECK(faults.attribute(0) == -1);  // over, and it never left its objectives
}

TEST_CASE("an intermittent fault switches its effect off and on until it ends", "[sim][faults]") {
  ClusterSpec c = payments_cluster();
  FaultSpec f = fault(FaultKind::kDependencyOutage, "payments-db", 10min, 10min);
  f.intermittent = IntermittentSpec{2min, 1min, 0.0, Duration{0}};
  c.faults.push_back(f);
  Simulation sim{1, c.start};
  FakeWorld world{c, sim};
  Faults faults{c, world.tl, sim, world, 5min};
  faults.start();
  sim.run_until(c.start + 12min);  // on for 2 min
  CHECK(world.svcs[1].outage == 0.0);
  sim.run_until(c.start + 13min);  // off for 1 min
  CHECK(world.svcs[1].outage == 1.0);
  sim.run_until(c.start + 15min);
  CHECK(world.svcs[1].outage == 0.0);
  sim.run_until(c.start + 40min);                   // ended at 20 min: no more phases
  CHECK(world.count(EventKind::kFaultPhase) == 6);  // off at 12, 15, 18; on at 13, 16, 19
  CHECK(world.svcs[1].outage == 0.0);
}

TEST_CASE("impact and recovery are tracked over the affected services", "[sim][faults]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kDependencyOutage, "payments-db", 10min, 5min));
  Simulation sim{1, c.start};
  FakeWorld world{c, sim};
  Faults faults{c, world.tl, sim, world, 5min};
  faults.start();
  sim.run_until(c.start + 11min);
  world.svcs[0].within = false;  // payment-api leaves its objectives
  faults.track(sim.now());
  const IncidentRecord& rec = world.tl.incidents[0];
  CHECK(rec.impact == c.start + 11min);
  CHECK(rec.impacted == std::vector<std::string>{"payment-api"});
  sim.run_until(c.start + 20min);  // the cause ended at 15 min; the impact has not
  CHECK(faults.attribute(0) == 0);
  world.svcs[0].within = true;
  faults.track(c.start + 20min);
  faults.track(c.start + 25min - 1ms);
  CHECK_FALSE(rec.recovered);
  faults.track(c.start + 25min);  // within objectives for the hold
  CHECK(rec.recovered == c.start + 20min);
  CHECK(world.count(EventKind::kRecovered) == 1);
  faults.track(c.start + 26min);
  CHECK(faults.attribute(0) == -1);
}

TEST_CASE("causes removed by the world: a good release, a disabled flag, lost capacity",
          "[sim][faults]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kBadDeploy, "payment-api", 1min));
  FaultSpec flag = fault(FaultKind::kBadFeatureFlag, "payment-api", 2min);
  flag.params.flag = "checkout-v2";
  c.faults.push_back(flag);
  FaultSpec loss = fault(FaultKind::kPodLoss, "payments-db", 3min, 10min);
  loss.params.pods = 1;
  loss.params.capacity_loss = 4;
  c.faults.push_back(loss);
  Simulation sim{1, c.start};
  FakeWorld world{c, sim};
  Faults faults{c, world.tl, sim, world, 5min};
  faults.start();
  sim.run_until(c.start + 3min);
  REQUIRE(world.deploys.size() == 1);
  CHECK(world.deploys[0] == "payment-api 1.0-bad: bad deploy");
  CHECK(world.svcs[0].flags.size() == 1);
  CHECK(world.capacity == 96);
  CHECK(faults.attribute(0) == 1);  // the latest started of those rooted at payment-api
  faults.flag_disabled(0, "other-flag", "flag other-flag disabled");
  CHECK_FALSE(faults.ended(1));
  faults.flag_disabled(0, "checkout-v2", "flag checkout-v2 disabled");
  CHECK(faults.ended(1));
  model::Release good;
  good.version = "1.1";
  faults.good_release_rolled_out(0, good);
  CHECK(faults.ended(0));
  CHECK(world.tl.events.back().detail == "good release 1.1 (revision 1) rolled out");
  sim.run_until(c.start + 13min);
  CHECK(world.capacity == 100);  // the node is back
}

}  // namespace faults_test
