// State safety of `selfheal serve` (issue 18): the kill switch holds for queued commands,
// bad state databases stop start-up, unreadable rows fail safe, unfinished actions are
// escalated at start, a page survives its own encoding, and audit / open targets are bounded.
// Real SQLite databases in temporary directories; the service through its test seams.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "live/config.hpp"
#include "live/executor.hpp"
#include "live/notifier.hpp"
#include "live/server_metrics.hpp"
#include "live/sqlite_state.hpp"
#include "tests/live/serve_harness.hpp"

using namespace selfheal;
using namespace selfheal::live;
using namespace selfheal::live::serve_test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `sql` on the database at `path` with a connection of its own.
void raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

// A database holding the kill switch and 20 targets in cooldown.
void populate(const std::string& path) {
  auto store = SqliteStore::open(path);
  REQUIRE(store);
  (*store)->set_kill_switch(true);
  engine::TargetState s;
  s.last_action_at = core::from_unix_ms(1'700'000'000'000);
  s.attempts = 1;
  for (int k = 0; k < 20; ++k)
    (*store)->save({"prod", "svc-" + std::to_string(k)}, s);
}

// Opens the FIFO for writing once its reader (the fake kubectl) has it open: that is the
// signal that the command is running. Bounded; no sleep (ENXIO until a reader exists).
int open_when_read(const std::filesystem::path& fifo) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) return fd;
    REQUIRE(errno == ENXIO);
    std::this_thread::yield();
  }
  return -1;
}

engine::InFlightAction unfinished_restart(const std::string& incident) {
  engine::InFlightAction f;
  f.action_id = 7;
  f.incident = incident;
  f.action.kind = engine::ActionKind::kRestart;
  f.started_at = std::chrono::time_point_cast<core::Duration>(std::chrono::system_clock::now());
  f.verify_at = f.started_at + 30min;
  f.executed = false;  // decided, committed before the command, never reported
  f.policy = "memory-leak";
  return f;
}

}  // namespace

TEST_CASE("a command queued behind busy workers is not started once the kill switch is engaged",
          "[live][service][kill-switch]") {
  TempDir dir;
  Receiver pd;
  auto cfg = make_config(dir.path, pd.port);
  // A kubectl that logs its argv and, for busy-* targets, blocks until the test closes
  // their FIFO: both executor workers stay busy while a third action waits in the queue.
  const auto script = dir.path / "kubectl";
  std::ofstream(script) << "#!/bin/sh\necho \"$*\" >> '" << (dir.path / "calls.log").string()
                        << "'\nfor a in \"$@\"; do case $a in deployment/busy-*) cat '"
                        << dir.path.string() << "/fifo-'\"${a#deployment/}\" >/dev/null;; esac; "
                        << "done\nexit 0\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  for (const char* f : {"fifo-busy-a", "fifo-busy-b"})
    REQUIRE(::mkfifo((dir.path / f).c_str(), 0600) == 0);
  cfg.kube.kubectl = script.string();
  Running s(cfg, /*dry_run=*/false);
  s.send("POST", "/api/v1/alerts", alert_payload("fp-a", "firing", "busy-a"));
  s.send("POST", "/api/v1/alerts", alert_payload("fp-b", "firing", "busy-b"));
  const int fa = open_when_read(dir.path / "fifo-busy-a");
  const int fb = open_when_read(dir.path / "fifo-busy-b");
  REQUIRE(fa >= 0);
  REQUIRE(fb >= 0);
  // Decided and queued for the executor while the switch was off.
  s.send("POST", "/api/v1/alerts", alert_payload("fp-v", "firing", "victim"));
  REQUIRE(s.decisions(engine::Outcome::kExecuted).size() == 3);
  REQUIRE(s.send("POST", "/api/v1/kill-switch", R"({"engaged":true})").status == 200);
  ::close(fa);
  ::close(fb);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (s.records(engine::AuditKind::kActionResult).size() < 3 &&
         std::chrono::steady_clock::now() < deadline)
    s.svc->drain(1s);
  REQUIRE(s.svc->drain(10s));
  CHECK_THAT(slurp(dir.path / "calls.log"), !Catch::Contains("victim"));
  bool refused = false;
  for (const auto& r : s.records(engine::AuditKind::kActionResult))
    if (r.target.name == "victim") {
      refused = true;
      CHECK_FALSE(r.success.value_or(true));
      CHECK_THAT(r.detail, Catch::Contains("not started: kill switch engaged"));
    }
  CHECK(refused);
  // Paged at once as not executed, and audited as such.
  REQUIRE(pd.wait_for(1));
  {
    std::lock_guard lock(pd.mu);
    bool paged = false;
    for (const auto& b : pd.bodies)
      paged = paged || b.find("was NOT started") != std::string::npos;
    CHECK(paged);
  }
  bool audited = false;
  for (const auto& r : s.records(engine::AuditKind::kEscalation))
    audited = audited || (r.target.name == "victim" && r.guardrail == "kill-switch");
  CHECK(audited);
  CHECK_THAT(
      s.send("GET", "/metrics", {}, "").body,
      Catch::Contains("selfheal_safety_events_total{event=\"queued_action_not_started\"} 1"));
}

