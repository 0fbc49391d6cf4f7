// Actuation alone: waits on the model and their deadlines, idempotent request ids, delayed
// completions, driven through a fake of the world it talks to (services, controllers,
// faults, the log).
#include "sim/actuation.hpp"

#include <catch2/catch.hpp>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cluster_fixtures.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace actuation_test {

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;
using namespace std::chrono_literals;
using engine::ActionKind;

namespace {

const TimePoint kStart = ClusterSpec{}.start;

struct Probe {
  std::optional<engine::ActionResult> result;
  int calls = 0;
};

/// One service "api" with `replicas` Running pods of template 0.
struct FakeWorld final : Actuation::Env {
  ServiceSpec spec;
  std::vector<model::PodSet> svcs;
  bool poisoned = false;  // the cache serves bad entries
  std::deque<TimelineEvent> events;
  std::vector<std::string> calls;  // what actuation asked of the world, in order
  Simulation* sim = nullptr;

  explicit FakeWorld(int replicas) {
    spec.name = "api";
    model::PodSet v;
    v.spec = &spec;
    v.desired = replicas;
    v.stats.ready = replicas;
    for (int i = 0; i < replicas; ++i) {
      model::Pod p;
      p.phase = model::Phase::kRunning;
      v.pods.push_back(p);
    }
    model::Release r;
    r.revision = 1;
    r.version = "1.0";
    v.releases.push_back(r);
    svcs.push_back(std::move(v));
  }
  std::ptrdiff_t service_index(std::string_view name) const override {
    return name == "api" ? 0 : -1;
  }
  const model::PodSet& pods(std::size_t svc) const override { return svcs[svc]; }
  void touch(std::size_t svc) override { svcs[svc].dirty = true; }
  std::uint32_t restart(std::size_t svc, const std::string& why) override {
    calls.push_back("restart: " + why);
    return ++svcs[svc].tmpl;
  }
  std::uint32_t deploy(std::size_t svc, model::Release r, const std::string& why) override {
    model::PodSet& v = svcs[svc];
    calls.push_back("deploy revision " + std::to_string(r.revision) + ": " + why);
    v.releases.push_back(std::move(r));
    v.current = v.releases.size() - 1;
    return ++v.tmpl;
  }
  void set_desired(std::size_t svc, int replicas) override { svcs[svc].desired = replicas; }
  void purge_cache(std::size_t, TimePoint) override {
    if (std::exchange(poisoned, false)) calls.push_back("cache purged");
  }
  std::optional<bool> disable_flag(std::size_t, const std::string&, TimePoint) override {
    return std::nullopt;
  }
  void flag_disabled(std::size_t, const std::string& flag, const std::string& detail) override {
    calls.push_back("flag " + flag + ": " + detail);
  }
  double shift_traffic(std::size_t, double, std::ptrdiff_t) override {
    calls.push_back("traffic shifted");
    return 0.0;
  }
  /// Results are owed to probes by number, as the world owes them to engines.
  std::vector<Probe*> probes;
  Actuation::Owed owe(Probe& p) {
    probes.push_back(&p);
    return {static_cast<std::uint32_t>(probes.size() - 1), 0, true};
  }
  void deliver(const Actuation::Owed& to, engine::ActionResult r) override {
    Probe& p = *probes.at(to.receiver);
    p.result = std::move(r);
    ++p.calls;
  }
  TimelineEvent& log(EventKind kind, std::string service, std::string name,
                     std::string detail) override {
    return append_event(events, sim->now(), kind, std::move(service), std::move(name),
                        std::move(detail));
  }
  TimelineEvent& log_at(EventKind kind, std::size_t svc, std::string name,
                        std::string detail) override {
    return log(kind, svcs[svc].spec->name, std::move(name), std::move(detail));
  }
};

engine::ActionRequest request(ActionKind kind, std::uint64_t id, Duration timeout = 5min) {
  engine::ActionRequest r;
  r.id = id;
  r.target = {"prod", "api"};
  r.action.kind = kind;
  r.timeout = timeout;
  return r;
}

/// A kernel at kStart, the two-replica "api" world and the part under test, wired.
struct Rig {
  Simulation sim{1, kStart};
  FakeWorld world{2};
  Actuation act{"prod", 15s, sim, world};
  Rig() { world.sim = &sim; }
};

void hand_out(Actuation& act, FakeWorld& world) {
  for (auto& [owed, result] : act.take_completions())
    if (owed) world.deliver(owed, result);
}

}  // namespace

