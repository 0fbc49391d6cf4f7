// The engine as a value (issue 13): an Engine copied onto a copy of its ports, at any instant
// between calls, goes on exactly as the original does — the same audit records, pages,
// approvals and actions — and the two share nothing: running one never moves the other.
// The run drives a ladder (execute, verification fails, next rung, undo, give up with a
// page), an approval and a correlated caller, so every kind of pending timer and result is
// in flight at some cut.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/audit_json.hpp"
#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"
#include "engine/testing/scripted_actuator.hpp"
#include "engine/time_text.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace copy_test {

using namespace selfheal::engine;
using namespace std::chrono_literals;

namespace {

const TimePoint kT0 = *parse_time("2026-11-27T02:00:00Z");
const ServiceRef kApi{"shop", "orders-api"};
const ServiceRef kWeb{"shop", "web-bff"};
const ServiceRef kCheckout{"shop", "checkout-api"};
constexpr Duration kActionTime = 30s;
constexpr int kScaledReplicas = 6;
constexpr int kPreviousReplicas = 3;

ActionSpec action(ActionKind k, std::optional<int> replicas = std::nullopt) {
  ActionSpec a;
  a.kind = k;
  a.replicas = replicas;
  return a;
}

// A ladder: restart, then scale out (undone when it does not help), then a page.
Policy ladder() {
  Policy p;
  p.incident_type = "memory-leak";
  p.actions = {action(ActionKind::kRestart), action(ActionKind::kScale, kScaledReplicas)};
  p.auto_execute = true;
  p.confidence_threshold = 0.5;
  p.max_attempts = 3;
  p.cooldown = 2min;
  p.verification_window = 5min;
  p.rollback_if_failed = true;
  p.escalation_channel = "pagerduty-p1";
  return p;
}

// A scale during a campaign: asks a person first.
Policy campaign_scale() {
  Policy p;
  p.incident_type = "cpu-spike";
  p.actions = {action(ActionKind::kScale, 20)};
  p.auto_execute = true;
  p.confidence_threshold = 0.85;
  p.escalation_channel = "pagerduty-p2";
  return p;
}

Incident alert(const ServiceRef& s, const std::string& type, double confidence = 0.95) {
  Incident i;
  i.target = s;
  i.fingerprint = s.name + "-alert";
  i.classification = ExternalClassification{type, confidence};
  i.started_at = kT0;
  return i;
}

// Every port in memory and an engine over them; copyable (copy_of) with the engine.
struct Ports {
  ManualClock clock{kT0};
  ManualScheduler scheduler{clock};
  StaticTelemetry telemetry;
  StaticTopology topology;
  StaticCalendar calendar;
  testing::ScriptedActuator actuator{&scheduler, kActionTime};
  RecordingNotifier notifier;
  MemoryStateStore state;
  VectorAuditSink audit;
  std::optional<Engine> engine;
  std::vector<Decision> decided;  ///< what handle() returned, in order

  EngineContext ctx() {
    return {clock, scheduler, telemetry, topology, calendar, actuator, notifier, state, audit};
  }

  Ports() {
    telemetry.fallback.error_rate = 0.001;
    telemetry.fallback.error_rate_baseline = 0.002;
    telemetry.fallback.ready_replicas = kPreviousReplicas;
    telemetry.fallback.desired_replicas = kPreviousReplicas;
    telemetry.fallback.latency_p99_ms = 120;
    telemetry.fallback.latency_p99_baseline_ms = 110;
    ServiceSignals failing = telemetry.fallback;
    failing.error_rate = 0.35;  // never recovers: every verification of kApi fails
    failing.latency_p99_ms = 900;
    telemetry.set(kApi, failing);
    topology.default_services_per_namespace = 10;
    topology.set_upstreams(kWeb, {{kApi, false, 0.35, "error_rate 0.35 > 0.05"}});
    calendar.add({"spring-campaign", "marketing-campaign", kT0 - 1h, kT0 + 2h, 3.0}, kCheckout);
    actuator.undo_for = [](const ActionRequest& r) -> std::optional<ActionSpec> {
      if (r.action.kind != ActionKind::kScale) return std::nullopt;
      return action(ActionKind::kScale, kPreviousReplicas);
    };
    engine.emplace(ctx(), PolicySet{{ladder(), campaign_scale()}, {}, "test"}, ClassifierModel{});
  }

  // `o` as it is now: its ports copied, its pending timers and results re-addressed from
  // o's engine (and o's actuator) to the copies, then o's engine copied onto them.
  static std::unique_ptr<Ports> copy_of(Ports& o) {
    auto p = std::unique_ptr<Ports>(new Ports(o));
    p->engine.emplace(*o.engine, p->ctx());
    p->scheduler.retarget(o.engine->callbacks(), p->engine->callbacks());
    p->scheduler.retarget(o.actuator, p->actuator);
    p->actuator.retarget(o.engine->callbacks(), p->engine->callbacks());
    return p;
  }

