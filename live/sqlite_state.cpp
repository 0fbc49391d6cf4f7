#include "live/sqlite_state.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <iostream>

#include "live/state_json.hpp"

namespace selfheal::live {
namespace {

using json = nlohmann::json;

// RAII prepared statement.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    ok_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) == SQLITE_OK;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return ok_; }
  Stmt& text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& integer(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int step() { return sqlite3_step(s_); }
  std::string column_text(int i) {
    const auto* p = sqlite3_column_text(s_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
             : std::string();
  }
  std::int64_t column_int(int i) { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS target_state (
  ns TEXT NOT NULL, name TEXT NOT NULL, in_flight INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL, PRIMARY KEY (ns, name));
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS seen_at ON seen (at_ms);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, time_ms INTEGER NOT NULL,
  kind TEXT NOT NULL, incident TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL,
  outcome TEXT, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_target ON audit (ns, name);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, notifier TEXT NOT NULL, body TEXT NOT NULL,
  what TEXT NOT NULL, created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'pending', updated_ms INTEGER, last_error TEXT);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state);
)sql";

}  // namespace

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                             std::string kill_switch_file) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return core::Error("cannot open state database: " + msg, path);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<SqliteStore> s(new SqliteStore(db, std::move(kill_switch_file)));
  // WAL: readers do not block the writer; NORMAL sync is durable across process crashes.
  if (path != ":memory:") {
    Stmt wal(db, "PRAGMA journal_mode=WAL");
    if (!wal.ok() || wal.step() != SQLITE_ROW || wal.column_text(0) != "wal")
      return core::Error(
          "cannot switch the state database to WAL mode: " + std::string(sqlite3_errmsg(db)), path);
  }
  if (!s->exec("PRAGMA synchronous=NORMAL") || !s->exec("PRAGMA foreign_keys=ON") ||
      !s->exec(kSchema))
    return core::Error("cannot initialise the state database: " + std::string(sqlite3_errmsg(db)),
                       path);
  {
    Stmt max(db, "SELECT COALESCE(MAX(seq), 0) FROM audit");
    if (!max.ok() || max.step() != SQLITE_ROW)
      return core::Error("cannot read the audit log: " + std::string(sqlite3_errmsg(db)), path);
    s->seq_offset_ = static_cast<std::uint64_t>(max.column_int(0));
  }
  return s;
}

SqliteStore::SqliteStore(sqlite3* db, std::string kill_switch_file)
    : db_(db), kill_switch_file_(std::move(kill_switch_file)) {}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(mu_);
    commit_locked(false);
  }
  sqlite3_close(db_);
}

void SqliteStore::begin_batch() {
  std::lock_guard lock(mu_);
  if (batch_) return;
  // IMMEDIATE takes the write lock now, so no statement inside can fail to upgrade it.
  if (exec("BEGIN IMMEDIATE")) {
    batch_ = true;
    batch_writes_ = 0;
  } else {
    ++errors_;
  }
}

bool SqliteStore::commit_locked(bool reopen) {
  if (!batch_) return true;
  batch_ = false;
  batch_writes_ = 0;
  bool ok = exec("COMMIT");
  if (!ok) {
    // A failed COMMIT may leave the transaction open; its writes are lost either way.
    ++errors_;
    if (!sqlite3_get_autocommit(db_)) exec("ROLLBACK");
  }
  if (reopen && exec("BEGIN IMMEDIATE")) batch_ = true;
  return ok;
}

bool SqliteStore::commit_batch() {
  std::lock_guard lock(mu_);
  return commit_locked(false);
}

bool SqliteStore::flush() {
  std::lock_guard lock(mu_);
  return commit_locked(true);
}

bool SqliteStore::batch_open() const {
  std::lock_guard lock(mu_);
  return batch_;
}

void SqliteStore::wrote() {
  if (batch_ && ++batch_writes_ >= kMaxBatchWrites) commit_locked(true);
}

bool SqliteStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::cerr << "selfheal: state database: " << (err ? err : "?") << "\n";
    sqlite3_free(err);
    return false;
  }
  return true;
}

void SqliteStore::fail(const char* what) {
  ++errors_;
  std::cerr << "selfheal: state database: " << what << ": " << sqlite3_errmsg(db_) << "\n";
}

std::uint64_t SqliteStore::errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}

engine::TargetState SqliteStore::load(const engine::ServiceRef& target) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT state FROM target_state WHERE ns = ?1 AND name = ?2");
  if (!st.ok()) {
    fail("load");
    return {};
  }
  st.text(1, target.ns).text(2, target.name);
  if (st.step() == SQLITE_ROW) {
    try {
      return target_state_from_json(json::parse(st.column_text(0)));
    } catch (const std::exception& e) {
      ++errors_;
      std::cerr << "selfheal: state for " << target.key() << " is unreadable: " << e.what() << "\n";
    }
  }
  return {};
}

