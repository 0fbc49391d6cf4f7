// The recurrence guardrail (issue 20): verified fixes of one incident type on one target
// count, and the (max+1)-th pages "recurring" instead of acting. Also its policy fields and
// the state file that carries the history between `selfheal decide --state` calls.
#include <catch2/catch.hpp>

#include <string>

#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"
#include "engine/policy_loader.hpp"
#include "engine/state_file.hpp"
#include "engine/testing/scripted_actuator.hpp"
#include "engine/time_text.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace recurrence_test {

using namespace selfheal::engine;
using namespace std::chrono_literals;

namespace {

const TimePoint kT0 = *parse_time("2026-11-27T18:00:00Z");
const ServiceRef kTarget{"prod", "report-worker"};
constexpr auto kFiringGap = 30min;      // a new firing of the leak every half hour
constexpr auto kVerified = 30s + 5min;  // actuator delay + verification window

Policy leak_policy() {
  Policy p;
  p.incident_type = "memory-leak";
  ActionSpec restart;
  restart.kind = ActionKind::kRestart;
  p.actions = {restart};
  p.auto_execute = true;
  p.confidence_threshold = 0.9;
  p.max_attempts = 2;
  p.cooldown = 10min;
  p.verification_window = 5min;
  p.escalation_channel = "pagerduty-p1";
  return p;  // recurrence left at its defaults: max 3 within 6h
}

ServiceSignals healthy() {
  ServiceSignals s;
  s.error_rate = 0.001;
  s.error_rate_baseline = 0.002;
  s.ready_replicas = 3;
  s.desired_replicas = 3;
  s.latency_p99_ms = 120;
  s.latency_p99_baseline_ms = 110;
  return s;
}

// The n-th firing of the leak alert (a new startsAt each time: the alert resolved between).
Incident firing(TimePoint starts, const std::string& type = "memory-leak",
                const ServiceRef& target = kTarget) {
  Incident i;
  i.target = target;
  i.fingerprint = target.name + "-" + type;
  i.classification = ExternalClassification{type, 0.95};
  i.started_at = starts;
  return i;
}

struct World {
  ManualClock clock{kT0};
  ManualScheduler scheduler{clock};
  StaticTelemetry telemetry;
  StaticTopology topology;
  StaticCalendar calendar;
  testing::ScriptedActuator actuator{&scheduler, 30s};
  RecordingNotifier notifier;
  MemoryStateStore state;
  VectorAuditSink audit;
  std::optional<Engine> engine;

  explicit World(std::vector<Policy> policies, MemoryStateStore start = {})
      : state(std::move(start)) {
    telemetry.fallback = healthy();  // every restart verifies
    topology.default_services_per_namespace = 10;
    engine.emplace(EngineContext{clock, scheduler, telemetry, topology, calendar, actuator,
                                 notifier, state, audit},
                   PolicySet{std::move(policies), {}, "test"}, ClassifierModel{});
  }

  // A new firing now; when it executes, lets the restart finish and verify.
  Decision fire(const std::string& type = "memory-leak", const ServiceRef& target = kTarget) {
    Decision d = engine->handle(firing(clock.now(), type, target));
    if (d.outcome == Outcome::kExecuted) scheduler.advance(kVerified);
    return d;
  }
  // Fires, then waits until the next firing is due.
  Decision fire_and_wait(const std::string& type = "memory-leak") {
    const TimePoint next = clock.now() + kFiringGap;
    Decision d = fire(type);
    scheduler.advance(next - clock.now());
    return d;
  }
};

}  // namespace