  Ports(const Ports&) = delete;
  Ports& operator=(const Ports&) = delete;

 private:
  explicit Ports(Ports& o)
      : clock(o.clock),
        scheduler(o.scheduler, clock),
        telemetry(o.telemetry),
        topology(o.topology),
        calendar(o.calendar),
        actuator(o.actuator, &scheduler),
        notifier(o.notifier),
        state(o.state),
        audit(o.audit),
        decided(o.decided) {}
};

// The first approval request not yet answered, by the escalations the notifier saw.
std::uint64_t pending_approval(const Ports& p) {
  for (const auto& e : p.notifier.escalations())
    if (e.approval_id != 0) return e.approval_id;
  return 0;
}

// The run, one call into the engine or one advance of the clock per step.
const std::vector<std::function<void(Ports&)>>& steps() {
  static const std::vector<std::function<void(Ports&)>> all = {
      [](Ports& p) { p.decided.push_back(p.engine->handle(alert(kApi, "memory-leak"))); },
      [](Ports& p) { p.decided.push_back(p.engine->handle(alert(kWeb, "dependency-failure"))); },
      [](Ports& p) { p.decided.push_back(p.engine->handle(alert(kCheckout, "cpu-spike", 0.91))); },
      [](Ports& p) { p.scheduler.advance(kActionTime); },  // restart done: verification armed
      [](Ports& p) { p.scheduler.advance(2min); },
      [](Ports& p) { p.engine->approve(pending_approval(p), true); },  // the scale runs
      [](Ports& p) { p.scheduler.advance(4min); },  // restart fails: next rung after cooldown
      [](Ports& p) { p.scheduler.advance(1min); },
      [](Ports& p) { p.scheduler.advance(10s); },   // the scale rung runs
      [](Ports& p) { p.scheduler.advance(6min); },  // it fails: undo runs
      [](Ports& p) { p.scheduler.advance(1min); },  // undo done: ladder exhausted, page
      [](Ports& p) { p.decided.push_back(p.engine->handle(alert(kWeb, "dependency-failure"))); },
      [](Ports& p) { p.scheduler.advance(1h); },       // correlation rechecks: kApi still open
      [](Ports& p) { p.engine->reset_target(kApi); },  // a person closes kApi's incident
      [](Ports& p) { p.scheduler.advance(10min); },    // the caller is decided alone: pages
  };
  return all;
}

// Everything the engine told the world, as text: audit records, escalations, requests.
std::vector<std::string> told(const Ports& p) {
  std::vector<std::string> out;
  for (const auto& r : p.audit.records())
    out.push_back(nlohmann::json(r).dump());
  for (const auto& e : p.notifier.escalations())
    out.push_back(nlohmann::json(e).dump());
  for (const auto& r : p.actuator.requests())
    out.push_back(std::to_string(r.id) + " " + render_command(r.argv));
  for (const auto& d : p.decided)
    out.push_back(nlohmann::json(d).dump());
  return out;
}

// What the engine did, without its text (Engine::set_audit_text): the records' kind, time,
// seq, target, incident, outcome, escalate and success; the pages without summary and
// history; the requests; the decisions whole.
std::vector<std::string> did(const Ports& p) {
  std::vector<std::string> out;
  for (const auto& r : p.audit.records()) {
    AuditRecord bare;
    bare.seq = r.seq;
    bare.time = r.time;
    bare.kind = r.kind;
    bare.incident = r.incident;
    bare.target = r.target;
    bare.outcome = r.outcome;
    bare.escalate = r.escalate;
    bare.success = r.success;
    out.push_back(nlohmann::json(bare).dump());
  }
  for (Escalation e : p.notifier.escalations()) {
    e.summary.clear();
    e.history.clear();
    out.push_back(nlohmann::json(e).dump());
  }
  for (const auto& r : p.actuator.requests())
    out.push_back(std::to_string(r.id) + " " + render_command(r.argv));
  for (const auto& d : p.decided)
    out.push_back(nlohmann::json(d).dump());
  return out;
}

void run(Ports& p, std::size_t from, std::size_t to) {
  for (std::size_t k = from; k < to; ++k)
    steps()[k](p);
}

}  // namespace

TEST_CASE("the reference run exercises a ladder, an undo, an approval and a correlated caller",
          "[engine][copy]") {
  Ports p;
  run(p, 0, steps().size());
  const auto& recs = p.audit.records();
  const auto count = [&](AuditKind k) {
    return std::count_if(recs.begin(), recs.end(), [&](const auto& r) { return r.kind == k; });
  };
  CHECK(count(AuditKind::kVerification) == 3);  // restart, the approved scale, the rung's scale
  CHECK(count(AuditKind::kRollback) == 2);      // the undo started, and done
  CHECK(p.actuator.requests().size() == 4);     // restart, approved scale, scale rung, undo
  CHECK(p.notifier.pages() == 2);               // the ladder's end; the caller's once kApi's closed
  CHECK(p.notifier.escalations().front().approval_id == 1);
  CHECK(std::any_of(recs.begin(), recs.end(), [](const auto& r) {
    return r.target == kWeb && r.reason.find("joined the open incident") != std::string::npos;
  }));
  CHECK(p.notifier.escalations().back().target == kWeb);
}