TEST_CASE("a state database truncated to 0 bytes stops start-up unless --reset-state",
          "[live][sqlite][state-safety]") {
  TempDir dir;
  const auto db = (dir.path / "state.db").string();
  populate(db);
  std::filesystem::resize_file(db, 0);
  std::filesystem::remove(db + "-wal");
  auto store = SqliteStore::open(db);
  REQUIRE_FALSE(store);
  CHECK(store.error().file == db);
  CHECK_THAT(store.error().message, Catch::Contains("empty (0 bytes)"));
  CHECK_THAT(store.error().message, Catch::Contains("--reset-state"));
  // The server refuses to start the same way (serve exits 2 with this message).
  auto cfg = make_config(dir.path);
  auto svc = LiveService::create(cfg, policies(), true);
  REQUIRE_FALSE(svc);
  CHECK(svc.error().file == db);
  // With the explicit flag: moved aside, empty state, the old file kept for a person.
  cfg.reset_state = true;
  auto reset = LiveService::create(cfg, policies(), true);
  REQUIRE(reset);
  CHECK_FALSE((*reset)->store().kill_switch());
  bool kept = false;
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    kept = kept || e.path().filename().string().starts_with("state.db.bad-");
  CHECK(kept);
}

TEST_CASE("a foreign or non-SQLite state file is refused and an absent one is created",
          "[live][sqlite][state-safety]") {
  TempDir dir;
  const auto foreign = (dir.path / "foreign.db").string();
  raw_sql(foreign, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);");
  auto f = SqliteStore::open(foreign);
  REQUIRE_FALSE(f);
  CHECK(f.error().file == foreign);
  CHECK_THAT(f.error().message, Catch::Contains("not a selfheal state database"));
  const auto other_app = (dir.path / "other-app.db").string();
  raw_sql(other_app, "PRAGMA application_id = 42; CREATE TABLE t (x);");
  auto o = SqliteStore::open(other_app);
  REQUIRE_FALSE(o);
  CHECK_THAT(o.error().message, Catch::Contains("foreign SQLite database (application_id 42"));
  const auto text = (dir.path / "notes.txt").string();
  std::ofstream(text) << "this is not a database, just some notes\n";
  auto t = SqliteStore::open(text);
  REQUIRE_FALSE(t);
  CHECK_THAT(t.error().message, Catch::Contains("not an SQLite database"));
  CHECK(slurp(text) == "this is not a database, just some notes\n");  // untouched
  // Absent: created; reopened: accepted, with its state.
  const auto fresh = (dir.path / "fresh.db").string();
  populate(fresh);
  auto again = SqliteStore::open(fresh);
  REQUIRE(again);
  CHECK((*again)->kill_switch());
  CHECK((*again)->target_count() == 20);
}

