#include "live/sqlite_state.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <iostream>

#include "live/sqlite_stmt.hpp"
#include "live/state_json.hpp"

namespace selfheal::live {
namespace {

using json = nlohmann::json;

using detail::Stmt;

// How many target keys the log names when it reports unreadable rows.
constexpr std::size_t kLoggedUnreadable = 20;

}  // namespace

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
      return unreadable_locked(target, e.what());
    }
  }
  return {};
}

engine::TargetState SqliteStore::unreadable_locked(const engine::ServiceRef& target,
                                                   const std::string& why) {
  // Fail safe: an unknown cooldown / in-flight action must not read as "none", so the
  // target only pages until a person resets it or it recovers (the next save replaces the
  // row with readable state).
  if (unreadable_.insert(target.key()).second) {
    ++errors_;
    std::cerr << "selfheal: state for " << target.key() << " is unreadable (" << why
              << "): treated as escalate-only, no automated action until a person resets it or "
                 "it recovers\n";
  }
  engine::TargetState safe;
  safe.escalate_only = true;
  return safe;
}

std::vector<std::pair<engine::ServiceRef, std::string>> SqliteStore::scan_unreadable() {
  std::lock_guard lock(mu_);
  std::vector<std::pair<engine::ServiceRef, std::string>> out;
  Stmt st(db_, "SELECT ns, name, state FROM target_state ORDER BY ns, name");
  if (!st.ok()) {
    fail("scan_unreadable");
    return out;
  }
  while (st.step() == SQLITE_ROW) {
    engine::ServiceRef t{st.column_text(0), st.column_text(1)};
    try {
      (void)target_state_from_json(json::parse(st.column_text(2)));
    } catch (const std::exception& e) {
      if (out.size() < kLoggedUnreadable || !unreadable_.contains(t.key()))
        (void)unreadable_locked(t, e.what());
      out.emplace_back(std::move(t), e.what());
    }
  }
  return out;
}

std::size_t SqliteStore::unreadable_count() const {
  std::lock_guard lock(mu_);
  return unreadable_.size();
}

