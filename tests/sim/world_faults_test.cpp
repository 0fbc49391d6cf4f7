// Each fault's signature on the signals, from the model's mechanics.
#include <catch2/catch.hpp>
#include <string>

#include "cluster_fixtures.hpp"
#include "sim/world.hpp"

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;
using engine::ActionKind;

TEST_CASE("a healthy cluster stays within objectives with no alerts for a day", "[sim][world]") {
  World w{payments_cluster(), 7};
  w.run_until(w.start() + 24h);
  const Timeline& t = w.timeline();
  CHECK(count_events(t, EventKind::kAlertFiring) == 0);
  CHECK(t.error_budget_minutes("payment-api", t.start, t.end) == 0.0);
  CHECK(t.error_budget_minutes("payments-db", t.start, t.end) == 0.0);
  // Daily shape: the afternoon is much busier than the night.
  const ServiceSeries* s = t.series("payment-api");
  REQUIRE(s != nullptr);
  double night = 0, afternoon = 0;
  for (const auto& p : s->points) {
    const auto h = std::chrono::duration_cast<std::chrono::hours>(p.time - t.start).count();
    if (h == 2) night = std::max(night, static_cast<double>(p.request_rate));
    if (h == 14) afternoon = std::max(afternoon, static_cast<double>(p.request_rate));
  }
  CHECK(afternoon > 2.0 * night);
  // Calls reach the database: its request rate follows the API's.
  const auto db = w.signals("payments-db", 5min);
  const auto api = w.signals("payment-api", 5min);
  CHECK(db.request_rate == Approx(api.request_rate).epsilon(0.1));
}

TEST_CASE("memory leak: memory grows until OOMKilled, then the container restarts",
          "[sim][world][fault]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kMemoryLeak, "payment-api", 10min));
  World w{c, 7};
  w.run_until(w.start() + 22min);
  const auto before = w.signals("payment-api", 10min);
  CHECK(before.memory_utilization > 0.6);
  CHECK(before.memory_growth_per_hour > 0.5);
  CHECK(before.oom_kills == 0);
  w.run_until(w.start() + 50min);
  const ServiceSnapshot s = w.snapshot("payment-api");
  CHECK(s.oom_kills >= 3);
  CHECK(s.restarts >= s.oom_kills);
  CHECK(count_events(w.timeline(), EventKind::kAlertFiring, "payment-api", "OOMKilled") >= 1);
  CHECK(count_events(w.timeline(), EventKind::kPodEvent, "payment-api", "OOMKilled") ==
        s.oom_kills);
  // Pods leak at slightly different rates, so they are not all killed at once.
  const auto* first = first_event(w.timeline(), EventKind::kPodEvent, "payment-api");
  int same_instant = 0;
  for (const auto& e : w.timeline().events) {
    if (e.kind == EventKind::kPodEvent && e.time == first->time) ++same_instant;
  }
  CHECK(same_instant < 3);
}

TEST_CASE("dependency outage: the dependent returns 503s with DB connection errors",
          "[sim][world][fault]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kDependencyOutage, "payments-db", 10min, 45min));
  World w{c, 7};
  w.run_until(w.start() + 20min);
  const auto api = w.signals("payment-api", 5min);
  CHECK(api.error_rate > 0.95);
  CHECK(api.dependency_errors > 0.95);
  CHECK(api.ready_replicas == 3);  // nothing wrong with the pods themselves
  CHECK(api.restarts == 0);
  CHECK(api.cpu_utilization < 0.3);  // failing fast costs little CPU
  const auto ups = w.context().topology.upstreams({"prod", "payment-api"});
  REQUIRE(ups.size() == 1);
  CHECK_FALSE(ups[0].healthy);
  CHECK(ups[0].error_rate > 0.95);
  CHECK(ups[0].reason.find("db-connection-errors") != std::string::npos);
  CHECK(count_events(w.timeline(), EventKind::kAlertFiring, "payment-api", "HighErrorRate") == 1);
  // When the outage ends, the dependent recovers by itself.
  w.run_until(w.start() + 62min);
  CHECK(w.signals("payment-api", 1min).error_rate < 0.01);
  CHECK(w.context().topology.upstreams({"prod", "payment-api"})[0].healthy);
  const IncidentRecord* rec = w.timeline().incident("dependency-outage-payments-db");
  REQUIRE(rec != nullptr);
  REQUIRE(rec->impact);
  REQUIRE(rec->recovered);
  CHECK(*rec->recovered - rec->start >= 45min);
  CHECK(*rec->recovered - rec->start <= 47min);
  CHECK(rec->impacted == std::vector<std::string>{"payments-db", "payment-api"});
}

