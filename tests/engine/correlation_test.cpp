// Correlation, one incident -> one page (docs/pipeline.md#correlation), through the in-memory
// ports: the same Engine `selfheal serve` and the simulator drive. A caller's page joins its
// upstream's open incident; the upstream's open page is updated, not re-sent; a caller still
// firing once the upstream's incident is closed pages on its own (no page is lost).
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"
#include "engine/testing/engine_rig.hpp"
#include "engine/time_text.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace correlation_test {

using namespace selfheal::engine;
using namespace std::chrono_literals;

namespace {

const TimePoint kT0 = *parse_time("2026-11-27T02:00:00Z");
const ServiceRef kApi{"shop", "orders-api"};
const ServiceRef kWeb{"shop", "web-bff"};
const ServiceRef kMobile{"shop", "mobile-bff"};

Incident alert(const ServiceRef& s, const std::string& type, bool resolved = false) {
  Incident i;
  i.target = s;
  i.fingerprint = s.name + "-alert";
  i.classification = ExternalClassification{type, 0.95};
  i.started_at = kT0;
  i.resolved = resolved;
  return i;
}

Policy restart_policy() {
  Policy p;
  p.incident_type = "memory-leak";
  ActionSpec a;
  a.kind = ActionKind::kRestart;
  p.actions = {a};
  p.auto_execute = true;
  p.confidence_threshold = 0.5;
  p.escalation_channel = "pagerduty-p1";
  return p;
}

struct Rig : testing::EngineRig {
  Rig() : EngineRig(kT0) {
    for (const auto& caller : {kWeb, kMobile})
      topology.set_upstreams(caller, {{kApi, false, 0.35, "error_rate 0.35 > 0.05"}});
    start(PolicySet{{restart_policy()}, {}, "test"});
  }
};

}  // namespace

TEST_CASE("callers of a paged upstream join its page: one page, updated as they join",
          "[engine][correlation]") {
  Rig w;
  // No policy for either type: each alert alone would page.
  REQUIRE(w.engine->handle(alert(kApi, "bad-deployment")).outcome == Outcome::kNoPolicy);
  REQUIRE(w.pages().size() == 1);
  const Decision web = w.engine->handle(alert(kWeb, "dependency-failure"));
  CHECK(web.outcome == Outcome::kNoPolicy);
  CHECK_FALSE(web.escalate);
  CHECK(web.reason.find("joined the open incident of upstream shop/orders-api") !=
        std::string::npos);
  w.engine->handle(alert(kMobile, "dependency-failure"));
  w.engine->handle(alert(kWeb, "dependency-failure"));  // a re-delivery: no second update
  CHECK(w.pages().size() == 1);                         // nobody is paged for the callers
  const auto updates = w.updates();
  REQUIRE(updates.size() == 2);
  // The update is the root's page again (same incident: same PagerDuty dedup_key), listing
  // every affected caller.
  CHECK(updates[1].target == kApi);
  CHECK(updates[1].incident == w.pages()[0].incident);
  CHECK(updates[1].affected == std::vector<ServiceRef>{kWeb, kMobile});
  CHECK(updates[1].summary.find("affected: shop/web-bff, shop/mobile-bff") != std::string::npos);
  // Audit: the update is an escalation record on the root naming the callers.
  const auto& recs = w.audit.records();
  CHECK(std::count_if(recs.begin(), recs.end(), [](const AuditRecord& r) {
          return r.kind == AuditKind::kEscalation && r.target == kApi &&
                 r.detail.find("update, affected shop/web-bff, shop/mobile-bff") !=
                     std::string::npos;
        }) == 1);
}

TEST_CASE("a caller of an upstream under remediation is held and recovers with it: no page",
          "[engine][correlation]") {
  Rig w;
  REQUIRE(w.engine->handle(alert(kApi, "memory-leak")).outcome == Outcome::kExecuted);
  CHECK(w.engine->handle(alert(kWeb, "dependency-failure")).reason.find("joined") !=
        std::string::npos);
  w.scheduler.advance(30s + 5min);  // the restart verifies: the upstream's incident closes
  w.engine->handle(alert(kWeb, "dependency-failure", true));  // the caller's alert resolves
  w.scheduler.advance(30min);
  CHECK(w.pages().empty());
  CHECK(w.notifier.escalations().empty());
}

TEST_CASE("a caller still firing after its upstream recovered becomes its own incident",
          "[engine][correlation]") {
  Rig w;
  REQUIRE(w.engine->handle(alert(kApi, "memory-leak")).outcome == Outcome::kExecuted);
  w.engine->handle(alert(kWeb, "dependency-failure"));
  w.scheduler.advance(30s + 5min);  // the upstream verified and closed
  CHECK(w.pages().empty());
  w.scheduler.advance(10min);  // the caller's next look: its alert still fires
  const auto pages = w.pages();
  REQUIRE(pages.size() == 1);  // no page is lost to correlation
  CHECK(pages[0].target == kWeb);
  CHECK(pages[0].reason == Outcome::kNoPolicy);
  const auto& recs = w.audit.records();
  CHECK(std::any_of(recs.begin(), recs.end(), [](const AuditRecord& r) {
    return r.kind == AuditKind::kDecision && r.target == kWeb &&
           r.detail.find("joined is closed") != std::string::npos;
  }));
}

TEST_CASE("an upstream incident that closes with its root never found still lets the caller page",
          "[engine][correlation]") {
  Rig w;
  w.engine->handle(alert(kApi, "bad-deployment"));  // paged, nobody knows why
  w.engine->handle(alert(kWeb, "dependency-failure"));
  REQUIRE(w.pages().size() == 1);
  // The upstream's alert resolves and it looks healthy: its incident closes.
  w.engine->handle(alert(kApi, "bad-deployment", true));
  w.scheduler.advance(5min);
  const auto pages = w.pages();
  REQUIRE(pages.size() == 2);  // the caller, still broken, is paged once on its own
  CHECK(pages[1].target == kWeb);
  w.scheduler.advance(1h);
  CHECK(w.pages().size() == 2);  // once
}

TEST_CASE("giving up on a caller while its upstream's page is open updates that page",
          "[engine][correlation]") {
  Rig w;
  ServiceSignals failing = w.telemetry.fallback;
  failing.error_rate = 0.35;
  w.telemetry.set(kWeb, failing);
  w.engine->handle(alert(kApi, "bad-deployment"));  // the upstream pages (no policy)
  // The caller's own alert is acted on (a restart): correlation never blocks an action.
  REQUIRE(w.engine->handle(alert(kWeb, "memory-leak")).outcome == Outcome::kExecuted);
  w.scheduler.advance(30s + 5min);  // verification fails; max_attempts 1: automation gives up
  CHECK(w.pages().size() == 1);     // no second page
  const auto updates = w.updates();
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].target == kApi);
  CHECK(updates[0].affected == std::vector<ServiceRef>{kWeb});
  // The page's story ends with who joined and why.
  REQUIRE_FALSE(updates[0].history.empty());
  CHECK(updates[0].history.back().reason.find("shop/web-bff joined this incident "
                                              "(max-attempts-reached: ") != std::string::npos);
}

}  // namespace correlation_test
