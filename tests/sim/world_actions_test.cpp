// Each actuator's effect and timing, and which actions help which fault.
#include <catch2/catch.hpp>
#include <string>

#include "cluster_fixtures.hpp"
#include "sim/world.hpp"

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;
using engine::ActionKind;

TEST_CASE("rolling restart: surge one pod at a time, capacity dips while pods warm up",
          "[sim][world][actuator]") {
  ClusterSpec c = payments_cluster();
  c.start += 12h;
  World w{c, 7};
  w.run_until(w.start() + 10min);
  const double cpu_before = w.signals("payment-api", 1min).cpu_utilization;
  auto probe = act(w, "payment-api", action(ActionKind::kRestart), 1);
  CHECK_FALSE(probe->result);  // never completes inside execute()
  w.run_until(w.start() + 10min + 15s);
  ServiceSnapshot s = w.snapshot("payment-api");
  CHECK(s.rollout_in_progress);
  CHECK(s.starting == 1);  // maxSurge 25% of 3 -> 1
  CHECK(s.ready == 3);     // maxUnavailable 25% of 3 -> 0
  w.run_until(w.start() + 12min);
  CHECK(w.signals("payment-api", 1min).cpu_utilization > cpu_before * 1.2);
  w.run_until(w.start() + 15min);
  REQUIRE(probe->result);
  CHECK(probe->calls == 1);
  CHECK(probe->result->ok);
  CHECK(probe->result->message.find("successfully rolled out") != std::string::npos);
  CHECK_FALSE(probe->result->undo);
  CHECK(probe->done_at - (w.start() + 10min) >= 90s);
  CHECK(probe->done_at - (w.start() + 10min) <= 150s);
  s = w.snapshot("payment-api");
  CHECK(s.ready == 3);
  CHECK(s.restarts == 0);  // new pods, not container restarts
  CHECK(s.revision == 1);
  CHECK_FALSE(s.rollout_in_progress);
  const auto* started = first_event(w.timeline(), EventKind::kActionStarted, "payment-api");
  REQUIRE(started != nullptr);
  CHECK(started->action_id == 1);
  CHECK(started->automated);
  CHECK(started->detail == "kubectl rollout restart deployment/payment-api -n prod");
}

TEST_CASE("a restart clears a memory leak for a while, not for good", "[sim][world][actuator]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kMemoryLeak, "payment-api", 10min));
  World control{c, 7};
  World w{c, 7};
  w.run_until(w.start() + 20min);
  const double leaked = w.signals("payment-api", 1min).memory_utilization;
  CHECK(leaked > 0.65);
  auto probe = act(w, "payment-api", action(ActionKind::kRestart), 1);
  w.run_until(w.start() + 23min);
  REQUIRE(probe->result);
  CHECK(probe->result->ok);
  CHECK(w.signals("payment-api", 1min).memory_utilization < 0.6);
  CHECK(w.signals("payment-api", 1min).memory_utilization < leaked - 0.1);
  w.run_until(w.start() + 35min);
  control.run_until(control.start() + 35min);
  CHECK(w.snapshot("payment-api").oom_kills == 0);
  CHECK(control.snapshot("payment-api").oom_kills >= 1);
  w.run_until(w.start() + 60min);
  CHECK(w.snapshot("payment-api").oom_kills >= 1);  // the leak is still there
}

TEST_CASE("a restart does nothing for a DB outage", "[sim][world][actuator]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kDependencyOutage, "payments-db", 10min, 45min));
  World w{c, 7};
  w.run_until(w.start() + 20min);
  auto probe = act(w, "payment-api", action(ActionKind::kRestart), 1);
  w.run_until(w.start() + 25min);
  REQUIRE(probe->result);
  CHECK(probe->result->ok);  // the rollout itself succeeds...
  const auto s = w.signals("payment-api", 2min);
  CHECK(s.error_rate > 0.95);  // ...and the new pods hit the same dead database
  CHECK(s.dependency_errors > 0.95);
}

TEST_CASE("a rollback fixes a bad deploy, a restart does not", "[sim][world][actuator]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kBadDeploy, "payment-api", 10min));
  World w{c, 7};
  w.run_until(w.start() + 15min);
  auto restart = act(w, "payment-api", action(ActionKind::kRestart), 1);
  w.run_until(w.start() + 20min);
  REQUIRE(restart->result);
  CHECK(w.signals("payment-api", 1min).error_rate == Approx(0.3).margin(0.02));
  auto rollback = act(w, "payment-api", action(ActionKind::kRollback), 2);
  w.run_until(w.start() + 24min);
  REQUIRE(rollback->result);
  CHECK(rollback->result->ok);
  REQUIRE(rollback->result->undo);
  CHECK(rollback->result->undo->kind == ActionKind::kRollback);
  CHECK(rollback->result->undo->revision == 2);
  const ServiceSnapshot s = w.snapshot("payment-api");
  CHECK(s.revision == 3);  // helm: a new revision with the previous chart
  CHECK(s.version == "1.0.0");
  CHECK(w.signals("payment-api", 1min).error_rate < 0.01);
  const IncidentRecord* rec = w.timeline().incident("bad-deploy-payment-api");
  REQUIRE(rec != nullptr);
  CHECK(rec->end);
  CHECK(count_events(w.timeline(), EventKind::kFaultEnd, "payment-api") == 1);
}

