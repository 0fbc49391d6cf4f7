#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "live/sqlite_state.hpp"

using namespace selfheal;
using namespace selfheal::live;
using namespace std::chrono_literals;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("selfheal-sqlite-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

engine::TimePoint at(std::int64_t ms) {
  return core::from_unix_ms(ms);
}

}  // namespace

TEST_CASE("state survives closing and reopening the database", "[live][sqlite]") {
  TempDir dir;
  const auto db = (dir.path / "state.db").string();
  const engine::ServiceRef api{"prod", "payment-api"};
  engine::TargetState s;
  s.last_action_at = at(1'700'000'000'000);
  s.attempts = 2;
  s.ladder_step = 1;
  s.escalate_only = true;
  engine::InFlightAction f;
  f.action_id = 42;
  f.incident = "fp-1";
  f.action.kind = engine::ActionKind::kScale;
  f.action.factor = 2.0;
  f.action.max_replicas = 20;
  f.started_at = at(1'700'000'000'000);
  f.verify_at = at(1'700'000'300'000);
  f.executed = true;
  s.in_flight = f;
  engine::BreakerState b;
  b.tripped = true;
  b.tripped_at = at(1'700'000'100'000);
  b.recent_actions = {at(1), at(2)};
  {
    auto store = SqliteStore::open(db);
    REQUIRE(store);
    (*store)->save(api, s);
    (*store)->save({"prod", "idle"}, engine::TargetState{});
    (*store)->save_breaker(b);
    (*store)->set_kill_switch(true);
    (*store)->mark_seen("fp-1|group", at(5));
    engine::AuditRecord r;
    r.seq = 1;
    r.time = at(1'700'000'000'000);
    r.incident = "fp-1";
    r.target = api;
    r.outcome = engine::Outcome::kExecuted;
    r.argv = {"kubectl", "scale", "deployment/payment-api", "-n", "prod", "--replicas=6"};
    (*store)->record(r);
  }  // closed, as after a crash and restart
  auto store = SqliteStore::open(db);
  REQUIRE(store);
  auto& st = **store;
  auto loaded = st.load(api);
  CHECK(loaded.last_action_at == s.last_action_at);
  CHECK(loaded.attempts == 2);
  CHECK(loaded.ladder_step == 1);
  CHECK(loaded.escalate_only);
  REQUIRE(loaded.in_flight);
  CHECK(loaded.in_flight->action_id == 42);
  CHECK(loaded.in_flight->action == f.action);
  CHECK(loaded.in_flight->verify_at == f.verify_at);
  CHECK(loaded.in_flight->executed);
  auto flying = st.in_flight();
  REQUIRE(flying.size() == 1);  // the idle target has nothing in flight
  CHECK(flying[0].first == api);
  auto lb = st.load_breaker();
  CHECK(lb.tripped);
  CHECK(lb.tripped_at == b.tripped_at);
  CHECK(lb.recent_actions == b.recent_actions);
  CHECK(st.kill_switch());
  CHECK(st.seen("fp-1|group"));
  CHECK_FALSE(st.seen("fp-2|group"));
  auto log = st.audit_log();
  REQUIRE(log.size() == 1);
  CHECK(log[0].argv.back() == "--replicas=6");
  CHECK(log[0].outcome == engine::Outcome::kExecuted);
  CHECK(st.errors() == 0);
}

TEST_CASE("the database is in WAL mode", "[live][sqlite]") {
  TempDir dir;
  const auto db = (dir.path / "state.db").string();
  auto store = SqliteStore::open(db);
  REQUIRE(store);
  (*store)->mark_seen("k", at(1));
  CHECK(std::filesystem::exists(db + "-wal"));
}

TEST_CASE("unknown targets load default state", "[live][sqlite]") {
  auto store = SqliteStore::open(":memory:");
  REQUIRE(store);
  auto s = (*store)->load({"prod", "never-seen"});
  CHECK_FALSE(s.last_action_at);
  CHECK(s.attempts == 0);
  CHECK_FALSE(s.in_flight);
  CHECK_FALSE((*store)->kill_switch());
}

TEST_CASE("the kill switch file engages the switch whatever the flag says", "[live][sqlite]") {
  TempDir dir;
  const auto file = dir.path / "kill";
  auto store = SqliteStore::open(":memory:", file.string());
  REQUIRE(store);
  auto& st = **store;
  CHECK_FALSE(st.kill_switch());
  std::ofstream(file).put('\n');
  CHECK(st.kill_switch());
  st.set_kill_switch(false);
  CHECK(st.kill_switch());  // the file still says stop
  std::filesystem::remove(file);
  CHECK_FALSE(st.kill_switch());
}

TEST_CASE("old dedup keys are pruned", "[live][sqlite]") {
  auto store = SqliteStore::open(":memory:");
  REQUIRE(store);
  (*store)->mark_seen("old", at(1000));
  (*store)->mark_seen("new", at(5000));
  CHECK((*store)->prune_seen(at(2000)) == 1);
  CHECK_FALSE((*store)->seen("old"));
  CHECK((*store)->seen("new"));
}

TEST_CASE("an unopenable database is a clear error", "[live][sqlite]") {
  auto store = SqliteStore::open("/proc/definitely/not/writable/state.db");
  REQUIRE_FALSE(store);
  CHECK(store.error().file == "/proc/definitely/not/writable/state.db");
}
