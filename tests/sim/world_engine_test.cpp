// The World driving the real Engine: the seed's restart loop and its fix, from mechanics.
#include <catch2/catch.hpp>
#include <string>

#include "cluster_fixtures.hpp"
#include "engine/classifier.hpp"
#include "engine/engine.hpp"
#include "engine/policy_loader.hpp"
#include "sim/world.hpp"

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;

namespace {

engine::PolicySet policies(const std::string& yaml) {
  engine::PolicyLoad load = engine::load_policy_string(yaml, "test.yaml");
  INFO(load.diagnostics.describe());
  REQUIRE(load.policies);
  return *load.policies;
}

struct Run {
  int restarts = 0;
  int pages = 0;
  std::vector<std::string> outcomes;
};

Run run_outage(const std::string& yaml) {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kDependencyOutage, "payments-db", 10min, 45min));
  World w{c, 7};
  engine::Engine e{w.context(), policies(yaml), engine::ClassifierModel::builtin()};
  w.set_incident_sink([&](const engine::Incident& i) { e.handle(i); });
  w.set_approval_handler([&](std::uint64_t id, bool ok) { e.approve(id, ok); });
  w.run_until(w.start() + 2h);
  Run r;
  r.restarts = count_events(w.timeline(), EventKind::kActionStarted, "payment-api", "restart");
  r.pages = count_events(w.timeline(), EventKind::kPage, "payment-api");
  for (const auto& ev : w.timeline().events) {
    if (ev.kind == EventKind::kDecision && ev.service == "payment-api")
      r.outcomes.push_back(ev.name);
  }
  return r;
}

}  // namespace

TEST_CASE("engine + world: a naive restart policy loops through a DB outage",
          "[sim][world][engine][seed]") {
  // No dependency pre-check, a short cooldown, no real attempt limit: every cooldown the
  // alert re-notifies, the engine restarts payment-api, verification fails, repeat.
  const Run r = run_outage(R"(
remediation_policies:
  - incident_type: dependency-failure
    action: restart
    auto_execute: true
    confidence_threshold: 0.3
    max_attempts: 50
    cooldown_after_action: 3m
    verification_window: 2m
engine: {mode: auto}
)");
  INFO("outcomes: " << r.outcomes.size());
  CHECK(r.restarts >= 8);
  CHECK(r.restarts <= 15);
}

TEST_CASE("engine + world: the dependency pre-check stops the loop and pages",
          "[sim][world][engine][seed]") {
  const Run r = run_outage(R"(
remediation_policies:
  - incident_type: dependency-failure
    action: restart
    auto_execute: true
    confidence_threshold: 0.3
    max_attempts: 2
    cooldown_after_action: 15m
    verification_window: 2m
    dependency_precheck: true
engine: {mode: auto}
)");
  CHECK(r.restarts == 0);
  CHECK(r.pages >= 1);
  CHECK(std::find(r.outcomes.begin(), r.outcomes.end(), "dependency-failure") != r.outcomes.end());
}