TEST_CASE("a rollback brings a crash-looping release back", "[sim][world][actuator]") {
  ClusterSpec c = payments_cluster();
  FaultSpec f = fault(FaultKind::kBadDeploy, "payment-api", 10min);
  f.params.crash_loop = true;
  c.faults.push_back(f);
  World w{c, 7};
  w.run_until(w.start() + 25min);
  auto rollback = act(w, "payment-api", action(ActionKind::kRollback), 1);
  w.run_until(w.start() + 30min);
  REQUIRE(rollback->result);
  CHECK(rollback->result->ok);
  const ServiceSnapshot s = w.snapshot("payment-api");
  CHECK(s.ready == 3);
  CHECK(s.crashloop == 0);
  CHECK(w.signals("payment-api", 1min).error_rate < 0.01);
}

TEST_CASE("rollback with no earlier revision fails like helm", "[sim][world][actuator]") {
  World w{payments_cluster(), 7};
  w.run_until(w.start() + 1min);
  auto probe = act(w, "payment-api", action(ActionKind::kRollback), 1);
  w.run_until(w.start() + 2min);
  REQUIRE(probe->result);
  CHECK_FALSE(probe->result->ok);
  CHECK(probe->result->message.find("not found") != std::string::npos);
}

TEST_CASE("scale: new pods are ready after the startup delay, undo restores the count",
          "[sim][world][actuator]") {
  World w{payments_cluster(), 7};
  w.run_until(w.start() + 10min);
  engine::ActionSpec a = action(ActionKind::kScale);
  a.replicas = 6;
  auto probe = act(w, "payment-api", a, 1);
  w.run_until(w.start() + 10min + 15s);
  CHECK(w.snapshot("payment-api").starting == 3);
  CHECK_FALSE(probe->result);
  w.run_until(w.start() + 12min);
  REQUIRE(probe->result);
  CHECK(probe->result->ok);
  CHECK(probe->done_at - (w.start() + 10min) >= 30s);
  CHECK(probe->done_at - (w.start() + 10min) <= 45s);
  REQUIRE(probe->result->undo);
  CHECK(probe->result->undo->replicas == 3);
  CHECK(w.snapshot("payment-api").ready == 6);
  CHECK(w.signals("payment-api", 15s).desired_replicas == 6);
  // Factor scaling is bounded by max_replicas.
  engine::ActionSpec f = action(ActionKind::kScale);
  f.factor = 2.0;
  f.max_replicas = 10;
  auto probe2 = act(w, "payment-api", f, 2);
  w.run_until(w.start() + 14min);
  REQUIRE(probe2->result);
  CHECK(w.snapshot("payment-api").ready == 10);
}

TEST_CASE("scale is bounded by cluster capacity: pods stay Pending, the action times out",
          "[sim][world][actuator]") {
  ClusterSpec c = payments_cluster();
  c.capacity_pods = 7;  // 3 api + 2 db running: room for 2 more
  World w{c, 7};
  w.run_until(w.start() + 10min);
  engine::ActionSpec a = action(ActionKind::kScale);
  a.replicas = 6;
  engine::ActionRequest r;
  r.id = 1;
  r.target = {"prod", "payment-api"};
  r.action = a;
  r.timeout = 2min;
  std::optional<engine::ActionResult> result;
  engine::FunctionCallbacks cb{nullptr,
                               [&](std::uint64_t, engine::ActionResult res) { result = res; }};
  w.context().actuator.execute(r, cb);
  w.run_until(w.start() + 11min);
  CHECK(w.snapshot("payment-api").ready == 5);
  CHECK(w.snapshot("payment-api").pending == 1);
  w.run_until(w.start() + 13min);
  REQUIRE(result);
  CHECK_FALSE(result->ok);
  CHECK(result->message.find("cluster capacity exhausted") != std::string::npos);
}

TEST_CASE("cache purge fixes a poisoned cache and briefly spikes the upstream",
          "[sim][world][actuator]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kPoisonedCache, "payment-api", 10min));
  World w{c, 7};
  w.run_until(w.start() + 15min);
  const double db_before = w.signals("payments-db", 1min).request_rate;
  auto probe = act(w, "payment-api", action(ActionKind::kCachePurge), 1);
  w.run_until(w.start() + 16min);
  REQUIRE(probe->result);
  CHECK(probe->result->ok);
  CHECK(w.signals("payment-api", 30s).error_rate < 0.01);
  CHECK(w.signals("payments-db", 30s).request_rate > 2.0 * db_before);
  w.run_until(w.start() + 25min);
  CHECK(w.signals("payments-db", 1min).request_rate < 1.3 * db_before);
  CHECK(w.timeline().incident("poisoned-cache-payment-api")->end);
}

