// The traffic part alone (sim/traffic.hpp): demand (daily shape, multipliers, dependents'
// calls one tick later), errors and latency under outages and overload, a worker's queue,
// traffic shifting and a cache purge's warm-up, driven through begin_tick() and serve() in
// virtual time with the pods' stats given (no pods part).
#include "sim/traffic.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cluster_fixtures.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace traffic_test {

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;

namespace {

constexpr double kScrapeSeconds = 15.0;

/// A service of `kind` without noise or daily shape, `rps` external traffic.
ServiceSpec service(std::string name, ServiceKind kind, double rps,
                    std::vector<std::string> depends_on = {}) {
  ServiceSpec s = service_defaults(kind);
  s.name = std::move(name);
  s.traffic.rps = rps;
  s.traffic.noise = 0.0;
  s.traffic.daily_shape = false;
  s.depends_on = std::move(depends_on);
  return s;
}

/// `ready` warm pods of `rps_each` requests/s (what the pods part would report).
model::PodStats pods(int ready, double rps_each) {
  model::PodStats st;
  st.ready = ready;
  st.active = ready;
  st.cap = ready * rps_each;
  st.any_live = ready > 0;
  return st;
}

/// The traffic part of `spec` on one thread; tick() serves every service.
struct Rig {
  ClusterSpec spec;
  Simulation sim{1, spec.start};
  Traffic traffic{spec, sim, 1};
  std::vector<model::PodStats> stats;  // [service] what serve() is given
  bool first = true;
  explicit Rig(ClusterSpec s) : spec(std::move(s)) {
    traffic.build();
    for (const auto& ss : spec.services)
      stats.push_back(pods(ss.replicas, ss.capacity_rps_per_replica));
  }
  void tick(Duration at, double shape = 1.0) {
    traffic.begin_tick(std::exchange(first, false));
    for (std::size_t i = 0; i < traffic.size(); ++i)
      traffic.serve(i, stats[i], 0.0, spec.start + at, shape, kScrapeSeconds);
  }
  const model::Svc& operator[](const std::string& name) const {
    return traffic[static_cast<std::size_t>(traffic.index_of(name))];
  }
};

ClusterSpec cluster(std::vector<ServiceSpec> services) {
  ClusterSpec c;
  c.services = std::move(services);
  return c;
}

}  // namespace

TEST_CASE("demand follows the daily shape times the traffic multiplier", "[sim][traffic]") {
  ClusterSpec c =
      cluster({service("api", ServiceKind::kApi, 100), service("flat", ServiceKind::kApi, 100)});
  c.services[0].traffic.daily_shape = true;
  Rig r{c};
  r.tick(0s, 1.5);
  CHECK(r["api"].rps == 150.0);
  CHECK(r["flat"].rps == 100.0);  // no daily shape
  r.traffic.multiply_traffic(0, 2.0);
  r.tick(15s, 0.5);
  CHECK(r["api"].rps == 100.0);  // 100 x 0.5 x 2
  r.traffic.divide_traffic(0, 2.0);
  r.tick(30s, 0.5);
  CHECK(r["api"].rps == 50.0);
}

TEST_CASE("dependents' calls add to an upstream's demand one tick later", "[sim][traffic]") {
  Rig r{cluster(
      {service("api", ServiceKind::kApi, 100, {"db"}), service("db", ServiceKind::kDatabase, 20)})};
  r.tick(0s);
  CHECK(r["api"].calls == 100.0);
  CHECK(r["db"].rps == 120.0);  // its own 20 + api's calls in flight at the start
  r.traffic.multiply_traffic(0, 2.0);
  r.tick(15s);
  CHECK(r["api"].rps == 200.0);
  CHECK(r["db"].rps == 120.0);  // reads api's previous tick
  r.tick(30s);
  CHECK(r["db"].rps == 220.0);
}

