#include <catch2/catch.hpp>

#include "engine/time_text.hpp"
#include "history/history.hpp"
#include "importer/cluster.hpp"
#include "importer/scenario_import.hpp"
#include "importer/service_graph.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace scenario_import_test {

namespace im = selfheal::importer;
using selfheal::core::Diagnostics;

namespace {
const std::string kFixture = std::string(SELFHEAL_IMPORTER_TEST_DATA) + "/kubectl-list.json";

// One night: payments-db goes down at 18:10, payment-api's errors follow (a symptom: it
// depends on payments-db), email-worker is OOMKilled with serve's classification, a
// Watchdog with no service and an alert with no hint in its name; a later, unrelated firing.
constexpr const char* kHistory = R"({
  "history": 1, "sources": ["webhook-log:am.log"],
  "from": "2026-11-27T17:00:00.000Z", "until": "2026-11-28T00:00:00.000Z",
  "alerts": [
    {"alertname": "PostgresDown", "fingerprint": "a1", "service": "payments-db",
     "namespace": "prod", "labels": {"alertname": "PostgresDown", "service": "payments-db"},
     "annotations": {},
     "firings": [{"start": "2026-11-27T18:10:00.000Z", "end": "2026-11-27T18:40:00.000Z"}]},
    {"alertname": "HighErrorRate", "fingerprint": "b2", "service": "payment-api",
     "namespace": "prod", "labels": {"alertname": "HighErrorRate", "service": "payment-api"},
     "annotations": {},
     "firings": [{"start": "2026-11-27T18:11:00.000Z", "end": "2026-11-27T18:40:00.000Z"},
                 {"start": "2026-11-27T23:00:00.000Z", "end": "2026-11-27T23:10:00.000Z"}]},
    {"alertname": "OOMKilled", "fingerprint": "c3", "service": "email-worker",
     "namespace": "prod", "labels": {"alertname": "OOMKilled", "service": "email-worker"},
     "annotations": {"incident_type": "memory-leak", "confidence": "0.95"},
     "firings": [{"start": "2026-11-27T18:20:00.000Z", "end": "2026-11-27T18:30:00.000Z"}]},
    {"alertname": "Watchdog", "fingerprint": "d4", "service": "", "namespace": "",
     "labels": {"alertname": "Watchdog"}, "annotations": {},
     "firings": [{"start": "2026-11-27T18:00:00.000Z", "end": "2026-11-27T18:50:00.000Z"}]},
    {"alertname": "SomethingOdd", "fingerprint": "e5", "service": "session-cache",
     "namespace": "prod", "labels": {"alertname": "SomethingOdd", "service": "session-cache"},
     "annotations": {},
     "firings": [{"start": "2026-11-27T18:15:00.000Z", "end": "2026-11-27T18:16:00.000Z"}]}
  ]
})";

struct Inputs {
  selfheal::history::History history;
  im::ClusterView cluster;
};

Inputs inputs() {
  Diagnostics d;
  auto h = selfheal::history::parse_history(kHistory, "h.json", d);
  auto c = im::import_cluster_file(kFixture, d);
  INFO(d.describe());
  REQUIRE(h);
  REQUIRE(c);
  // Traffic as the service graph measured it: the kinds' defaults (50 messages/s for a
  // worker) would overload email-worker's single replica at 18:00 (an unhealthy baseline).
  im::apply_service_graph(*c,
                          {{"user", "payment-api", true, 120, "traces_service_graph_request_total"},
                           {"queue", "email-worker", true, 20, "istio_requests_total"}},
                          "Prometheus http://prom:9090");
  auto view = im::read_cluster_yaml(im::to_cluster_yaml(*c), "cluster.yaml", d);
  INFO(d.describe());
  REQUIRE(view);
  return {*h, *view};
}
}  // namespace