TEST_CASE("a scale waits for its replicas and gives up at its deadline", "[sim][actuation]") {
  Rig rig;
  auto& [sim, world, act] = rig;
  Probe probe;
  engine::ActionRequest r = request(ActionKind::kScale, 7, 2min);
  r.action.replicas = 4;
  act.execute(r, world.owe(probe));
  CHECK(world.svcs[0].desired == 4);
  CHECK(act.waiting() == 1);
  act.check_waits(kStart + 2min - 1ms);  // 2 of 4 ready: still waiting
  CHECK(act.take_completions().empty());
  act.check_waits(kStart + 2min);  // the deadline: start + the request's timeout
  hand_out(act, world);
  REQUIRE(probe.result);
  CHECK_FALSE(probe.result->ok);
  CHECK(probe.result->message ==
        "timed out waiting for 4 ready replicas of api (2 ready, 0 Pending)");
  REQUIRE(probe.result->undo);
  CHECK(probe.result->undo->replicas == 2);
  CHECK(act.waiting() == 0);
  CHECK(world.events.back().kind == EventKind::kActionFinished);
  CHECK(world.events.back().action_id == 7);
}

TEST_CASE("a wait never gives up before one scrape interval", "[sim][actuation]") {
  Rig rig;
  auto& [sim, world, act] = rig;
  Probe probe;
  engine::ActionRequest r = request(ActionKind::kScale, 1, 1s);
  r.action.replicas = 3;
  act.execute(r, world.owe(probe));
  act.check_waits(kStart + 14s);
  CHECK(act.take_completions().empty());
  act.check_waits(kStart + 15s);
  CHECK(act.take_completions().size() == 1);
}

TEST_CASE("a scale completes once exactly the desired replicas run", "[sim][actuation]") {
  Rig rig;
  auto& [sim, world, act] = rig;
  Probe probe;
  engine::ActionRequest r = request(ActionKind::kScale, 3);
  r.action.replicas = 3;
  act.execute(r, world.owe(probe));
  model::Pod starting;
  starting.phase = model::Phase::kStarting;
  world.svcs[0].pods.push_back(starting);
  world.svcs[0].stats.ready = 3;  // counted ready, one pod still starting: not yet
  act.check_waits(kStart + 30s);
  CHECK(act.take_completions().empty());
  world.svcs[0].pods.back().phase = model::Phase::kRunning;
  act.check_waits(kStart + 45s);
  hand_out(act, world);
  REQUIRE(probe.result);
  CHECK(probe.result->ok);
  CHECK(probe.result->message == "deployment.apps/api scaled to 3");
}

TEST_CASE("a restart completes when its template is rolled out", "[sim][actuation]") {
  Rig rig;
  auto& [sim, world, act] = rig;
  Probe probe;
  act.execute(request(ActionKind::kRestart, 5), world.owe(probe));
  REQUIRE(world.calls == std::vector<std::string>{"restart: rollout restart"});
  CHECK(world.events.front().detail == "kubectl rollout restart deployment/api -n prod");
  act.check_waits(kStart + 1min);
  CHECK(act.take_completions().empty());
  world.svcs[0].completed_tmpl = world.svcs[0].tmpl;  // the controllers finished it
  act.check_waits(kStart + 2min);
  hand_out(act, world);
  REQUIRE(probe.result);
  CHECK(probe.result->ok);
  CHECK(probe.result->message == "deployment \"api\" successfully rolled out");
}

TEST_CASE("duplicate ids are ignored, unknown targets fail later and never inside execute",
          "[sim][actuation]") {
  Rig rig;
  auto& [sim, world, act] = rig;
  Probe first, again, missing;
  act.execute(request(ActionKind::kCachePurge, 9), world.owe(first));
  act.execute(request(ActionKind::kCachePurge, 9), world.owe(again));
  CHECK(world.events.back().detail == "duplicate request ignored (idempotent)");
  engine::ActionRequest other = request(ActionKind::kRestart, 10);
  other.target.name = "nope";
  act.execute(other, world.owe(missing));
  CHECK_FALSE(missing.result);
  sim.run_until(kStart + model::kNotFoundDelay);
  REQUIRE(missing.result);
  CHECK_FALSE(missing.result->ok);
  CHECK(missing.result->message.find("deployments.apps \"nope\" not found") != std::string::npos);
  sim.run_until(kStart + model::kQuickActionDelay);
  REQUIRE(first.result);
  CHECK(first.result->ok);
  CHECK(first.calls == 1);
  CHECK_FALSE(again.result);
  CHECK(world.calls.empty());  // the cache was not poisoned: no incident to end
}

TEST_CASE("an executed decision links the action started at the same instant", "[sim][actuation]") {
  Rig rig;
  auto& [sim, world, act] = rig;
  act.decision_executed("prod/api", "fp-1");
  Probe now, later;
  act.execute(request(ActionKind::kRestart, 1), world.owe(now));
  CHECK(world.events.back().fingerprint == "fp-1");
  sim.run_until(kStart + 1s);
  act.execute(request(ActionKind::kRestart, 2), world.owe(later));
  CHECK(world.events.back().fingerprint.empty());
}

}  // namespace actuation_test