void SqliteStore::save(const engine::ServiceRef& target, const engine::TargetState& state) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "INSERT INTO target_state (ns, name, in_flight, state) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (ns, name) DO UPDATE SET in_flight = excluded.in_flight, "
          "state = excluded.state");
  if (!st.ok()) return fail("save");
  st.text(1, target.ns).text(2, target.name).integer(3, state.in_flight ? 1 : 0);
  st.text(4, to_json(state).dump());
  if (st.step() != SQLITE_DONE) return fail("save");
  wrote();
}

std::vector<std::pair<engine::ServiceRef, engine::TargetState>> SqliteStore::in_flight() {
  std::lock_guard lock(mu_);
  std::vector<std::pair<engine::ServiceRef, engine::TargetState>> out;
  Stmt st(db_, "SELECT ns, name, state FROM target_state WHERE in_flight = 1 ORDER BY ns, name");
  if (!st.ok()) {
    fail("in_flight");
    return out;
  }
  while (st.step() == SQLITE_ROW) {
    try {
      out.emplace_back(engine::ServiceRef{st.column_text(0), st.column_text(1)},
                       target_state_from_json(json::parse(st.column_text(2))));
    } catch (const std::exception&) {
      ++errors_;
    }
  }
  return out;
}

engine::BreakerState SqliteStore::load_breaker() {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT value FROM settings WHERE key = 'breaker'");
  if (st.ok() && st.step() == SQLITE_ROW) {
    try {
      return breaker_from_json(json::parse(st.column_text(0)));
    } catch (const std::exception&) {
      ++errors_;
    }
  }
  return {};
}

void SqliteStore::save_breaker(const engine::BreakerState& b) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "INSERT OR REPLACE INTO settings (key, value) VALUES ('breaker', ?1)");
  if (!st.ok()) return fail("save_breaker");
  st.text(1, to_json(b).dump());
  if (st.step() != SQLITE_DONE) return fail("save_breaker");
  wrote();
}

bool SqliteStore::kill_switch_flag() {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT value FROM settings WHERE key = 'kill_switch'");
  if (!st.ok()) {
    fail("kill_switch");
    return true;
  }
  const int rc = st.step();
  if (rc == SQLITE_ROW) return st.column_text(0) == "1";
  if (rc == SQLITE_DONE) return false;
  fail("kill_switch");
  return true;
}

bool SqliteStore::kill_switch() {
  if (!kill_switch_file_.empty()) {
    struct stat sb {};
    if (::stat(kill_switch_file_.c_str(), &sb) == 0) return true;
  }
  return kill_switch_flag();
}

void SqliteStore::set_kill_switch(bool engaged) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "INSERT OR REPLACE INTO settings (key, value) VALUES ('kill_switch', ?1)");
  if (!st.ok()) return fail("set_kill_switch");
  st.text(1, engaged ? "1" : "0");
  if (st.step() != SQLITE_DONE) return fail("set_kill_switch");
  commit_locked(batch_);  // durable before the API answers, batch or not
}

bool SqliteStore::seen(const std::string& dedup_key) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT 1 FROM seen WHERE key = ?1");
  if (!st.ok()) {
    fail("seen");
    return true;
  }
  st.text(1, dedup_key);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail("seen");
  return true;
}

void SqliteStore::mark_seen(const std::string& dedup_key, engine::TimePoint at) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "INSERT OR IGNORE INTO seen (key, at_ms) VALUES (?1, ?2)");
  if (!st.ok()) return fail("mark_seen");
  st.text(1, dedup_key).integer(2, core::to_unix_ms(at));
  if (st.step() != SQLITE_DONE) return fail("mark_seen");
  wrote();
}

std::size_t SqliteStore::prune_seen(engine::TimePoint before) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "DELETE FROM seen WHERE at_ms < ?1");
  if (!st.ok()) {
    fail("prune_seen");
    return 0;
  }
  st.integer(1, core::to_unix_ms(before));
  if (st.step() != SQLITE_DONE) fail("prune_seen");
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

