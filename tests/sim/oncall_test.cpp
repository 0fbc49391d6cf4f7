// The on-call person alone: its response times, pages, approvals and human fixes, driven
// through a fake of the world it talks to (incidents, attribution, the actuator).
#include "sim/oncall.hpp"

#include <catch2/catch.hpp>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "cluster_fixtures.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace oncall_test {

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;
using namespace std::chrono_literals;
using engine::ActionKind;

namespace {

const TimePoint kMonday = ClusterSpec{}.start;  // 2026-01-05 00:00 UTC, a Monday

/// One incident on "api" (service 0), a memory leak whose human fix is a restart.
struct FakeWorld final : OnCall::Env {
  std::vector<IncidentRecord> records;
  std::vector<char> ended;
  std::ptrdiff_t attributed = 0;  // attribute() of every service
  RootState root{true, false, false};
  std::deque<TimelineEvent> events;
  std::vector<std::pair<std::string, ActionKind>> acted;  // (service, kind)
  std::vector<std::pair<std::size_t, std::string>> ended_by;
  Simulation* sim = nullptr;

  FakeWorld() {
    IncidentRecord r;
    r.truth.id = "leak-1";
    r.truth.kind = "memory-leak";
    r.truth.root_service = "api";
    r.truth.affected = {"api"};
    r.truth.helpful = {{ActionKind::kRestart, "api"}};
    engine::ActionSpec fix;
    fix.kind = ActionKind::kRestart;
    r.truth.human_fix = fix;
    r.truth.human_fix_service = "api";
    r.truth.human_fix_ends_cause = true;
    records.push_back(std::move(r));
    ended.push_back(0);
  }
  std::size_t incidents() const override { return records.size(); }
  std::ptrdiff_t attribute(std::size_t) const override { return attributed; }
  bool active_for(std::size_t k, std::size_t) const override {
    return static_cast<std::ptrdiff_t>(k) == attributed;
  }
  const IncidentRecord& record(std::size_t k) const override { return records[k]; }
  bool page_text() const override { return true; }
  bool cause_ended(std::size_t k) const override { return ended[k] != 0; }
  std::ptrdiff_t service_index(std::string_view name) const override {
    return name == "api" ? 0 : -1;
  }
  const std::string& service_name(std::size_t) const override { return kApi; }
  RootState root_state(std::size_t) const override { return root; }
  TimelineEvent& log(EventKind kind, std::string service, std::string name,
                     std::string detail) override {
    return append_event(events, sim->now(), kind, std::move(service), std::move(name),
                        std::move(detail));
  }
  void act(const engine::ServiceRef& target, const engine::ActionSpec& a) override {
    acted.emplace_back(target.name, a.kind);
  }
  void end_incident(std::size_t k, const std::string& why) override {
    ended[k] = 1;
    ended_by.emplace_back(k, why);
  }
  const TimelineEvent* find(EventKind kind) const {
    for (const auto& e : events)
      if (e.kind == kind) return &e;
    return nullptr;
  }
  inline static const std::string kApi = "api";
};

OnCallSpec night_and_day() {
  OnCallSpec oc;
  oc.response_time = 5min;
  oc.night_response_time = 30min;
  oc.fix_time = 10min;
  return oc;
}

}  // namespace

TEST_CASE("on-call response time: business hours, nights and weekends", "[sim][oncall]") {
  const OnCallSpec oc = night_and_day();
  CHECK(oncall_response_time(oc, kMonday + 9h) == 5min);
  CHECK(oncall_response_time(oc, kMonday + 17h + 59min) == 5min);
  CHECK(oncall_response_time(oc, kMonday + 18h) == 30min);
  CHECK(oncall_response_time(oc, kMonday + 8h + 59min) == 30min);
  CHECK(oncall_response_time(oc, kMonday - 24h + 12h) == 30min);  // Sunday noon
  OnCallSpec weekdays = oc;
  weekdays.weekends_are_night = false;
  CHECK(oncall_response_time(weekdays, kMonday - 24h + 12h) == 5min);
  OnCallSpec always = oc;
  always.night_response_time.reset();
  CHECK(oncall_response_time(always, kMonday + 3h) == 5min);
}