TEST_CASE("an engine copied between any two calls goes on exactly as the original",
          "[engine][copy]") {
  Ports reference;
  run(reference, 0, steps().size());
  const auto expected = told(reference);

  for (std::size_t cut = 0; cut <= steps().size(); ++cut) {
    CAPTURE(cut);
    Ports original;
    run(original, 0, cut);
    const auto at_cut = told(original);
    auto copy = Ports::copy_of(original);
    CHECK(told(*copy) == at_cut);
    // The copy runs to the end first: the original must not have moved.
    run(*copy, cut, steps().size());
    CHECK(told(original) == at_cut);
    CHECK(told(*copy) == expected);
    run(original, cut, steps().size());
    CHECK(told(original) == expected);
  }
}

TEST_CASE("a copy acted on differently diverges alone", "[engine][copy]") {
  Ports original;
  run(original, 0, 4);  // the restart done, its verification pending
  auto copy = Ports::copy_of(original);
  copy->engine->reset_target(kApi);
  copy->engine->set_kill_switch(true);
  run(*copy, 4, steps().size());
  run(original, 4, steps().size());
  Ports reference;
  run(reference, 0, steps().size());
  CHECK(told(original) == told(reference));
  CHECK(told(*copy) != told(reference));
}

TEST_CASE("an engine without audit text decides and acts exactly as one with it",
          "[engine][copy]") {
  Ports reference;
  run(reference, 0, steps().size());
  Ports bare;
  bare.engine->set_audit_text(false);
  run(bare, 0, steps().size());
  CHECK(did(bare) == did(reference));
  CHECK(did(bare).size() == told(reference).size());
  // The text is what it leaves out: no record carries a reason, no page a history.
  for (const auto& r : bare.audit.records()) {
    CAPTURE(nlohmann::json(r).dump());
    CHECK(r.reason.empty());
    CHECK(r.detail.empty());
    CHECK_FALSE(r.classification.has_value());
  }
  for (const auto& e : bare.notifier.escalations())
    CHECK(e.history.empty());
  CHECK(told(bare) != told(reference));
  // A copy keeps the setting: from a cut in the middle, it still leaves the text out.
  Ports original;
  original.engine->set_audit_text(false);
  run(original, 0, 4);
  auto copy = Ports::copy_of(original);
  run(*copy, 4, steps().size());
  CHECK(told(*copy) == told(bare));
  // Switched off midway, with a history already kept: later pages carry none of it.
  Ports midway;
  run(midway, 0, 4);
  const std::size_t pages_before = midway.notifier.escalations().size();
  midway.engine->set_audit_text(false);
  run(midway, 4, steps().size());
  REQUIRE(midway.notifier.escalations().size() > pages_before);
  for (std::size_t k = pages_before; k < midway.notifier.escalations().size(); ++k)
    CHECK(midway.notifier.escalations()[k].history.empty());
}

TEST_CASE("without audit text, a caller joining an open page still updates it", "[engine][copy]") {
  // A second caller joins kApi's incident while its page (the ladder's end) is open.
  const ServiceRef cart{"shop", "cart-api"};
  const auto joined_late = [&](bool text) {
    auto p = std::make_unique<Ports>();
    p->engine->set_audit_text(text);
    p->topology.set_upstreams(cart, {{kApi, false, 0.35, "error_rate 0.35 > 0.05"}});
    run(*p, 0, 11);
    p->decided.push_back(p->engine->handle(alert(cart, "dependency-failure")));
    return p;
  };
  const auto reference = joined_late(true);
  const auto bare = joined_late(false);
  const auto& pages = reference->notifier.escalations();
  REQUIRE(std::any_of(pages.begin(), pages.end(), [](const auto& e) { return e.update; }));
  CHECK(did(*bare) == did(*reference));
}

TEST_CASE("a destroyed engine's pending results are dropped, not delivered", "[engine][copy]") {
  Ports p;
  p.engine->handle(alert(kApi, "memory-leak"));
  REQUIRE(p.actuator.pending() == 1);
  // A restart of the process: a second engine on the same ports, while the action runs.
  p.engine.emplace(p.ctx(), PolicySet{{ladder()}, {}, "test"}, ClassifierModel{});
  p.engine->resume();
  const auto before = p.audit.records().size();
  p.scheduler.advance(kActionTime);  // the old engine's result arrives: no one hears it
  CHECK(p.actuator.pending() == 0);
  CHECK(p.audit.records().size() == before);
}

}  // namespace copy_test