void SqliteStore::record(const engine::AuditRecord& engine_record) {
  std::lock_guard lock(mu_);
  engine::AuditRecord r = engine_record;
  r.seq += seq_offset_;
  Stmt st(db_,
          "INSERT INTO audit (seq, time_ms, kind, incident, ns, name, outcome, record) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!st.ok()) return fail("audit");
  st.integer(1, static_cast<std::int64_t>(r.seq)).integer(2, core::to_unix_ms(r.time));
  st.text(3, std::string(engine::to_string(r.kind))).text(4, r.incident);
  st.text(5, r.target.ns).text(6, r.target.name);
  st.text(7, r.outcome ? std::string(engine::to_string(*r.outcome)) : std::string());
  st.text(8, to_json(r).dump());
  if (st.step() != SQLITE_DONE) return fail("audit");
  wrote();
}

std::vector<json> SqliteStore::recent_audit(std::size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  Stmt st(db_, "SELECT id, record FROM audit ORDER BY id DESC LIMIT ?1");
  if (!st.ok()) return out;
  st.integer(1, static_cast<std::int64_t>(limit));
  while (st.step() == SQLITE_ROW) {
    auto j = json::parse(st.column_text(1), nullptr, false);
    if (j.is_discarded()) continue;
    j["id"] = st.column_int(0);
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<engine::AuditRecord> SqliteStore::audit_log() {
  std::lock_guard lock(mu_);
  std::vector<engine::AuditRecord> out;
  Stmt st(db_, "SELECT record FROM audit ORDER BY id");
  if (!st.ok()) return out;
  while (st.step() == SQLITE_ROW) {
    auto j = json::parse(st.column_text(0), nullptr, false);
    if (!j.is_discarded()) out.push_back(audit_from_json(j));
  }
  return out;
}

std::optional<std::int64_t> SqliteStore::outbox_add(const std::string& notifier,
                                                    const std::string& body,
                                                    const std::string& what, core::TimePoint now) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "INSERT INTO outbox (notifier, body, what, created_ms, updated_ms) "
          "VALUES (?1, ?2, ?3, ?4, ?4)");
  if (!st.ok()) {
    fail("outbox_add");
    return std::nullopt;
  }
  st.text(1, notifier).text(2, body).text(3, what).integer(4, core::to_unix_ms(now));
  if (st.step() != SQLITE_DONE) {
    fail("outbox_add");
    return std::nullopt;
  }
  const std::int64_t id = sqlite3_last_insert_rowid(db_);
  // Durable before the first attempt, so a crash during the back-off re-delivers it.
  if (!commit_locked(batch_)) return std::nullopt;
  return id;
}

void SqliteStore::outbox_attempted(std::int64_t id, const std::string& error) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1");
  if (!st.ok()) return fail("outbox_attempted");
  st.integer(1, id).text(2, error);
  if (st.step() != SQLITE_DONE) return fail("outbox_attempted");
  wrote();
}

void SqliteStore::outbox_delivered(std::int64_t id, core::TimePoint at) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "UPDATE outbox SET attempts = attempts + 1, state = 'delivered', updated_ms = ?2, "
          "last_error = NULL WHERE id = ?1");
  if (!st.ok()) return fail("outbox_delivered");
  st.integer(1, id).integer(2, core::to_unix_ms(at));
  if (st.step() != SQLITE_DONE) return fail("outbox_delivered");
  wrote();
}

void SqliteStore::outbox_failed(std::int64_t id, const std::string& error, core::TimePoint at) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "UPDATE outbox SET attempts = attempts + 1, state = 'failed', updated_ms = ?3, "
          "last_error = ?2 WHERE id = ?1");
  if (!st.ok()) return fail("outbox_failed");
  st.integer(1, id).text(2, error).integer(3, core::to_unix_ms(at));
  if (st.step() != SQLITE_DONE) return fail("outbox_failed");
  wrote();
}

std::vector<OutboxEntry> SqliteStore::outbox_pending() {
  std::lock_guard lock(mu_);
  std::vector<OutboxEntry> out;
  Stmt st(db_,
          "SELECT id, notifier, body, what, created_ms, attempts FROM outbox "
          "WHERE state = 'pending' ORDER BY id");
  if (!st.ok()) {
    fail("outbox_pending");
    return out;
  }
  while (st.step() == SQLITE_ROW) {
    OutboxEntry e;
    e.id = st.column_int(0);
    e.notifier = st.column_text(1);
    e.body = st.column_text(2);
    e.what = st.column_text(3);
    e.created = core::from_unix_ms(st.column_int(4));
    e.attempts = static_cast<int>(st.column_int(5));
    out.push_back(std::move(e));
  }
  return out;
}

std::size_t SqliteStore::outbox_count(const std::string& state) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT COUNT(*) FROM outbox WHERE state = ?1");
  if (!st.ok()) return 0;
  st.text(1, state);
  return st.step() == SQLITE_ROW ? static_cast<std::size_t>(st.column_int(0)) : 0;
}

}  // namespace selfheal::live