TEST_CASE("dependency degradation: partial errors and added latency", "[sim][world][fault]") {
  ClusterSpec c = payments_cluster();
  FaultSpec f = fault(FaultKind::kDependencyDegradation, "payments-db", 10min, 30min);
  f.params.severity = 0.2;
  f.params.latency_ms = 400;
  c.faults.push_back(f);
  World w{c, 7};
  w.run_until(w.start() + 9min);
  const double p99_before = w.signals("payment-api", 1min).latency_p99_ms;
  w.run_until(w.start() + 20min);
  const auto api = w.signals("payment-api", 5min);
  CHECK(api.error_rate == Approx(0.2).margin(0.03));
  CHECK(api.latency_p99_ms > p99_before + 400);
  CHECK_FALSE(w.context().topology.upstreams({"prod", "payment-api"})[0].healthy);
}

TEST_CASE("bad deploy: a new revision raises errors once it is rolled out", "[sim][world][fault]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kBadDeploy, "payment-api", 10min));
  World w{c, 7};
  w.run_until(w.start() + 20min);
  const auto s = w.signals("payment-api", 2min);
  CHECK(s.current_revision == 2);
  REQUIRE(s.since_last_deploy);
  CHECK(*s.since_last_deploy == 10min);
  CHECK(s.error_rate == Approx(0.3).margin(0.02));
  CHECK(w.snapshot("payment-api").version == "1.0.0-bad");
  CHECK(count_events(w.timeline(), EventKind::kDeploy, "payment-api") == 1);
  CHECK(count_events(w.timeline(), EventKind::kAlertFiring, "payment-api", "HighErrorRate") == 1);
}

TEST_CASE("bad deploy that crash-loops: restarts climb and ready pods vanish",
          "[sim][world][fault]") {
  ClusterSpec c = payments_cluster();
  FaultSpec f = fault(FaultKind::kBadDeploy, "payment-api", 10min);
  f.params.crash_loop = true;
  c.faults.push_back(f);
  World w{c, 7};
  w.run_until(w.start() + 30min);
  const ServiceSnapshot s = w.snapshot("payment-api");
  CHECK(s.restarts >= 6);
  CHECK(s.oom_kills == 0);
  CHECK(s.ready < 3);
  CHECK(s.crashloop + s.starting >= 1);
  CHECK(count_events(w.timeline(), EventKind::kAlertFiring, "payment-api", "PodCrashLooping") >= 1);
  CHECK(w.signals("payment-api", 10min).restarts >= 3);
}

TEST_CASE("cpu hog: CPU up, capacity down", "[sim][world][fault]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kCpuHog, "payment-api", 10min));
  World w{c, 7};
  w.run_until(w.start() + 9min);
  const double cpu_before = w.signals("payment-api", 5min).cpu_utilization;
  w.run_until(w.start() + 20min);
  const auto s = w.signals("payment-api", 5min);
  CHECK(s.cpu_utilization > cpu_before + 0.5);
  CHECK(count_events(w.timeline(), EventKind::kAlertFiring, "payment-api", "HighCPU") == 1);
}

TEST_CASE("unplanned traffic spike: request rate and CPU multiply, overload errors",
          "[sim][world][fault]") {
  ClusterSpec c = payments_cluster();
  c.start += 12h;  // midday traffic
  FaultSpec f = fault(FaultKind::kTrafficSpike, "payment-api", 10min, 30min);
  f.params.multiplier = 3;
  c.faults.push_back(f);
  World w{c, 7};
  w.run_until(w.start() + 9min);
  const auto before = w.signals("payment-api", 5min);
  w.run_until(w.start() + 25min);
  const auto during = w.signals("payment-api", 5min);
  CHECK(during.request_rate > 2.5 * before.request_rate);
  CHECK(during.request_rate > 2.5 * during.request_rate_baseline);
  CHECK(during.cpu_utilization > 0.95);
  CHECK(during.error_rate > 0.2);  // 3 pods cannot serve 3x the midday load
  CHECK(during.latency_p99_ms > 5 * before.latency_p99_ms);
}

TEST_CASE("pod loss: pods vanish with the node and are replaced after eviction",
          "[sim][world][fault]") {
  ClusterSpec c = payments_cluster();
  c.services[0].replicas = 4;
  FaultSpec f = fault(FaultKind::kPodLoss, "payment-api", 10min);
  f.params.pods = 2;
  c.faults.push_back(f);
  World w{c, 7};
  w.run_until(w.start() + 10min + 15s);
  CHECK(w.snapshot("payment-api").ready == 2);
  w.run_until(w.start() + 14min);
  CHECK(count_events(w.timeline(), EventKind::kAlertFiring, "payment-api", "PodCountDrop") == 1);
  CHECK(w.snapshot("payment-api").ready == 2);  // still waiting for eviction
  // Evicted at +5m40s (seen on the next scrape), replacements ready 30 s later.
  w.run_until(w.start() + 16min);
  CHECK(w.snapshot("payment-api").starting == 2);
  w.run_until(w.start() + 16min + 20s);
  CHECK(w.snapshot("payment-api").ready == 4);
}

