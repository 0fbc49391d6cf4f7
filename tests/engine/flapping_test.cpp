// Flapping, one alert that fires and resolves over and over -> one incident
// (docs/pipeline.md#flapping), through the in-memory ports: the same Engine `selfheal serve`
// and the simulator drive. The alert sequence is fire, resolve, fire, resolve, fire; inside
// the flap window the firings share one attempt budget and one page, and the audit names
// the flap. Without a window (the default) every firing is a new incident, as before.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"
#include "engine/testing/engine_rig.hpp"
#include "engine/time_text.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace flapping_test {

using namespace selfheal::engine;
using namespace std::chrono_literals;

namespace {

const TimePoint kT0 = *parse_time("2026-11-27T02:00:00Z");
const ServiceRef kApi{"shop", "orders-api"};
const ServiceRef kUpstream{"shop", "inventory"};

Incident alert(bool resolved = false, double confidence = 0.95) {
  Incident i;
  i.target = kApi;
  i.fingerprint = "orders-api-errors";
  i.classification = ExternalClassification{"memory-leak", confidence};
  i.started_at = kT0;
  i.resolved = resolved;
  return i;
}

Policy restart_policy(int max_attempts) {
  Policy p;
  p.incident_type = "memory-leak";
  ActionSpec a;
  a.kind = ActionKind::kRestart;
  p.actions = {a};
  p.auto_execute = true;
  p.confidence_threshold = 0.5;
  p.max_attempts = max_attempts;
  p.cooldown = 0s;
  p.escalation_channel = "pagerduty-p1";
  return p;
}

struct Rig : testing::EngineRig {
  Rig(Duration flap_window, Policy policy) : EngineRig(kT0) {
    healthy(false);
    EngineSettings settings;
    settings.flap_window = flap_window;
    start(PolicySet{{std::move(policy)}, settings, "test"});
  }
  void healthy(bool yes) { telemetry.fallback.error_rate = yes ? 0.001 : 0.30; }
  // One fire/resolve cycle: the alert fires on a broken service, whatever the engine does
  // runs its course (the action fails verification), then the service looks healthy and the
  // alert resolves; the next firing comes `gap` later.
  Decision fire() {
    healthy(false);
    const Decision d = engine->handle(alert());
    scheduler.advance(30s + 5min + 1s);  // the action, then its verification window
    return d;
  }
  void resolve(Duration gap = 4min) {
    healthy(true);
    engine->handle(alert(true));
    scheduler.advance(gap);
  }
  std::size_t decisions_naming(const std::string& text) const {
    const auto& recs = audit.records();
    return static_cast<std::size_t>(std::count_if(recs.begin(), recs.end(), [&](const auto& r) {
      return r.kind == AuditKind::kDecision && r.reason.find(text) != std::string::npos;
    }));
  }
};

}  // namespace

TEST_CASE("a flapping alert shares one attempt budget and one page", "[engine][flapping]") {
  Rig w(30min, restart_policy(1));
  CHECK(w.fire().outcome == Outcome::kExecuted);  // attempt 1 of 1; it fails verification
  REQUIRE(w.pages().size() == 1);                 // escalate-only: paged
  w.resolve();
  const Decision second = w.fire();
  CHECK(second.outcome == Outcome::kMaxAttemptsReached);  // the budget was not refilled
  CHECK(second.reason.find("flapping: fired again") != std::string::npos);
  CHECK(second.reason.find("cycle 2 within the 30m flap window") != std::string::npos);
  w.resolve();
  const Decision third = w.fire();
  CHECK(third.outcome == Outcome::kMaxAttemptsReached);
  CHECK(third.reason.find("cycle 3") != std::string::npos);
  CHECK(w.actuator.requests().size() == 1);  // one action across three firings
  CHECK(w.pages().size() == 1);              // one page across three firings
  CHECK(w.decisions_naming("flapping: fired again") == 2);
  // The resolve names the window a re-fire would continue the incident in.
  CHECK(w.decisions_naming("continues this incident") == 2);
}

TEST_CASE("a flapping alert's attempts add up across cycles", "[engine][flapping]") {
  Policy p = restart_policy(2);
  p.cooldown = 10min;  // the next attempt waits for it
  Rig w(30min, p);
  CHECK(w.fire().outcome == Outcome::kExecuted);  // attempt 1 fails; the next is scheduled
  w.resolve(5min);                                // before it runs, the alert resolves
  const Decision second = w.fire();
  INFO(second.reason);
  CHECK(second.outcome == Outcome::kExecuted);
  CHECK(second.reason.find("attempt 2 of 2") != std::string::npos);
  w.resolve(5min);
  CHECK(w.fire().outcome == Outcome::kMaxAttemptsReached);
  CHECK(w.actuator.requests().size() == 2);
  CHECK(w.pages().size() == 1);
}

