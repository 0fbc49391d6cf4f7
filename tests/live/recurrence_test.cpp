// The recurrence guardrail in `selfheal serve` (issue 20): the same engine as the
// simulator, its history kept per target in the SQLite store. A verification that passes in
// the live service adds to the history, the history survives a restart of the server, and
// the next alert pages "recurring" instead of acting, as tests/engine/recurrence_test.cpp
// shows for the engine alone.
#include <thread>

#include <catch2/catch.hpp>

#include "engine/time_text.hpp"
#include "live/runtime.hpp"
#include "live/state_json.hpp"
#include "serve_harness.hpp"

using namespace selfheal;
using namespace selfheal::live;
using namespace selfheal::live::serve_test;

namespace {

const engine::ServiceRef kApi{"prod", "payment-api"};

engine::VerifiedRemediation verified_restart(engine::TimePoint at, std::uint64_t id) {
  engine::ActionSpec restart;
  restart.kind = engine::ActionKind::kRestart;
  return engine::VerifiedRemediation{at, "memory-leak", restart, id};
}

}  // namespace

TEST_CASE("serve: the third verified restart within 6h makes the next alert page as recurring",
          "[live][service][recurrence]") {
  TempDir dir;
  Receiver pd;
  HeldPrometheus prom;
  prom.release();  // every query answers 0 at once: the verification passes
  auto cfg = make_config(dir.path, pd.port);
  cfg.prometheus.url = prom.url();
  {
    // Two restarts verified earlier today, and a third executed, its verification due now
    // (what a server stopped during the window finds at the next start).
    auto store = SqliteStore::open(cfg.state_path);
    REQUIRE(store);
    SystemClock clock;
    engine::TargetState st;
    st.remediations = {verified_restart(clock.now() - 2h, 1),
                       verified_restart(clock.now() - 1h, 2)};
    st.last_action_at = clock.now() - 11min;  // past the 10m cooldown
    st.attempts = 1;
    engine::InFlightAction fl;
    fl.action_id = 3;
    fl.incident = "fp-before";
    fl.action.kind = engine::ActionKind::kRestart;
    fl.started_at = clock.now() - 11min;
    fl.verify_at = clock.now() - 1s;
    fl.executed = true;
    fl.policy = "memory-leak";
    st.in_flight = fl;
    (*store)->save(kApi, st);
  }
  {
    Running s(cfg);
    REQUIRE(s.wait_record(engine::AuditKind::kVerification));
    REQUIRE(s.records(engine::AuditKind::kVerification).front().success == true);
    REQUIRE(s.svc->drain(10s));
  }  // stopped: the history must come back from the database

  {
    auto store = SqliteStore::open(cfg.state_path);
    REQUIRE(store);
    const auto hist = (*store)->load(kApi).remediations;
    REQUIRE(hist.size() == 3);
    CHECK(hist[2].action_id == 3);
    CHECK(hist[2].policy == "memory-leak");
  }

  Running s(cfg);
  s.send("POST", "/api/v1/alerts", alert_payload("fp-again"));
  // The decision waits off the engine thread for its queries (an action's before-action
  // state, docs/pipeline.md#verification), then is decided.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (s.decisions(engine::Outcome::kMaxAttemptsReached).empty() &&
         std::chrono::steady_clock::now() < deadline) {
    s.svc->drain(1s);
    std::this_thread::yield();
  }
  CHECK(s.decisions(engine::Outcome::kExecuted).empty());  // no 4th restart
  const auto refused = s.decisions(engine::Outcome::kMaxAttemptsReached);
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].guardrail == "recurrence");
  CHECK(refused[0].escalate);
  CHECK_THAT(refused[0].reason,
             Catch::Contains("recurring: automation is masking a fault that needs a fix"));
  CHECK_THAT(refused[0].reason, Catch::Contains("restart #1 verified at"));
  CHECK_THAT(refused[0].reason, Catch::Contains("restart #3 verified at"));
  // The page reaches PagerDuty with the history in its summary.
  REQUIRE(pd.wait_for(1));
  std::lock_guard lock(pd.mu);
  CHECK_THAT(pd.bodies.back(), Catch::Contains("recurring: automation is masking"));
  CHECK_THAT(pd.bodies.back(), Catch::Contains("restart #2 verified at"));
}

TEST_CASE("a target_state row written before the recurrence history loads without it",
          "[live][sqlite][recurrence]") {
  // The JSON of a row from an older build: no `remediations`.
  const auto old = target_state_from_json(nlohmann::json::parse(
      R"({"attempts":1,"ladder_step":0,"escalate_only":false,
          "last_action_at":"2026-11-27T18:00:00Z"})"));
  CHECK(old.remediations.empty());
  CHECK(old.attempts == 1);
  // And the history round-trips through the row's JSON.
  engine::TargetState st;
  st.remediations = {verified_restart(*engine::parse_time("2026-11-27T18:05:30Z"), 7)};
  const auto back = target_state_from_json(to_json(st));
  REQUIRE(back.remediations.size() == 1);
  CHECK(back.remediations[0].action_id == 7);
  CHECK(engine::format_time(back.remediations[0].at) == "2026-11-27T18:05:30.000Z");
}
