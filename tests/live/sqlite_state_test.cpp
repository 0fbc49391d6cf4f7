#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "live/sqlite_state.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace sqlite_state_test {

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

namespace {

engine::AuditRecord audit_record(std::uint64_t seq, const std::string& incident) {
  engine::AuditRecord r;
  r.seq = seq;  // as the engine numbers them: from 1 in every process
  r.time = at(1'700'000'000'000 + static_cast<std::int64_t>(seq));
  r.incident = incident;
  r.target = {"prod", "payment-api"};
  r.outcome = engine::Outcome::kDuplicate;
  return r;
}

}  // namespace

TEST_CASE("audit sequence numbers continue from the highest persisted one after a restart",
          "[live][sqlite][durable]") {
  TempDir dir;
  const auto db = (dir.path / "state.db").string();
  {
    auto store = SqliteStore::open(db);
    REQUIRE(store);
    CHECK((*store)->seq_offset() == 0);
    for (std::uint64_t seq = 1; seq <= 3; ++seq)
      (*store)->record(audit_record(seq, "first-process"));
  }
  {
    auto store = SqliteStore::open(db);  // the next process: its engine starts at 1 again
    REQUIRE(store);
    CHECK((*store)->seq_offset() == 3);
    (*store)->record(audit_record(1, "second-process"));
    (*store)->record(audit_record(2, "second-process"));
  }
  auto store = SqliteStore::open(db);
  REQUIRE(store);
  std::vector<std::uint64_t> seqs;
  for (const auto& r : (*store)->audit_log())
    seqs.push_back(r.seq);
  CHECK(seqs == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  // The JSON the API serves carries the same numbers, newest first.
  auto recent = (*store)->recent_audit(2);
  REQUIRE(recent.size() == 2);
  CHECK(recent[0]["seq"] == 5);
  CHECK(recent[0]["incident"] == "second-process");
  CHECK(recent[1]["seq"] == 4);
}

TEST_CASE("a write batch is durable once flushed, a crash loses only what was not",
          "[live][sqlite][durable]") {
  TempDir dir;
  const auto db = (dir.path / "state.db").string();
  const engine::ServiceRef api{"prod", "payment-api"};
  // A real crash: a child process writes, flushes, writes more and _exits without
  // committing or closing anything (as kill -9 would leave it).
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto store = SqliteStore::open(db);
    if (!store) ::_exit(3);
    auto& st = **store;
    st.begin_batch();
    engine::TargetState s;
    s.attempts = 1;
    engine::InFlightAction f;
    f.action_id = 9;
    f.incident = "fp-durable";
    s.in_flight = f;
    st.save(api, s);
    st.record(audit_record(1, "fp-durable"));
    if (!st.flush()) ::_exit(4);  // what the actuator does before kubectl starts
    st.mark_seen("fp-lost", at(1));
    st.record(audit_record(2, "fp-lost"));
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  auto store = SqliteStore::open(db);
  REQUIRE(store);
  auto& st = **store;
  auto loaded = st.load(api);
  REQUIRE(loaded.in_flight);  // flushed: survives
  CHECK(loaded.in_flight->action_id == 9);
  auto log = st.audit_log();
  REQUIRE(log.size() == 1);
  CHECK(log[0].incident == "fp-durable");
  CHECK_FALSE(st.seen("fp-lost"));  // written after the flush, never committed
}

TEST_CASE("a batch commits on commit_batch and after kMaxBatchWrites writes", "[live][sqlite]") {
  TempDir dir;
  const auto db = (dir.path / "state.db").string();
  auto writer = SqliteStore::open(db);
  auto reader = SqliteStore::open(db);  // a second connection sees only committed data
  REQUIRE(writer);
  REQUIRE(reader);
  auto& w = **writer;
  w.begin_batch();
  CHECK(w.batch_open());
  w.mark_seen("k1", at(1));
  CHECK(w.seen("k1"));                 // the writer reads its own batch
  CHECK_FALSE((*reader)->seen("k1"));  // not committed yet
  CHECK(w.commit_batch());
  CHECK_FALSE(w.batch_open());
  CHECK((*reader)->seen("k1"));
  w.begin_batch();
  for (int i = 0; i < SqliteStore::kMaxBatchWrites; ++i)
    w.mark_seen("bulk-" + std::to_string(i), at(2));
  CHECK((*reader)->seen("bulk-0"));  // the full batch was committed on its own
  CHECK(w.batch_open());             // and a new one opened
  w.set_kill_switch(true);           // durable at once, batch or not
  CHECK((*reader)->kill_switch_flag());
  CHECK(w.commit_batch());
  CHECK(w.errors() == 0);
}

TEST_CASE("the escalation outbox keeps pending entries until delivered or given up",
          "[live][sqlite][outbox]") {
  TempDir dir;
  const auto db = (dir.path / "state.db").string();
  {
    auto store = SqliteStore::open(db);
    REQUIRE(store);
    auto& st = **store;
    st.begin_batch();  // outbox_add commits whatever batch is open
    auto a = st.outbox_add("pd", R"({"event_action":"trigger"})", "escalation a", at(10));
    auto b = st.outbox_add("chat", "{}", "escalation b", at(11));
    auto c = st.outbox_add("pd", "{}", "escalation c", at(12));
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(c);
    auto other = SqliteStore::open(db);
    REQUIRE(other);
    CHECK((*other)->outbox_pending().size() == 3);  // committed before the first attempt
    st.outbox_attempted(*a, "HTTP 503");
    st.outbox_delivered(*b, at(20));
    st.outbox_failed(*c, "HTTP 400: bad routing key", at(21));
    CHECK(st.commit_batch());
  }
  auto store = SqliteStore::open(db);
  REQUIRE(store);
  auto pending = (*store)->outbox_pending();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].notifier == "pd");
  CHECK(pending[0].body == R"({"event_action":"trigger"})");
  CHECK(pending[0].what == "escalation a");
  CHECK(pending[0].attempts == 1);
  CHECK(pending[0].created == at(10));
  CHECK((*store)->outbox_count("delivered") == 1);
  CHECK((*store)->outbox_count("failed") == 1);
}

}  // namespace sqlite_state_test