TEST_CASE("without a flap window every firing is a new incident", "[engine][flapping]") {
  Rig w(0s, restart_policy(1));
  w.fire();
  w.resolve();
  CHECK(w.fire().outcome == Outcome::kExecuted);  // a fresh budget each time
  w.resolve();
  CHECK(w.fire().outcome == Outcome::kExecuted);
  CHECK(w.actuator.requests().size() == 3);
  CHECK(w.pages().size() == 3);
  CHECK(w.decisions_naming("flapping") == 0);
}

TEST_CASE("a re-fire after the flap window is a new incident", "[engine][flapping]") {
  Rig w(30min, restart_policy(1));
  w.fire();
  w.resolve(31min);
  const Decision d = w.fire();
  CHECK(d.outcome == Outcome::kExecuted);
  CHECK(d.reason.find("flapping") == std::string::npos);
  CHECK(w.pages().size() == 2);
}

TEST_CASE("a flap's later page of a higher severity updates the first page", "[engine][flapping]") {
  Policy p = restart_policy(1);
  p.dependency_precheck.enabled = true;
  Rig w(30min, p);
  // Cycle 1: the classification is unsure: a warning page, no action.
  w.healthy(false);
  CHECK(w.engine->handle(alert(false, 0.3)).outcome == Outcome::kLowConfidence);
  REQUIRE(w.pages().size() == 1);
  w.resolve();
  // Cycle 2: sure now, but the upstream is failing: an error-severity escalation.
  w.topology.set_upstreams(kApi, {{kUpstream, false, 0.4, "error_rate 0.40 > 0.05"}});
  w.healthy(false);
  CHECK(w.engine->handle(alert()).outcome == Outcome::kDependencyFailure);
  CHECK(w.pages().size() == 1);  // not a second page ...
  const auto updates = w.updates();
  REQUIRE(updates.size() == 1);  // ... an update of the first (same incident, same dedup_key)
  CHECK(updates[0].incident == w.pages()[0].incident);
  CHECK(updates[0].severity == "error");
  const auto& recs = w.audit.records();
  CHECK(std::any_of(recs.begin(), recs.end(), [](const AuditRecord& r) {
    return r.kind == AuditKind::kEscalation &&
           r.detail.find("update (flapping, cycle 2)") != std::string::npos;
  }));
}

TEST_CASE("a fix verified in a quiet phase does not refill a flapping alert's budget",
          "[engine][flapping]") {
  Rig w(30min, restart_policy(2));
  // The fault blinks off right after each restart: the restart verifies.
  auto fire_and_blink_off = [&w] {
    w.healthy(false);
    const Decision d = w.engine->handle(alert());
    w.healthy(true);
    w.scheduler.advance(30s + 5min + 1s);
    w.scheduler.advance(4min);
    return d;
  };
  CHECK(fire_and_blink_off().outcome == Outcome::kExecuted);
  const Decision second = fire_and_blink_off();
  INFO(second.reason);
  CHECK(second.outcome == Outcome::kExecuted);
  CHECK(second.reason.find("attempt 2 of 2") != std::string::npos);
  CHECK(second.reason.find("flapping: fired again") != std::string::npos);
  CHECK(fire_and_blink_off().outcome == Outcome::kMaxAttemptsReached);
  CHECK(w.actuator.requests().size() == 2);
  const auto& recs = w.audit.records();
  CHECK(std::count_if(recs.begin(), recs.end(), [](const AuditRecord& r) {
          return r.kind == AuditKind::kVerification && r.success == true &&
                 r.reason.find("continues this incident") != std::string::npos;
        }) == 2);
}

// The alert sequence tests/live/service_test.cpp sends through `selfheal serve`: an unsure
// classification pages (low-confidence); the alert flaps; nobody is paged again.
TEST_CASE("a flapping unsure alert pages once", "[engine][flapping]") {
  Rig w(30min, restart_policy(1));
  for (int cycle = 0; cycle < 3; ++cycle) {
    if (cycle > 0) w.resolve(1min);
    const Decision d = w.engine->handle(alert(false, 0.3));
    CHECK(d.outcome == Outcome::kLowConfidence);
    CHECK((d.reason.find("flapping: fired again") != std::string::npos) == (cycle > 0));
  }
  CHECK(w.pages().size() == 1);
  CHECK(w.updates().empty());
}

}  // namespace flapping_test