TEST_CASE("import scenario: one incident's firings become faults, every guess commented",
          "[import][scenario]") {
  auto in = inputs();
  im::ScenarioImportOptions o;
  o.fingerprint = "a1";
  o.policies = "policies/examples/seed.yaml";
  o.history_source = "h.json";
  Diagnostics d;
  auto y = im::import_scenario(in.history, in.cluster, o, d);
  INFO(d.describe());
  REQUIRE(y);
  INFO(*y);
  // The Watchdog at 18:00 is within 15 minutes before: the scenario starts 10m before it.
  CHECK_THAT(*y, Catch::Contains("scenario: incident-payments-db-20261127-1810\n"));
  CHECK_THAT(*y, Catch::Contains("start: 2026-11-27T17:50:00Z"));
  CHECK_THAT(*y, Catch::Contains("duration: 1h30m  #"));  // 17:50 .. 18:50 + 30m
  CHECK_THAT(*y, Catch::Contains("  - at: 20m  # when it fired\n    kind: dependency-outage  # "
                                 "guess: alert name PostgresDown (\"down\"), with no upstream "
                                 "alerting\n    target: payments-db\n"));
  CHECK_THAT(*y, Catch::Contains("# not replayed: HighErrorRate on payment-api fired at +21m") &&
                     Catch::Contains("a symptom: alert name HighErrorRate (\"error\"), after "
                                     "upstream payments-db's PostgresDown at +20m"));
  CHECK_THAT(*y, Catch::Contains("  - at: 30m  # when it fired\n    kind: memory-leak  # guess: "
                                 "annotation incident_type=memory-leak\n    target: email-worker\n"
                                 "    classification: {incident_type: memory-leak, confidence: "
                                 "0.95, service: email-worker}"));
  CHECK_THAT(*y, Catch::Contains("# not replayed: Watchdog on (no service)"));
  CHECK_THAT(*y, Catch::Contains("# not replayed: SomethingOdd on session-cache") &&
                     Catch::Contains("nothing in the name SomethingOdd suggests a cause"));
  CHECK_THAT(*y, Catch::Contains("resolved after 30m (if it ended by itself"));
  CHECK_THAT(*y, !Catch::Contains("23:00"));  // the later firing is another incident
  CHECK_THAT(*y, Catch::Contains("cluster:\n  namespace: prod\n"));

  // It loads and runs closed loop: both faults are incidents of the run.
  auto load = selfheal::scenario::load_scenario_string(*y, "incident.yaml", ".");
  INFO(load.diagnostics.describe());
  REQUIRE(load.scenario);
  const auto r = selfheal::scenario::run_scenario(*load.scenario);
  for (const auto& i : r.metrics.incidents)
    UNSCOPED_INFO("incident " << i.id << " " << i.kind << " " << i.root_service);
  REQUIRE(r.metrics.incidents.size() == 2);
  CHECK(r.metrics.incidents[0].kind == "dependency-outage");
  CHECK(r.metrics.incidents[0].root_service == "payments-db");
  CHECK(r.metrics.incidents[0].start == std::chrono::minutes{20});
  CHECK(r.metrics.incidents[1].kind == "memory-leak");
  CHECK(r.metrics.incidents[1].root_service == "email-worker");
  CHECK(r.metrics.incidents[1].classification_source == "external");
}

TEST_CASE(
    "import scenario: --at picks the firings active then, and a symptom-only incident, an "
    "unknown fingerprint and no choice are errors",
    "[import][scenario]") {
  auto in = inputs();
  im::ScenarioImportOptions o;
  o.policies = "p.yaml";
  o.at = selfheal::engine::parse_time("2026-11-27T23:05:00Z");
  Diagnostics d;
  // At 23:05 only payment-api's HighErrorRate fires, with no upstream alerting: a guess of
  // a bad deploy.
  auto y = im::import_scenario(in.history, in.cluster, o, d);
  INFO(d.describe());
  REQUIRE(y);
  CHECK_THAT(*y, Catch::Contains("kind: bad-deploy  # guess: alert name HighErrorRate "
                                 "(\"error\"), with no upstream alerting: a bad rollout"));

  o.at.reset();
  o.fingerprint = "a7";
  Diagnostics unknown;
  CHECK_FALSE(im::import_scenario(in.history, in.cluster, o, unknown));
  CHECK_THAT(unknown.describe(), Catch::Contains("\"a7\"") && Catch::Contains("a1"));

  o.fingerprint.clear();
  Diagnostics none;
  CHECK_FALSE(im::import_scenario(in.history, in.cluster, o, none));
  CHECK_THAT(none.describe(), Catch::Contains("--incident FINGERPRINT and/or --at TIME"));

  o.fingerprint = "e5";  // SomethingOdd alone: nothing to replay
  o.related = std::chrono::minutes{0};
  Diagnostics nothing;
  CHECK_FALSE(im::import_scenario(in.history, in.cluster, o, nothing));
  CHECK_THAT(nothing.describe(), Catch::Contains("nothing to replay") &&
                                     Catch::Contains("SomethingOdd on session-cache"));
}

TEST_CASE("import scenario: the cluster file holds only cluster:", "[import][scenario]") {
  Diagnostics d;
  CHECK_FALSE(im::read_cluster_yaml("scenario: x\n", "c.yaml", d));
  CHECK_THAT(d.describe(), Catch::Contains("c.yaml:1:") && Catch::Contains("import cluster"));
  Diagnostics extra;
  CHECK_FALSE(im::read_cluster_yaml("cluster: {services: {a: {}}}\nfaults: []\n", "c.yaml", extra));
  CHECK_THAT(extra.describe(), Catch::Contains("c.yaml:2:") && Catch::Contains("faults"));
  Diagnostics deps;
  CHECK_FALSE(
      im::read_cluster_yaml("cluster: {services: {a: {depends_on: {x: 1}}}}\n", "c.yaml", deps));
  CHECK_THAT(deps.describe(), Catch::Contains("cluster.services.a.depends_on"));
}

}  // namespace scenario_import_test