TEST_CASE("pod loss with the cluster full: replacements stay Pending", "[sim][world][fault]") {
  ClusterSpec c = payments_cluster();
  c.services[0].replicas = 4;
  c.capacity_pods = 6;  // 4 api + 2 db: no room at all
  FaultSpec f = fault(FaultKind::kPodLoss, "payment-api", 10min);
  f.params.pods = 2;
  f.params.capacity_loss = 2;
  c.faults.push_back(f);
  World w{c, 7};
  w.run_until(w.start() + 30min);
  const ServiceSnapshot s = w.snapshot("payment-api");
  CHECK(s.ready == 2);
  CHECK(s.pending == 2);
}

TEST_CASE("consumer stall: queue lag grows while the producers keep going", "[sim][world][fault]") {
  ClusterSpec c;
  c.ns = "prod";
  ServiceSpec wk = service_defaults(ServiceKind::kWorker);
  wk.name = "invoice-worker";
  c.services = {wk};
  c.faults.push_back(fault(FaultKind::kConsumerStall, "invoice-worker", 10min));
  World w{c, 7};
  w.run_until(w.start() + 9min);
  CHECK(w.signals("invoice-worker", 5min).queue_lag < 1.0);
  w.run_until(w.start() + 20min);
  const auto s = w.signals("invoice-worker", 5min);
  CHECK(s.queue_lag > 5000);
  CHECK(s.queue_lag_trend > 1000);  // messages per minute
  CHECK(s.request_rate < 1.0);      // nothing consumed
  CHECK(count_events(w.timeline(), EventKind::kAlertFiring, "invoice-worker", "QueueLag") == 1);
}

TEST_CASE("bad feature flag and poisoned cache raise errors on the service",
          "[sim][world][fault]") {
  ClusterSpec c = payments_cluster();
  FaultSpec flag = fault(FaultKind::kBadFeatureFlag, "payment-api", 10min);
  flag.params.severity = 0.3;
  c.faults.push_back(flag);
  World w{c, 7};
  w.run_until(w.start() + 15min);
  CHECK(w.signals("payment-api", 2min).error_rate == Approx(0.3).margin(0.02));
  CHECK(w.snapshot("payment-api").enabled_flags ==
        std::vector<std::string>{"new-payment-api-flow"});

  ClusterSpec d = payments_cluster();
  d.faults.push_back(fault(FaultKind::kPoisonedCache, "payment-api", 10min));
  World v{d, 7};
  v.run_until(v.start() + 15min);
  CHECK(v.signals("payment-api", 2min).error_rate == Approx(0.25).margin(0.02));
}

TEST_CASE("a campaign raises CPU exactly like an anomaly, only the calendar differs",
          "[sim][world][fault][seed]") {
  auto base = [] {
    ClusterSpec c;
    c.ns = "prod";
    c.start += 10h;
    ServiceSpec api = service_defaults(ServiceKind::kApi);
    api.name = "checkout-api";
    api.replicas = 4;
    api.traffic.rps = 100;
    c.services = {api};
    return c;
  };
  ClusterSpec anomaly = base();
  FaultSpec spike = fault(FaultKind::kTrafficSpike, "checkout-api", 1h, 2h);
  spike.params.multiplier = 3;
  anomaly.faults.push_back(spike);
  ClusterSpec campaign = base();
  PlannedEventSpec p;
  p.name = "spring-campaign";
  p.kind = PlannedKind::kMarketingCampaign;
  p.service = "checkout-api";
  p.start = 1h;
  p.end = 3h;
  p.traffic_multiplier = 3;
  campaign.planned.push_back(p);

  World a{anomaly, 11};
  World b{campaign, 11};
  a.run_until(a.start() + 2h);
  b.run_until(b.start() + 2h);
  const auto sa = a.signals("checkout-api", 10min);
  const auto sb = b.signals("checkout-api", 10min);
  CHECK(sa.cpu_utilization > 0.85);
  CHECK(sa.request_rate > 2.5 * sa.request_rate_baseline);
  CHECK(sa.cpu_utilization == sb.cpu_utilization);
  CHECK(sa.request_rate == sb.request_rate);
  CHECK(sa.request_rate_baseline == sb.request_rate_baseline);
  CHECK(sa.error_rate == sb.error_rate);
  CHECK(sa.latency_p99_ms == sb.latency_p99_ms);
  CHECK(sa.memory_utilization == sb.memory_utilization);
  CHECK(sa.ready_replicas == sb.ready_replicas);
  CHECK(count_events(a.timeline(), EventKind::kAlertFiring, "checkout-api", "HighCPU") == 1);
  CHECK(count_events(b.timeline(), EventKind::kAlertFiring, "checkout-api", "HighCPU") == 1);
  // The one difference the engine can see:
  CHECK(a.context().calendar.active({"prod", "checkout-api"}, a.now()).empty());
  const auto events = b.context().calendar.active({"prod", "checkout-api"}, b.now());
  REQUIRE(events.size() == 1);
  CHECK(events[0].name == "spring-campaign");
  CHECK(events[0].kind == "marketing-campaign");
  CHECK(events[0].traffic_multiplier == 3);
}
