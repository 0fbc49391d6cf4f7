// The pods part alone (sim/pods.hpp): rollouts within surge and unavailability, the kubelet's
// crash back-off, OOM kills of leaking containers, lost pods, scaling and pending pods,
// driven through refresh() in virtual time with a fake of the world it logs to.
#include "sim/pods.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "cluster_fixtures.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace pods_test {

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;
using model::Phase;

namespace {

/// The log and the end of bad deploys, as the pods part reports them.
struct FakeEnv final : Pods::Env {
  std::deque<TimelineEvent> log;
  std::vector<int> rolled_out;  // revisions of good releases rolled out
  TimePoint now{};
  TimelineEvent& log_at(EventKind kind, std::size_t, std::string name,
                        std::string detail) override {
    return append_event(log, now, kind, "", std::move(name), std::move(detail));
  }
  void good_release_rolled_out(std::size_t, const model::Release& r) override {
    rolled_out.push_back(r.revision);
  }
  int count(EventKind kind, const std::string& name) const {
    int n = 0;
    for (const auto& e : log)
      n += e.kind == kind && e.name == name;
    return n;
  }
};

/// One API service "api": `replicas` x 100 rps, start-up 30 s, warm-up 60 s, grace 30 s.
ClusterSpec one_service(int replicas) {
  ClusterSpec c;
  ServiceSpec s = service_defaults(ServiceKind::kApi);
  s.name = "api";
  s.replicas = replicas;
  c.services = {s};
  return c;
}

/// Pods of `spec` built at its start, refreshed by tick().
struct Rig {
  ClusterSpec spec;
  FakeEnv env;
  Pods pods{spec, env};
  TimePoint last{};
  explicit Rig(ClusterSpec s) : spec(std::move(s)) {
    pods.build(spec.start);
    last = spec.start;
    env.now = spec.start;
  }
  /// refresh() at start + `at` (utilisation `util`).
  const model::PodStats& tick(Duration at, double util = 0.0) {
    const TimePoint now = spec.start + at;
    env.now = now;
    const Duration elapsed = now - last;
    last = now;
    return pods.refresh(0, now, elapsed, util);
  }
  int count(Phase ph) const {
    int n = 0;
    for (const auto& p : pods[0].pods)
      n += p.phase == ph;
    return n;
  }
};

}  // namespace

TEST_CASE("a rollout replaces pods within surge and unavailability and finishes", "[sim][pods]") {
  Rig r{one_service(4)};  // 25% of 4: surge 1, unavailable 1
  r.tick(0s);
  ReleaseSpec rs;
  rs.revision = 2;
  rs.version = "2.0.0";
  const std::uint32_t gen = r.pods.deploy(0, Pods::make_release(rs, r.spec.start), "upgrade");
  CHECK(gen == 1);
  CHECK(r.env.count(EventKind::kDeploy, "revision 2") == 1);
  for (Duration at = 0s; at <= 120s; at += 15s) {
    const model::PodStats& st = r.tick(at);
    INFO("at " << at.count() << " ms");
    CHECK(st.active <= 4 + 1);  // desired + surge
    CHECK(st.ready >= 4 - 1);   // desired - unavailable
    // Two new pods per step: started at 0 and 30 s, ready 30 s later; done at 60 s.
    CHECK(r.pods[0].rollout == (at < 60s));
    CHECK(r.env.rolled_out.size() == (at < 60s ? 0u : 1u));
  }
  for (const auto& p : r.pods[0].pods)
    CHECK(p.tmpl == gen);
  CHECK(r.pods[0].pods.size() == 4);
  CHECK(r.pods[0].completed_tmpl == gen);
  CHECK(r.env.rolled_out == std::vector<int>{2});
}

TEST_CASE("a crash-looping release backs off with doubling delays up to the maximum",
          "[sim][pods]") {
  ClusterSpec spec = one_service(1);
  ReleaseSpec bad;
  bad.bad = true;
  bad.crash_loop = true;
  bad.crash_after = 20s;
  spec.services[0].releases = {bad};
  Rig r{spec};
  // Each container runs start-up (30 s) + crash_after (20 s), then waits the back-off:
  // kBackoffBase doubled per consecutive failure, capped at kBackoffMax.
  std::vector<TimePoint> expected;
  TimePoint death = spec.start + 20s;  // the initial container started long ago
  for (int k = 0; k < 7; ++k) {
    expected.push_back(death);
    const Duration backoff = std::min<Duration>(
        model::kBackoffMax, model::kBackoffBase * (1 << std::min(k, model::kBackoffMaxShift)));
    death += backoff + 30s + 20s;
  }
  REQUIRE(expected[5] - expected[4] == 160s + 50s);
  REQUIRE(expected[6] - expected[5] == 300s + 50s);  // 320 s capped at 5 min
  std::vector<TimePoint> seen;
  std::uint32_t restarts = 0;
  for (Duration at = 0s; at <= 1000s; at += 5s) {
    r.tick(at);
    if (r.pods[0].cum_restarts != restarts) {
      restarts = r.pods[0].cum_restarts;
      seen.push_back(r.pods[0].last_restart);
    }
  }
  CHECK(seen == expected);
  CHECK(r.pods[0].pods[0].restarts == 7);
  CHECK(r.pods[0].cum_oom == 0);
}