TEST_CASE("a target_state row of invalid JSON fails safe as escalate-only",
          "[live][sqlite][state-safety]") {
  TempDir dir;
  const auto db = (dir.path / "state.db").string();
  populate(db);
  raw_sql(db,
          "UPDATE settings SET value = '0' WHERE key = 'kill_switch';"
          "INSERT INTO target_state (ns, name, in_flight, state) "
          "VALUES ('prod', 'payment-api', 0, '{not json');");
  {
    auto store = SqliteStore::open(db);
    REQUIRE(store);
    const auto st = (*store)->load({"prod", "payment-api"});
    CHECK(st.escalate_only);
    CHECK((*store)->unreadable_count() == 1);
    CHECK((*store)->scan_unreadable().size() == 1);
    CHECK_FALSE((*store)->kill_switch());
  }
  {
    // An unreadable kill-switch value reads as engaged, an unreadable breaker as tripped.
    const auto other = (dir.path / "other.db").string();
    populate(other);
    raw_sql(other,
            "UPDATE settings SET value = 'yes?' WHERE key = 'kill_switch';"
            "INSERT INTO settings (key, value) VALUES ('breaker', '[');");
    auto store = SqliteStore::open(other);
    REQUIRE(store);
    CHECK((*store)->kill_switch());
    CHECK((*store)->load_breaker().tripped);
  }
  Running s(make_config(dir.path));
  s.send("POST", "/api/v1/alerts", alert_payload("fp-bad-row"));
  CHECK(s.decisions(engine::Outcome::kExecuted).empty());
  CHECK(s.decisions(engine::Outcome::kMaxAttemptsReached).size() == 1);
  auto metrics = s.send("GET", "/metrics", {}, "").body;
  CHECK_THAT(metrics, Catch::Contains("selfheal_state_unreadable_targets 1"));
  CHECK_THAT(metrics,
             Catch::Contains("selfheal_safety_events_total{event=\"unreadable_target\"} 1"));
}

TEST_CASE("an action decided but never started before a crash is escalated at once",
          "[live][service][durable]") {
  TempDir dir;
  Receiver pd;
  auto cfg = make_config(dir.path, pd.port);
  {
    auto store = SqliteStore::open(cfg.state_path);
    REQUIRE(store);
    engine::TargetState st;
    st.last_action_at = core::from_unix_ms(1'700'000'000'000);
    st.attempts = 1;
    st.in_flight = unfinished_restart("fp-1");
    (*store)->save({"prod", "payment-api"}, st);
  }
  Running s(cfg);
  REQUIRE(pd.wait_for(1, 10s));  // not 30 minutes later
  {
    std::lock_guard lock(pd.mu);
    CHECK_THAT(pd.bodies[0], Catch::Contains("no result was recorded"));
  }
  REQUIRE(s.svc->drain(10s));
  CHECK(s.svc->store().in_flight().empty());  // not re-armed
  bool audited = false;
  for (const auto& r : s.records(engine::AuditKind::kEscalation))
    audited = audited || (r.target.name == "payment-api" && r.guardrail == "restart");
  CHECK(audited);
  // The re-delivery runs nothing.
  s.send("POST", "/api/v1/alerts", alert_payload("fp-1"));
  CHECK(s.decisions(engine::Outcome::kExecuted).empty());
  // Audit seq stays unique with the live layer's records in between.
  std::set<std::uint64_t> seqs;
  for (const auto& r : s.svc->store().audit_log())
    CHECK(seqs.insert(r.seq).second);
}