TEST_CASE("an outage share fails that share of requests and reaches the callers",
          "[sim][traffic]") {
  Rig r{cluster(
      {service("api", ServiceKind::kApi, 100, {"db"}), service("db", ServiceKind::kDatabase, 0)})};
  const double base = r.spec.services[0].base_error_rate;
  r.traffic.set_outage(1, 0.4);
  r.tick(0s);
  CHECK(r["db"].err == Approx(1.0 - (1.0 - base) * 0.6));
  CHECK(r["db"].calls == Approx(100.0 * 0.6));
  CHECK(r["db"].p99 == model::kDependencyTimeoutMs);  // callers time out
  CHECK_FALSE(r["db"].within);
  CHECK(r["api"].err == Approx(base));  // reads db's previous tick
  r.tick(15s);
  // Only the errors above db's background rate reach api: 0.4 of its calls.
  CHECK(r["api"].dep_err == Approx(0.4));
  CHECK(r["api"].err == Approx(1.0 - (1.0 - base) * 0.6));
  CHECK(r["api"].p99 > model::kDependencyTimeoutMs);
  // Maintenance composes with the outage: 1 - 0.6 x 0.5 unavailable.
  r.traffic.set_maintenance(1, 0.5);
  r.tick(30s);
  CHECK(r["db"].err == Approx(1.0 - (1.0 - base) * 0.3));
  r.traffic.set_outage(1, 0.0);
  r.traffic.set_maintenance(1, 0.0);
  r.tick(45s);
  r.tick(60s);
  CHECK(r["db"].err == Approx(base));
  CHECK(r["api"].err == Approx(base));
  CHECK(r["api"].within);
}

TEST_CASE("a service reads its effects only while one is on and computes as its twin once undone",
          "[sim][traffic]") {
  // Svc::effects: a tick reads a service's fault and action effects only while one differs
  // from "no effect" (or it has feature flags); an effect undone reads the defaults again.
  const ClusterSpec c = cluster(
      {service("api", ServiceKind::kApi, 100, {"db"}), service("db", ServiceKind::kDatabase, 0)});
  Rig r{c};
  Rig twin{c};  // never touched
  CHECK_FALSE(r["db"].effects);
  const auto on_and_off = [&](auto&& on, auto&& off) {
    on();
    CHECK(r["db"].effects);
    off();
    CHECK_FALSE(r["db"].effects);
  };
  on_and_off([&] { r.traffic.set_outage(1, 0.4); }, [&] { r.traffic.set_outage(1, 0.0); });
  on_and_off([&] { r.traffic.set_maintenance(1, 0.5); },
             [&] { r.traffic.set_maintenance(1, 0.0); });
  on_and_off([&] { r.traffic.set_degradation(1, 0.2, 30.0); },
             [&] { r.traffic.set_degradation(1, 0.0, 0.0); });
  on_and_off([&] { r.traffic.multiply_traffic(1, 3.0); },
             [&] { r.traffic.divide_traffic(1, 3.0); });
  on_and_off([&] { r.traffic.set_poison(1, 0.1); }, [&] { r.traffic.set_poison(1, 0.0); });
  on_and_off([&] { r.traffic.shift_traffic(1, 0.5, -1); },
             [&] { r.traffic.shift_traffic(1, 0.0, -1); });
  // An outage while the service runs is read, and once ended the service computes as its
  // twin does again.
  r.traffic.set_outage(1, 0.4);
  r.tick(0s);
  twin.tick(0s);
  CHECK(r["db"].err != twin["db"].err);
  r.traffic.set_outage(1, 0.0);
  for (Duration at = 15s; at <= 60s; at += 15s) {
    r.tick(at);
    twin.tick(at);
  }
  for (const char* name : {"api", "db"}) {
    CHECK(r[name].err == twin[name].err);
    CHECK(r[name].p99 == twin[name].p99);
    CHECK(r[name].calls == twin[name].calls);
  }
  // Feature flags are read while there are any (flags are never removed).
  r.traffic.flag_on(1, "f", 0.3);
  r.traffic.flag_off(1, "f", r.spec.start);
  CHECK(r["db"].effects);
}