TEST_CASE("a leak past the memory limit OOM-kills and restarts the container", "[sim][pods]") {
  Rig r{one_service(1)};
  // The first pod's leak spread is kLeakSpreadMin (sequence 0): 100 MB/min x 0.75 = 18.75 MB
  // a 15 s tick. Idle memory is 0.85 x 256 MB: 294.4 MB of headroom to the 512 MB limit,
  // crossed on the 16th tick (300 MB).
  r.pods.add_leak(0, 100.0);
  float leaked_before = 0;
  for (Duration at = 15s; at <= 225s; at += 15s) {
    leaked_before = r.tick(at).max_leaked;
  }
  CHECK(leaked_before == 281.25f);
  CHECK(r.pods[0].cum_oom == 0);
  r.tick(240s);
  CHECK(r.pods[0].cum_oom == 1);
  CHECK(r.pods[0].cum_restarts == 1);
  CHECK(r.pods[0].last_oom == r.spec.start + 240s);
  CHECK(r.pods[0].pods[0].phase == Phase::kBackoff);
  CHECK(r.env.count(EventKind::kPodEvent, "OOMKilled") == 1);
  // Back at 250 s (kBackoffBase), leaking again from the next tick: 16 ticks later.
  for (Duration at = 255s; at <= 465s; at += 15s)
    r.tick(at);
  CHECK(r.pods[0].cum_oom == 1);
  r.tick(480s);
  CHECK(r.pods[0].cum_oom == 2);
  CHECK(r.pods[0].pods[0].restarts == 2);
  CHECK(r.pods[0].last_restart == r.spec.start + 480s);
  // The leak ends: no more kills.
  r.pods.remove_leak(0, 100.0);
  for (Duration at = 495s; at <= 1200s; at += 15s)
    r.tick(at);
  CHECK(r.pods[0].cum_oom == 2);
}

TEST_CASE("lost pods are replaced once gone, and serve at half capacity while warming up",
          "[sim][pods]") {
  Rig r{one_service(3)};
  CHECK(r.tick(0s).cap == 300.0);
  CHECK(r.pods.lose(0, 2, r.spec.start + 60s) == 2);
  r.pods.touch(0);
  const model::PodStats& st = r.tick(15s);
  CHECK(st.ready == 1);
  CHECK(st.active == 3);  // lost pods still count until they are gone
  CHECK(r.count(Phase::kLost) == 2);
  CHECK(r.tick(45s).ready == 1);
  // Gone at 60 s: two replacements start, ready at 90 s, warm at 150 s.
  CHECK(r.tick(60s).active == 3);
  CHECK(r.count(Phase::kStarting) == 2);
  CHECK(r.pods[0].pods.size() == 3);
  CHECK(r.tick(75s).ready == 1);
  CHECK(r.tick(90s).ready == 3);
  CHECK(r.tick(90s).cap == 100.0 + 2 * 100.0 * model::kWarmupCapacityShare);
  CHECK(r.tick(150s).cap == 300.0);
}

TEST_CASE("desired replicas scale up and down, newest pods first", "[sim][pods]") {
  Rig r{one_service(3)};
  r.tick(0s);
  r.pods.set_desired(0, 5);
  const model::PodStats& up = r.tick(15s);
  CHECK(up.active == 5);
  CHECK(up.ready == 3);
  CHECK(r.tick(45s).ready == 5);
  r.pods.set_desired(0, 2);
  const model::PodStats& down = r.tick(60s);
  CHECK(down.active == 2);
  CHECK(down.ready == 2);
  CHECK(r.count(Phase::kTerminating) == 3);
  r.tick(90s);  // termination grace over
  REQUIRE(r.pods[0].pods.size() == 2);
  for (const auto& p : r.pods[0].pods)
    CHECK(p.started == r.spec.start - model::kInitialPodAge);  // the oldest stay
}

TEST_CASE("pods beyond the cluster's slots stay pending until slots are returned", "[sim][pods]") {
  ClusterSpec spec = one_service(3);
  spec.capacity_pods = 3;
  Rig r{spec};
  r.tick(0s);
  r.pods.set_desired(0, 4);
  const model::PodStats& st = r.tick(15s);
  CHECK(st.active == 4);
  CHECK(st.pending == 1);
  CHECK(r.tick(60s).pending == 1);
  CHECK(r.pods.take_capacity(-1));  // one slot back
  CHECK(r.tick(75s).pending == 0);
  CHECK(r.tick(105s).ready == 4);

  Rig unbounded{one_service(1)};
  CHECK_FALSE(unbounded.pods.take_capacity(1));
}

}  // namespace pods_test
