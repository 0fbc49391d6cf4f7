// The engine gates in `selfheal serve` (issue 20): engine.freeze_when and the transitive
// dependency pre-check on the same inputs tests/engine/gates_test.cpp gives the engine alone
// (tests/support/gates_inputs.hpp): the topology comes from the serve config, health from a
// Prometheus that reports orders-db's error rate, the decision reaches SQLite and PagerDuty.
#include <catch2/catch.hpp>

#include "engine/policy_loader.hpp"
#include "serve_harness.hpp"
#include "tests/support/gates_inputs.hpp"

using namespace selfheal;
using namespace selfheal::live;
using namespace selfheal::live::serve_test;
namespace g = selfheal::test_support::gates;

namespace {

// Answers every query at once: orders-db's with kDbErrorRate, everything else 0.
struct OutagePrometheus {
  HttpServer server{{"127.0.0.1", 0, 1 << 20, 1}, [](const HttpServer::Request& r) {
                      const bool db = std::string(r.target()).find(g::kDb) != std::string::npos;
                      return HttpServer::json(
                          200, std::string(R"({"status":"success","data":{"resultType":"vector",)"
                                           R"("result":[{"metric":{},"value":[1700000000,")") +
                                   (db ? "0.82" : "0") + R"("]}]}})");
                    }};
  std::uint16_t port = 0;
  OutagePrometheus() { port = *server.start(); }
  ~OutagePrometheus() { server.stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

engine::PolicySet load(const char* yaml) {
  auto l = engine::load_policy_string(yaml, "gates.yaml");
  INFO(l.diagnostics.describe());
  REQUIRE(l.policies);
  return *l.policies;
}

ServeConfig outage_config(const TempDir& dir, const Receiver& pd, const OutagePrometheus& prom) {
  auto cfg = make_config(dir.path, pd.port);
  cfg.prometheus.url = prom.url();
  cfg.topology = {{g::kNamespace, g::kWorker, {g::kApi}},
                  {g::kNamespace, g::kApi, {g::kDb}},
                  {g::kNamespace, g::kDb, {}}};
  return cfg;
}

std::string worker_leak(const std::string& fp) {
  return alert_payload(fp, "firing", g::kWorker);
}

}  // namespace

TEST_CASE("serve: engine freeze holds every action while orders-db is unhealthy",
          "[live][service][gates]") {
  TempDir dir;
  Receiver pd;
  OutagePrometheus prom;
  Running s(outage_config(dir, pd, prom), load(g::kFreezePolicies));
  s.send("POST", "/api/v1/alerts", worker_leak("fp-worker"));
  REQUIRE(s.wait_record(engine::AuditKind::kDecision));  // after the prefetch
  CHECK(s.decisions(engine::Outcome::kExecuted).empty());
  const auto frozen = s.decisions(engine::Outcome::kKillSwitch);
  REQUIRE(frozen.size() == 1);
  CHECK(frozen[0].guardrail == "freeze");
  CHECK(frozen[0].escalate);
  CHECK_THAT(frozen[0].reason, Catch::StartsWith(g::kFreezeReason));
  // orders-db's health was prefetched with the decision's other reads.
  CHECK_THAT(s.send("GET", "/metrics").body,
             Catch::Contains("selfheal_prometheus_blocking_queries 0\n"));
  REQUIRE(pd.wait_for(1));
  std::lock_guard lock(pd.mu);
  CHECK_THAT(pd.bodies.back(), Catch::Contains(g::kFreezeReason));
}

TEST_CASE("serve: a target outside the freeze's scope acts", "[live][service][gates]") {
  TempDir dir;
  Receiver pd;
  OutagePrometheus prom;
  Running s(outage_config(dir, pd, prom), load(g::kScopedFreezePolicies));
  s.send("POST", "/api/v1/alerts", worker_leak("fp-worker"));
  REQUIRE(s.wait_record(engine::AuditKind::kDecision));  // after the prefetch
  CHECK(s.decisions(engine::Outcome::kExecuted).size() == 1);
  CHECK(s.decisions(engine::Outcome::kKillSwitch).empty());
}

TEST_CASE("serve: the transitive pre-check sees orders-db two hops away, direct does not",
          "[live][service][gates]") {
  TempDir dir;
  Receiver pd;
  OutagePrometheus prom;
  SECTION("transitive") {
    Running s(outage_config(dir, pd, prom), load(g::kTransitivePolicies));
    s.send("POST", "/api/v1/alerts", worker_leak("fp-worker"));
    REQUIRE(s.wait_record(engine::AuditKind::kDecision));  // after the prefetch
    CHECK(s.decisions(engine::Outcome::kExecuted).empty());
    const auto refused = s.decisions(engine::Outcome::kDependencyFailure);
    REQUIRE(refused.size() == 1);
    CHECK_THAT(refused[0].reason, Catch::StartsWith(g::kTransitiveReason));
    // Prefetched: the decision did not wait on Prometheus for a query it did not foresee.
    CHECK_THAT(s.send("GET", "/metrics").body,
               Catch::Contains("selfheal_prometheus_blocking_queries 0\n"));
  }
  SECTION("direct") {
    Running s(outage_config(dir, pd, prom), load(g::kDirectPolicies));
    s.send("POST", "/api/v1/alerts", worker_leak("fp-worker"));
    REQUIRE(s.wait_record(engine::AuditKind::kDecision));  // after the prefetch
    CHECK(s.decisions(engine::Outcome::kExecuted).size() == 1);
  }
}