TEST_CASE("shift_traffic moves a share of the external load to the target", "[sim][traffic]") {
  Rig r{cluster({service("a", ServiceKind::kApi, 100), service("b", ServiceKind::kApi, 100)})};
  CHECK(r.traffic.shift_traffic(0, 0.5, 1) == 0.0);
  r.tick(0s);
  CHECK(r["a"].rps == 50.0);
  CHECK(r["b"].rps == 100.0);  // what a shifted on the previous tick
  r.tick(15s);
  CHECK(r["b"].rps == 150.0);
  CHECK(r.traffic.shift_traffic(0, 0.3, -1) == 0.5);  // out of the world
  r.tick(30s);
  r.tick(45s);
  CHECK(r["a"].rps == 70.0);
  CHECK(r["b"].rps == 100.0);
}

TEST_CASE("capacity below demand raises utilisation, errors, latency and a worker's queue",
          "[sim][traffic]") {
  Rig r{
      cluster({service("api", ServiceKind::kApi, 150), service("jobs", ServiceKind::kWorker, 50)})};
  const double base = r.spec.services[0].base_error_rate;
  r.stats[0] = pods(3, 100);
  r.stats[1] = pods(1, 40);
  r.tick(0s);
  CHECK(r["api"].util == 0.5);
  CHECK(r["api"].p99 == Approx(50.0 * model::latency_factor(0.5)));
  CHECK(r["api"].within);
  CHECK(r["jobs"].queue == (50.0 - 40.0) * kScrapeSeconds);
  r.stats[0] = pods(1, 100);
  r.tick(15s);
  CHECK(r["api"].util == 1.5);
  CHECK(r["api"].err == Approx(1.0 - (1.0 - base) * (1.0 / 1.5)));  // a third shed
  CHECK(r["api"].p99 == Approx(50.0 * model::latency_factor(model::kMaxLatencyUtilisation)));
  CHECK(r["api"].calls == Approx(100.0));
  CHECK_FALSE(r["api"].within);
  CHECK(r["jobs"].queue == 300.0);
  CHECK(r["jobs"].rps == 40.0);
  r.stats[0] = pods(0, 100);
  r.stats[1] = pods(2, 40);  // 80/s: the backlog drains at 30/s
  r.tick(30s);
  CHECK(r["api"].err == 1.0);  // no endpoints
  CHECK(r["jobs"].rps == 70.0);
  CHECK(r["jobs"].queue == 0.0);
}

TEST_CASE("a cache purge multiplies the cache's misses, warming up over kPurgeWarmup",
          "[sim][traffic]") {
  Rig r{cluster({service("cache", ServiceKind::kCache, 100, {"db"}),
                 service("db", ServiceKind::kDatabase, 0)})};
  r.tick(0s);
  CHECK(r["db"].rps == Approx(100.0 * model::kCacheCallShare));
  r.traffic.set_poison(0, 0.25);
  r.tick(15s);
  CHECK(r["cache"].err > 0.25);
  CHECK(r.traffic.purge_cache(0, r.spec.start + 20s));  // bad entries were there
  CHECK_FALSE(r.traffic.purge_cache(0, r.spec.start + 20s));
  const auto factor = [](Duration age) {
    return model::kCacheCallShare *
           (1.0 + (model::kPurgeCallPeakCache - 1.0) *
                      (1.0 - model::count_as<model::Millis>(age) /
                                 model::count_as<model::Millis>(model::kPurgeWarmup)));
  };
  r.tick(30s);
  CHECK(r["db"].rps == Approx(100.0 * factor(10s)));
  CHECK(r["cache"].err == Approx(r.spec.services[0].base_error_rate));
  r.tick(170s);
  CHECK(r["db"].rps == Approx(100.0 * factor(150s)));
  CHECK(r["db"].rps == Approx(55.0));
  r.tick(320s);
  CHECK(r["db"].rps == Approx(100.0 * model::kCacheCallShare));  // warm again
}

}  // namespace traffic_test