TEST_CASE("a fault fixed 3 times within 6h pages as recurring instead of a 4th restart",
          "[pipeline][recurrence]") {
  World w({leak_policy()});
  for (int i = 0; i < 3; ++i) {
    const Decision d = w.fire_and_wait();
    REQUIRE(d.outcome == Outcome::kExecuted);
    CHECK_THAT(d.reason, Catch::Contains("attempt 1 of 2"));  // each verified fix resets it
  }
  REQUIRE(w.actuator.requests().size() == 3);
  REQUIRE(w.notifier.escalations().empty());

  const Decision d = w.fire();
  CHECK(d.outcome == Outcome::kMaxAttemptsReached);
  CHECK(d.guardrail == "recurrence");
  CHECK(d.escalate);
  CHECK_THAT(d.reason,
             Catch::Contains("recurring: automation is masking a fault that needs a fix"));
  // The history: each earlier restart with its action id and when it verified.
  CHECK_THAT(d.reason, Catch::Contains("restart #1 verified at 2026-11-27T18:05:30"));
  CHECK_THAT(d.reason, Catch::Contains("restart #2 verified at 2026-11-27T18:35:30"));
  CHECK_THAT(d.reason, Catch::Contains("restart #3 verified at 2026-11-27T19:05:30"));
  CHECK(w.actuator.requests().size() == 3);  // no 4th restart
  REQUIRE(w.notifier.escalations().size() == 1);
  const Escalation& page = w.notifier.escalations().front();
  CHECK(page.channel == "pagerduty-p1");
  CHECK(page.severity == "critical");
  CHECK_THAT(page.summary, Catch::Contains("recurring: automation is masking"));
  CHECK_THAT(page.summary, Catch::Contains("restart #1 verified at"));
  CHECK(page.suggested_action.has_value());  // what a person may still choose to run

  // Re-deliveries of the same firing are refused again but page only once.
  w.scheduler.advance(11min);
  CHECK(w.engine->handle(firing(kT0 + 3 * kFiringGap)).guardrail == "recurrence");
  CHECK(w.notifier.escalations().size() == 1);
  CHECK(w.actuator.requests().size() == 3);
}

TEST_CASE("the recurrence window slides, and other types and targets keep their own count",
          "[pipeline][recurrence]") {
  World w({leak_policy()});
  for (int i = 0; i < 3; ++i)
    REQUIRE(w.fire_and_wait().outcome == Outcome::kExecuted);
  // Another target, and another incident type on this one, are not recurring.
  CHECK(w.fire("memory-leak", {"prod", "email-worker"}).outcome == Outcome::kExecuted);
  REQUIRE(w.fire_and_wait().guardrail == "recurrence");
  // 6h after the first verification it has left the window: two in it, so the next acts.
  w.scheduler.advance(kT0 + kVerified + 6h + 1s - w.clock.now());
  CHECK(w.fire().outcome == Outcome::kExecuted);
}

TEST_CASE("recurrence max 0 turns the guardrail off", "[pipeline][recurrence]") {
  Policy p = leak_policy();
  p.recurrence.max = 0;
  World w({p});
  for (int i = 0; i < 6; ++i)
    CHECK(w.fire_and_wait().outcome == Outcome::kExecuted);
  CHECK(w.notifier.escalations().empty());
}

TEST_CASE("a smaller recurrence max pages sooner, a person's reset starts the count again",
          "[pipeline][recurrence]") {
  Policy p = leak_policy();
  p.recurrence.max = 1;
  World w({p});
  REQUIRE(w.fire_and_wait().outcome == Outcome::kExecuted);
  CHECK(w.fire_and_wait().guardrail == "recurrence");
  w.engine->reset_target(kTarget);
  CHECK(w.state.peek(kTarget)->remediations.empty());
  CHECK(w.fire().outcome == Outcome::kExecuted);
}