TEST_CASE("a summary cut inside a UTF-8 character still pages", "[live][notifier]") {
  CHECK(utf8_truncate("ab\xC3\xA9", 3) == "ab");
  CHECK(utf8_truncate("ab\xC3\xA9", 4) == "ab\xC3\xA9");
  CHECK(utf8_truncate("\xE2\x82\xAC\xE2\x82\xAC", 5) == "\xE2\x82\xAC");
  CHECK(utf8_sanitize("ok\xFF\xC3") == "ok\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(utf8_sanitize("caf\xC3\xA9") == "caf\xC3\xA9");
  engine::Escalation e;
  e.incident = "fp-u";
  e.target = {"prod", "payment-api"};
  e.summary = std::string(1023, 'a') + "\xC3\xA9";  // the 1,024-byte cut falls inside é
  auto event = pagerduty_event(e, "KEY");
  std::string body;
  REQUIRE_NOTHROW(body = event.dump());
  const auto summary = json::parse(body)["payload"]["summary"].get<std::string>();
  CHECK(summary == std::string(1023, 'a'));
}

TEST_CASE(
    "a page whose body cannot be built goes out minimal through every notifier and is audited",
    "[live][notifier]") {
  TempDir dir;
  Receiver pd, hook;
  auto store = SqliteStore::open((dir.path / "state.db").string());
  REQUIRE(store);
  NotifierConfig p;
  p.name = "pd";
  p.type = NotifierConfig::Type::kPagerDuty;
  p.url = "http://127.0.0.1:" + std::to_string(pd.port) + "/v2/enqueue";
  p.channels = {"pagerduty-p1"};
  NotifierConfig w;
  w.name = "chat";
  w.url = "http://127.0.0.1:" + std::to_string(hook.port) + "/hook";
  w.channels = {"chat-only"};  // not this escalation's channel: the fallback reaches it anyway
  HttpNotifier notifier({p, w}, {}, store->get());
  engine::Escalation e;
  e.incident = "fp-x";
  e.target = {"prod", "payment-api"};
  e.channel = "pagerduty-p1";
  e.summary = "automation gave up";
  engine::AuditRecord h;
  h.seq = 1;
  h.reason = "invalid UTF-8 from an annotation: \xFF\xFE";
  e.history.push_back(h);
  REQUIRE_NOTHROW(notifier.escalate(e));
  REQUIRE(pd.wait_for(1));
  REQUIRE(hook.wait_for(1));
  {
    std::lock_guard lock(pd.mu);
    auto j = json::parse(pd.bodies[0]);
    CHECK_THAT(j["payload"]["summary"].get<std::string>(), Catch::Contains("could not be built"));
    CHECK(j["routing_key"].is_string());
  }
  bool audited = false;
  for (const auto& r : (*store)->audit_log())
    audited = audited || (r.kind == engine::AuditKind::kEscalation && r.guardrail == "page-build");
  CHECK(audited);
  notifier.stop();
}

TEST_CASE("the audit log is pruned by row count and age while seq keeps counting",
          "[live][sqlite][retention]") {
  TempDir dir;
  const auto db = (dir.path / "state.db").string();
  const auto t0 = core::from_unix_ms(1'700'000'000'000);
  {
    auto store = SqliteStore::open(db);
    REQUIRE(store);
    SqliteStore::Retention r;
    r.audit_max_rows = 5;
    r.audit_max_age = 24h;
    r.prune_every = 1;
    (*store)->set_retention(r);
    for (std::uint64_t k = 1; k <= 20; ++k) {
      engine::AuditRecord rec;
      rec.seq = k;
      rec.time = t0 + std::chrono::minutes{k};
      rec.target = {"prod", "api"};
      (*store)->record(rec);
    }
    CHECK((*store)->audit_count() == 5);
    CHECK((*store)->audit_pruned() == 15);
    // A day later, one record: everything older than 24 h goes, the newest stays.
    engine::AuditRecord late;
    late.seq = 21;
    late.time = t0 + 48h;
    (*store)->record(late);
    CHECK((*store)->audit_count() == 1);
    // However old, the newest row stays: it carries the seq the next process continues.
    (*store)->prune(t0 + std::chrono::hours{24 * 365});
    CHECK((*store)->audit_count() == 1);
  }
  auto store = SqliteStore::open(db);
  REQUIRE(store);
  CHECK((*store)->seq_offset() == 21);  // continues, not from 1
}

TEST_CASE("live-layer audit records take the next seq without repeating the engine's",
          "[live][sqlite]") {
  auto store = SqliteStore::open(":memory:");
  REQUIRE(store);
  auto& st = **store;
  engine::AuditRecord r;
  r.seq = 1;
  st.record(r);
  CHECK(st.record_note({}) == 2);
  CHECK(st.stored_seq(2) == 3);
  r.seq = 2;
  st.record(r);
  CHECK(st.stored_seq(1) == 1);  // earlier engine records keep theirs
  std::vector<std::uint64_t> seqs;
  for (const auto& a : st.audit_log())
    seqs.push_back(a.seq);
  CHECK(seqs == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("past max_open_targets a new target is refused and paged once and never acted on",
          "[live][service][state-safety]") {
  TempDir dir;
  Receiver pd;
  auto cfg = make_config(dir.path, pd.port);
  cfg.max_open_targets = 3;
  Running s(cfg);
  for (int k = 0; k < 5; ++k)
    s.send("POST", "/api/v1/alerts",
           alert_payload("fp-" + std::to_string(k), "firing", "svc-" + std::to_string(k)));
  CHECK(s.decisions(engine::Outcome::kExecuted).size() == 3);
  const auto refused = s.decisions(engine::Outcome::kRateLimited);
  REQUIRE(refused.size() == 2);
  CHECK(refused[0].guardrail == "open-target-cap");
  CHECK(refused[0].escalate);
  REQUIRE(pd.wait_for(1));
  auto metrics = s.send("GET", "/metrics", {}, "").body;
  CHECK_THAT(metrics, Catch::Contains("selfheal_open_targets 3"));
  CHECK_THAT(metrics, Catch::Contains("selfheal_open_targets_max 3"));
  CHECK_THAT(metrics,
             Catch::Contains("selfheal_safety_events_total{event=\"open_target_refused\"} 2"));
  // A target that resolves makes room for a new one.
  s.send("POST", "/api/v1/alerts", alert_payload("fp-0", "resolved", "svc-0"));
  s.send("POST", "/api/v1/alerts", alert_payload("fp-5", "firing", "svc-5"));
  CHECK(s.decisions(engine::Outcome::kExecuted).size() == 4);
  std::lock_guard lock(pd.mu);
  int cap_pages = 0;
  for (const auto& b : pd.bodies)
    cap_pages += b.find("refuses alerts for new targets") != std::string::npos;
  CHECK(cap_pages == 1);
}

TEST_CASE("state retention and the open-target cap are configured under state:", "[live][config]") {
  auto l = load_serve_config_string(
      "auth: {token: 0123456789abcdef0123}\npolicies: p.yaml\n"
      "state: {path: s.db, audit_max_age: 30d, audit_max_rows: 1000, max_open_targets: 50}\n",
      "serve.yaml", "/tmp");
  INFO(l.diagnostics.describe());
  REQUIRE(l.config);
  CHECK(l.config->audit_max_age == std::chrono::hours{24 * 30});
  CHECK(l.config->audit_max_rows == 1000);
  CHECK(l.config->max_open_targets == 50);
  CHECK_FALSE(l.config->reset_state);
  auto bad = load_serve_config_string(
      "auth: {token: 0123456789abcdef0123}\npolicies: p.yaml\nstate: {audit_max_rows: -1}\n",
      "serve.yaml", "/tmp");
  REQUIRE_FALSE(bad.config);
  CHECK_THAT(bad.diagnostics.describe(), Catch::Contains("state.audit_max_rows"));
}
