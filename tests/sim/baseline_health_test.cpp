// The baseline health check (sim/baseline_health.hpp) against the model it describes: the
// offered load it computes is what the World measures in its first ticks, and an
// overloaded, slow or noisy-by-design service is named with the reason.
#include <catch2/catch.hpp>
#include <string>

#include "cluster_fixtures.hpp"
#include "sim/baseline_health.hpp"
#include "sim/world.hpp"

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;

namespace {

ServiceSpec svc(ServiceKind kind, std::string name, double rps, std::vector<std::string> deps) {
  ServiceSpec s = service_defaults(kind);
  s.name = std::move(name);
  s.traffic.rps = rps;
  s.traffic.noise = 0;  // the check is noise-free; the World's first ticks must be too
  s.depends_on = std::move(deps);
  return s;
}

/// gateway (200 rps) -> orders-api (+50 own) -> {orders-cache -> orders-db, orders-db}:
/// the db gets orders-api's calls plus a tenth of the cache's (its misses).
ClusterSpec chain() {
  ClusterSpec c;
  c.ns = "shop";
  c.services = {svc(ServiceKind::kApi, "gateway", 200, {"orders-api"}),
                svc(ServiceKind::kApi, "orders-api", 50, {"orders-cache", "orders-db"}),
                svc(ServiceKind::kCache, "orders-cache", 0, {"orders-db"}),
                svc(ServiceKind::kDatabase, "orders-db", 0, {})};
  c.services[0].replicas = 4;
  c.services[1].replicas = 5;
  return c;
}

}  // namespace

namespace {

/// The request rate of every service in the World's first `ticks` scrapes against
/// offered_rps at the same instant, within `tolerance` (relative).
void check_first_ticks(const ClusterSpec& c, std::size_t ticks, double tolerance) {
  World w{c, 3};
  w.run_until(w.start() + 3min);
  const LoadGraph g = load_graph(c);
  for (std::size_t i = 0; i < c.services.size(); ++i) {
    const ServiceSeries* series = w.timeline().series(c.services[i].name);
    REQUIRE(series != nullptr);
    REQUIRE(series->points.size() >= ticks);
    for (std::size_t k = 0; k < ticks; ++k) {
      const auto& p = series->points[k];
      INFO(c.services[i].name << " tick " << k);
      CHECK(p.request_rate == Approx(offered_rps(c, g, i, p.time)).epsilon(tolerance));
    }
  }
}

}  // namespace

TEST_CASE("offered load along depends_on equals what the world measures in its first ticks",
          "[sim][baseline]") {
  ClusterSpec c = chain();
  const LoadGraph g = load_graph(c);
  // By hand at the start: gateway 200 s, orders-api 250 s, cache 250 s, db 250 s + 25 s
  // (s = the daily shape at the start).
  const double s = daily_shape(c.start);
  CHECK(offered_rps(c, g, 1, c.start) == Approx(250 * s));
  CHECK(offered_rps(c, g, 3, c.start) == Approx(275 * s));
  // With the daily shape the World's callers pass on the PREVIOUS tick's calls, so from the
  // second tick on a hop lags the shape by one scrape (15 s: < 1e-3 of the rate over three
  // hops); the first tick starts from the same baseline and agrees exactly.
  check_first_ticks(c, 1, 1e-6);
  check_first_ticks(c, 8, 1e-3);
  // Without the shape the load is flat, and every tick agrees exactly.
  for (auto& v : c.services)
    v.traffic.daily_shape = false;
  check_first_ticks(c, 8, 1e-6);
  const BaselineHealth h = check_baseline(c, 2h);
  CHECK(h.healthy());
  REQUIRE(h.services.size() == 4);
  CHECK(h.services[3].offered_start_rps == Approx(275));
  CHECK(h.services[3].capacity_rps == 4000);
}

TEST_CASE("an overloaded service is named with offered load, capacity and pods",
          "[sim][baseline]") {
  ClusterSpec c;
  c.services = {svc(ServiceKind::kApi, "storefront", 200, {"orders-api"}),
                svc(ServiceKind::kApi, "orders-api", 333, {})};
  c.services[0].traffic.daily_shape = false;
  c.services[1].traffic.daily_shape = false;
  c.services[1].replicas = 6;
  c.services[1].capacity_rps_per_replica = 75;
  c.faults.push_back(fault(FaultKind::kMemoryLeak, "orders-api", 30min));
  const BaselineHealth h = check_baseline(c, 2h);
  REQUIRE(h.problems.size() == 1);
  CHECK(h.problems[0] ==
        "orders-api: 533 rps offered vs 450 capacity (6 × 75 rps) at the start before any fault");
  CHECK(h.window == 30min);
  CHECK(h.services[1].headroom() == Approx(1.0 - 533.0 / 450.0));
}

TEST_CASE("the daily peak before the first fault counts, and the window ends there",
          "[sim][baseline]") {
  ClusterSpec c;
  c.services = {svc(ServiceKind::kApi, "web", 220, {})};  // 3 x 100: 270 at 10:00
  c.start += 10h;  // 10:00 UTC: the shape peaks (1.45: 319 rps) at 14:00
  CHECK(check_baseline(c, 30min).healthy());
  c.faults.push_back(fault(FaultKind::kCpuHog, "web", 5h));
  const BaselineHealth h = check_baseline(c, 8h);
  CHECK(h.peak_offset == 4h);
  REQUIRE(h.problems.size() == 1);
  CHECK(h.problems[0] ==
        "web: 319 rps offered vs 300 capacity (3 × 100 rps) at the daily peak (+4h) before any "
        "fault");
  // A fault at 30 min ends the window long before the peak.
  c.faults[0].at = 30min;
  CHECK(check_baseline(c, 8h).healthy());
}

TEST_CASE("unschedulable pods, background errors and a slow baseline are problems too",
          "[sim][baseline]") {
  ClusterSpec c;
  c.services = {svc(ServiceKind::kApi, "web", 150, {})};
  c.services[0].traffic.daily_shape = false;
  c.capacity_pods = 1;  // 1 of 3 pods scheduled: 100 rps
  c.services[0].base_error_rate = 0.02;
  c.services[0].slo.latency_p99_ms = 60;
  const BaselineHealth h = check_baseline(c, 1h);
  REQUIRE(h.problems.size() == 3);
  CHECK(h.problems[0] ==
        "web: 150 rps offered vs 100 capacity (1 of 3 scheduled × 100 rps) at the start (no "
        "fault in the run)");
  CHECK(h.problems[1] ==
        "web: background error rate 2% above its objective 1% (no fault in the run)");
  CHECK_THAT(h.problems[2], Catch::StartsWith("web: p99 "));
  CHECK_THAT(h.problems[2], Catch::Contains("above its objective 60 ms"));
}