TEST_CASE("the recurrence history persists in the state file, and old state loads without it",
          "[recurrence][audit]") {
  // Three verified restarts in memory, written the way `decide --state` writes its file.
  World first({leak_policy()});
  for (int i = 0; i < 3; ++i)
    REQUIRE(first.fire_and_wait().outcome == Outcome::kExecuted);
  const std::string file = persistent_state(first.state).dump(2);
  CHECK_THAT(file, Catch::Contains("\"remediations\""));

  selfheal::core::Diagnostics diags;
  auto loaded = read_state_string(file, "state.json", diags);
  REQUIRE(loaded);
  REQUIRE(loaded->peek(kTarget) != nullptr);
  const auto& hist = loaded->peek(kTarget)->remediations;
  REQUIRE(hist.size() == 3);
  CHECK(hist[0].policy == "memory-leak");
  CHECK(hist[0].action.kind == ActionKind::kRestart);
  CHECK(hist[0].action_id == 1);
  CHECK(format_time(hist[2].at) == "2026-11-27T19:05:30.000Z");

  // A fresh engine over the loaded state (the next `decide --state` call) pages too.
  World second({leak_policy()}, std::move(*loaded));
  second.clock.set(first.clock.now());
  CHECK(second.fire().guardrail == "recurrence");
  CHECK(second.actuator.requests().empty());

  // State written before the guardrail existed has no `remediations`: it loads, empty.
  const std::string old = R"({"version":1,"targets":[{"namespace":"prod","name":"report-worker",
    "attempts":1,"ladder_step":0,"escalate_only":false}]})";
  auto before = read_state_string(old, "old.json", diags);
  REQUIRE(before);
  CHECK(before->peek(kTarget)->remediations.empty());
  CHECK(diags.errors().empty());
}

TEST_CASE("a malformed recurrence history names its field, line and column", "[recurrence]") {
  const std::string bad = R"({"version": 1, "targets": [{"namespace": "prod",
  "name": "report-worker", "remediations": [{"at": "yesterday", "policy": "memory-leak",
  "action": {"kind": "restart"}}]}]})";
  selfheal::core::Diagnostics diags;
  CHECK_FALSE(read_state_string(bad, "state.json", diags));
  REQUIRE(diags.errors().size() == 1);
  const auto& e = diags.errors().front();
  CHECK(e.file == "state.json");
  CHECK(e.field == "targets[0].remediations[0].at");
  CHECK(e.line == 2);
  CHECK(e.column > 0);
}

TEST_CASE("policy recurrence fields load with their defaults and errors name file, line, field",
          "[policy][recurrence]") {
  const auto ok = load_policy_string(R"(remediation_policies:
  - incident_type: memory-leak
    action: restart
  - incident_type: consumer-stall
    action: restart
    recurrence: {max: 5, window: 12h}
  - incident_type: bad-deployment
    action: rollback
    recurrence: off
)",
                                     "p.yaml");
  REQUIRE(ok.policies);
  CHECK(ok.policies->find("memory-leak")->recurrence.max == 3);
  CHECK(ok.policies->find("memory-leak")->recurrence.window == 6h);
  CHECK(ok.policies->find("consumer-stall")->recurrence.max == 5);
  CHECK(ok.policies->find("consumer-stall")->recurrence.window == 12h);
  CHECK(ok.policies->find("bad-deployment")->recurrence.max == 0);

  const auto bad = load_policy_string(R"(remediation_policies:
  - incident_type: memory-leak
    recurrence: {max: -1, window: 0s, maxx: 2}
  - incident_type: consumer-stall
    recurrence: 3
)",
                                      "p.yaml");
  CHECK_FALSE(bad.policies);
  const std::string all = bad.diagnostics.describe();
  INFO(all);
  auto has = [&](int line, const std::string& field, const std::string& text) {
    for (const auto& e : bad.diagnostics.errors()) {
      if (e.file == "p.yaml" && e.line == line && e.column > 0 && e.field == field &&
          e.message.find(text) != std::string::npos)
        return true;
    }
    return false;
  };
  CHECK(has(3, "remediation_policies[0].recurrence.max", "must be at least 0"));
  CHECK(has(3, "remediation_policies[0].recurrence.window", "must be longer than 0s"));
  CHECK(has(3, "remediation_policies[0].recurrence.maxx", "did you mean"));
  CHECK(has(5, "remediation_policies[1].recurrence",
            "expected off or a map such as {max: 3, window: 6h}"));
}

}  // namespace recurrence_test