std::size_t SqliteStore::target_count() {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT COUNT(*) FROM target_state");
  return st.ok() && st.step() == SQLITE_ROW ? static_cast<std::size_t>(st.column_int(0)) : 0;
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
    engine::ServiceRef t{st.column_text(0), st.column_text(1)};
    try {
      auto state = target_state_from_json(json::parse(st.column_text(2)));
      if (state.in_flight) out.emplace_back(std::move(t), std::move(state));
    } catch (const std::exception& e) {
      (void)unreadable_locked(t, e.what());  // escalate-only from now on (see load())
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
    } catch (const std::exception& e) {
      // Fail safe: a breaker that cannot be read is tripped (nothing acts; pages only).
      ++errors_;
      std::cerr << "selfheal: the circuit breaker state is unreadable (" << e.what()
                << "): treated as tripped\n";
      engine::BreakerState tripped;
      tripped.tripped = true;
      return tripped;
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
  // Anything but an explicit "0" reads as engaged (fail safe).
  if (rc == SQLITE_ROW) return st.column_text(0) != "0";
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

std::uint64_t SqliteStore::stored_seq_locked(std::uint64_t engine_seq) const {
  std::uint64_t notes = 0;
  for (auto it = shifts_.rbegin(); it != shifts_.rend(); ++it) {
    if (it->first <= engine_seq) {
      notes = it->second;
      break;
    }
  }
  return engine_seq + seq_offset_ + notes;
}

std::uint64_t SqliteStore::stored_seq(std::uint64_t engine_seq) const {
  std::lock_guard lock(mu_);
  return stored_seq_locked(engine_seq);
}

void SqliteStore::record(const engine::AuditRecord& engine_record) {
  std::lock_guard lock(mu_);
  engine::AuditRecord r = engine_record;
  last_engine_seq_ = std::max(last_engine_seq_, r.seq);
  r.seq = stored_seq_locked(r.seq);
  insert_audit_locked(r);
  if (retention_.prune_every > 0 && ++since_prune_ >= retention_.prune_every) {
    since_prune_ = 0;
    prune_locked(r.time);
  }
}

std::uint64_t SqliteStore::record_note(engine::AuditRecord r) {
  std::lock_guard lock(mu_);
  r.seq = last_engine_seq_ + seq_offset_ + notes_ + 1;
  ++notes_;
  // Engine records from last_engine_seq_ + 1 on are stored one further up.
  if (!shifts_.empty() && shifts_.back().first == last_engine_seq_ + 1)
    shifts_.back().second = notes_;
  else
    shifts_.emplace_back(last_engine_seq_ + 1, notes_);
  if (shifts_.size() > kMaxSeqShifts) shifts_.erase(shifts_.begin());
  insert_audit_locked(r);
  return r.seq;
}

void SqliteStore::insert_audit_locked(const engine::AuditRecord& r) {
  Stmt st(db_,
          "INSERT INTO audit (seq, time_ms, kind, incident, ns, name, outcome, record) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!st.ok()) return fail("audit");
  st.integer(1, static_cast<std::int64_t>(r.seq)).integer(2, core::to_unix_ms(r.time));
  st.text(3, std::string(engine::to_string(r.kind))).text(4, r.incident);
  st.text(5, r.target.ns).text(6, r.target.name);
  st.text(7, r.outcome ? std::string(engine::to_string(*r.outcome)) : std::string());
  st.text(8, to_json(r).dump(-1, ' ', false, json::error_handler_t::replace));
  if (st.step() != SQLITE_DONE) return fail("audit");
  wrote();
}

void SqliteStore::set_retention(const Retention& r) {
  std::lock_guard lock(mu_);
  retention_ = r;
}

std::uint64_t SqliteStore::audit_pruned() const {
  std::lock_guard lock(mu_);
  return audit_pruned_;
}

std::size_t SqliteStore::audit_count() {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT COUNT(*) FROM audit");
  return st.ok() && st.step() == SQLITE_ROW ? static_cast<std::size_t>(st.column_int(0)) : 0;
}

SqliteStore::Pruned SqliteStore::prune(engine::TimePoint now) {
  std::lock_guard lock(mu_);
  return prune_locked(now);
}

SqliteStore::Pruned SqliteStore::prune_locked(engine::TimePoint now) {
  Pruned p;
  auto run = [&](const char* sql, std::int64_t arg, const char* what) -> std::size_t {
    Stmt st(db_, sql);
    if (!st.ok() || st.integer(1, arg).step() != SQLITE_DONE) {
      fail(what);
      return 0;
    }
    wrote();
    return static_cast<std::size_t>(sqlite3_changes(db_));
  };
  // The newest audit row always stays: open() continues seq from MAX(seq).
  if (retention_.audit_max_age > core::Duration::zero()) {
    const auto cutoff = core::to_unix_ms(now - retention_.audit_max_age);
    p.audit += run("DELETE FROM audit WHERE time_ms < ?1 AND id < (SELECT MAX(id) FROM audit)",
                   cutoff, "prune audit");
    p.outbox = run("DELETE FROM outbox WHERE state != 'pending' AND updated_ms < ?1", cutoff,
                   "prune outbox");
  }
  if (retention_.audit_max_rows > 0) {
    p.audit += run(
        "DELETE FROM audit WHERE id <= (SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET ?1)",
        static_cast<std::int64_t>(retention_.audit_max_rows), "prune audit");
  }
  if (retention_.seen_max_age > core::Duration::zero())
    p.seen = run("DELETE FROM seen WHERE at_ms < ?1",
                 core::to_unix_ms(now - retention_.seen_max_age), "prune seen");
  audit_pruned_ += p.audit;
  return p;
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