TEST_CASE("a page is acknowledged after the response time, the fix applied once", "[sim][oncall]") {
  Simulation sim{1, kMonday + 10h};
  FakeWorld world;
  world.sim = &sim;
  OnCall oncall{night_and_day(), "prod", sim, world};
  oncall.page(0, "alert HighMemory (direct page)");
  oncall.page(0, "alert HighMemory again");  // already engaged: no second acknowledgement
  CHECK(oncall.engaged(0));
  sim.run_until(kMonday + 10h + 5min - 1ms);
  CHECK(world.events.empty());
  sim.run_until(kMonday + 10h + 5min);
  REQUIRE(world.events.size() == 2);
  CHECK(world.events[0].kind == EventKind::kOnCallAck);
  CHECK(world.events[0].incident == "leak-1");
  CHECK(world.events[1].kind == EventKind::kOnCallFix);
  CHECK(world.events[1].name == "restart");
  REQUIRE(world.acted.size() == 1);
  CHECK(world.acted[0] == std::pair<std::string, ActionKind>{"api", ActionKind::kRestart});
  CHECK(world.ended_by.empty());
  sim.run_until(kMonday + 10h + 15min);  // + fix_time: the cause is gone
  REQUIRE(world.ended_by.size() == 1);
  CHECK(world.ended_by[0].second == "fixed by the on-call");
}

TEST_CASE("the on-call does not repeat what automation already did", "[sim][oncall]") {
  Simulation sim{1, kMonday + 22h};
  FakeWorld world;
  world.sim = &sim;
  world.records[0].truth.human_fix->kind = ActionKind::kCachePurge;
  world.root.cache_poisoned = false;  // purged already
  OnCall oncall{night_and_day(), "prod", sim, world};
  oncall.page(0, "page via pagerduty");
  sim.run_until(kMonday + 22h + 30min);  // night: 30 min
  const TimelineEvent* fix = world.find(EventKind::kOnCallFix);
  REQUIRE(fix != nullptr);
  CHECK(fix->name == "wait");
  CHECK(fix->detail == "cache already purged: no action");
  CHECK(world.acted.empty());
}

TEST_CASE("a page without an incident: nothing to do", "[sim][oncall]") {
  Simulation sim{1, kMonday + 10h};
  FakeWorld world;
  world.sim = &sim;
  world.attributed = -1;
  OnCall oncall{night_and_day(), "prod", sim, world};
  oncall.page(0, "page via slack");
  sim.run();
  REQUIRE(world.events.size() == 1);
  CHECK(world.events[0].detail == "page via slack: no incident found, nothing to do");
  CHECK(world.acted.empty());
}

TEST_CASE("approval requests: helpful actions approved, others denied and taken over",
          "[sim][oncall]") {
  Simulation sim{1, kMonday + 10h};
  FakeWorld world;
  world.sim = &sim;
  OnCall oncall{night_and_day(), "prod", sim, world};
  std::vector<std::pair<std::uint64_t, bool>> answers;
  oncall.set_approval_handler([&](std::uint64_t id, bool ok) { answers.emplace_back(id, ok); });
  engine::Escalation e;
  e.incident = "fp-1";
  e.target = {"prod", "api"};
  e.channel = "slack-approvals";
  e.approval_id = 41;
  engine::ActionSpec restart;
  restart.kind = ActionKind::kRestart;
  e.suggested_action = restart;
  oncall.escalate(e);
  REQUIRE(world.events.size() == 1);
  CHECK(world.events[0].kind == EventKind::kApprovalRequest);
  CHECK(world.events[0].action_id == 41);
  CHECK(world.events[0].detail.find(
            "[suggested: kubectl rollout restart deployment/api -n prod]") != std::string::npos);
  e.approval_id = 42;
  e.suggested_action->kind = ActionKind::kScale;
  oncall.escalate(e);
  sim.run_until(kMonday + 10h + 5min - 1ms);
  CHECK(answers.empty());
  sim.run_until(kMonday + 10h + 5min);
  REQUIRE(answers.size() == 2);
  CHECK(answers[0] == std::pair<std::uint64_t, bool>{41, true});
  CHECK(answers[1] == std::pair<std::uint64_t, bool>{42, false});
  CHECK(oncall.engaged(0));  // the denial reached the person, who took the incident over
  CHECK(world.acted.size() == 1);
}

}  // namespace oncall_test