TEST_CASE("feature-flag disable turns a bad flag off, an unknown flag fails",
          "[sim][world][actuator]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kBadFeatureFlag, "payment-api", 10min));
  World w{c, 7};
  w.run_until(w.start() + 15min);
  engine::ActionSpec a = action(ActionKind::kFeatureFlagDisable);
  a.flag = "new-payment-api-flow";
  auto probe = act(w, "payment-api", a, 1);
  engine::ActionSpec b = action(ActionKind::kFeatureFlagDisable);
  b.flag = "no-such-flag";
  auto bad = act(w, "payment-api", b, 2);
  w.run_until(w.start() + 15min + 30s);
  REQUIRE(probe->result);
  CHECK(probe->result->ok);
  CHECK(w.signals("payment-api", 15s).error_rate < 0.01);
  CHECK(w.snapshot("payment-api").enabled_flags.empty());
  REQUIRE(bad->result);
  CHECK_FALSE(bad->result->ok);
  CHECK(bad->result->message.find("not found") != std::string::npos);
}

TEST_CASE("a restart unsticks stalled consumers and the queue drains", "[sim][world][actuator]") {
  ClusterSpec c;
  c.ns = "prod";
  ServiceSpec wk = service_defaults(ServiceKind::kWorker);
  wk.name = "invoice-worker";
  c.services = {wk};
  c.faults.push_back(fault(FaultKind::kConsumerStall, "invoice-worker", 10min));
  World w{c, 7};
  w.run_until(w.start() + 20min);
  const double lag = w.signals("invoice-worker", 1min).queue_lag;
  const auto probe = act(w, "invoice-worker", action(ActionKind::kRestart), 1);  // lives on
  w.run_until(w.start() + 24min);
  const auto s = w.signals("invoice-worker", 1min);
  CHECK(s.queue_lag < lag);
  CHECK(s.queue_lag_trend < 0);
  w.run_until(w.start() + 30min);
  CHECK(w.signals("invoice-worker", 1min).queue_lag < 100);
}

TEST_CASE("traffic shift moves a share of traffic away, undo restores it",
          "[sim][world][actuator]") {
  World w{payments_cluster(), 7};
  w.run_until(w.start() + 10min);
  const double before = w.signals("payment-api", 1min).request_rate;
  engine::ActionSpec a = action(ActionKind::kTrafficShift);
  a.traffic_share = 0.5;
  a.to = "eu-west";
  auto probe = act(w, "payment-api", a, 1);
  w.run_until(w.start() + 11min);
  REQUIRE(probe->result);
  CHECK(probe->result->ok);
  REQUIRE(probe->result->undo);
  CHECK(probe->result->undo->traffic_share == 0.0);
  CHECK(w.signals("payment-api", 30s).request_rate == Approx(before / 2).epsilon(0.15));
}

TEST_CASE("the actuator is idempotent per request id and reports unknown targets",
          "[sim][world][actuator]") {
  World w{payments_cluster(), 7};
  w.run_until(w.start() + 1min);
  auto first = act(w, "payment-api", action(ActionKind::kRestart), 42);
  auto again = act(w, "payment-api", action(ActionKind::kRestart), 42);
  auto missing = act(w, "ledger-api", action(ActionKind::kRestart), 43);
  w.run_until(w.start() + 10min);
  CHECK(first->calls == 1);
  CHECK(again->calls == 0);
  CHECK(count_events(w.timeline(), EventKind::kDeploy, "payment-api") == 1);
  REQUIRE(missing->result);
  CHECK_FALSE(missing->result->ok);
  CHECK(missing->result->message.find("NotFound") != std::string::npos);
}

TEST_CASE("the Deployment's rollout as the actuator port reports it follows the pods model",
          "[sim][world][actuator][verification]") {
  ClusterSpec c = payments_cluster();
  World w{c, 7};
  w.run_until(w.start() + 10min);
  const engine::ServiceRef api{c.ns, "payment-api"};
  engine::Actuator& port = w.context().actuator;
  engine::DeploymentStatus d = port.deployment(api);
  CHECK(d.observed);
  CHECK(d.generation == d.observed_generation);
  CHECK((d.desired == 3 && d.updated == 3 && d.replicas == 3 && d.available == 3));
  auto probe = act(w, "payment-api", action(ActionKind::kRestart), 1);
  w.run_until(w.start() + 10min + 15s);
  d = port.deployment(api);
  CHECK(d.desired == 3);
  CHECK(d.updated == 1);   // one new pod surged
  CHECK(d.replicas == 4);  // three old ones still serve
  CHECK(d.available == 3);
  w.run_until(w.start() + 15min);
  REQUIRE(probe->result);
  d = port.deployment(api);
  CHECK(d.updated == 3);
  CHECK(d.replicas == 3);
  CHECK(d.available == 3);
  CHECK(port.deployment({c.ns, "nope"}).error == "deployments.apps \"nope\" not found");
}
