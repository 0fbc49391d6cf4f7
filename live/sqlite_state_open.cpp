// SqliteStore::open: telling a brand-new state database (file absent: create it) from an
// existing file that is empty, not a database, corrupt or foreign (refuse, or with
// --reset-state move it aside). Starting such a file as empty state would silently forget
// the kill switch, every cooldown and every in-flight action (issue 18).
#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "live/sqlite_state.hpp"
#include "live/sqlite_stmt.hpp"

namespace selfheal::live {
namespace {

using detail::Stmt;

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
CREATE INDEX IF NOT EXISTS audit_time ON audit (time_ms);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, notifier TEXT NOT NULL, body TEXT NOT NULL,
  what TEXT NOT NULL, created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'pending', updated_ms INTEGER, last_error TEXT);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state);
)sql";

// Every table a database selfheal created has (all are created in one transaction).
constexpr const char* kTables[] = {"target_state", "settings", "seen", "audit", "outbox"};

constexpr char kSqliteMagic[] = "SQLite format 3";  // the first 16 bytes, NUL included

std::string sqlite_error(sqlite3* db, int rc) {
  return db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
}

// What is wrong with the existing file at `path` before SQLite touches it ("" = nothing).
std::string inspect_file(const std::string& path, const struct stat& sb) {
  if (!S_ISREG(sb.st_mode)) return "it is not a regular file";
  if (sb.st_size == 0)
    return "the file is empty (0 bytes): it was truncated, or is not a selfheal state database";
  std::ifstream in(path, std::ios::binary);
  char head[sizeof kSqliteMagic] = {};
  if (!in.read(head, sizeof head) || std::memcmp(head, kSqliteMagic, sizeof head) != 0)
    return "it is not an SQLite database (wrong file header)";
  return {};
}

// What is wrong with the opened existing database ("" = a selfheal state database).
std::string inspect_db(sqlite3* db) {
  {
    Stmt qc(db, "PRAGMA quick_check");
    if (!qc.ok()) return "it cannot be read: " + std::string(sqlite3_errmsg(db));
    const int rc = qc.step();
    if (rc != SQLITE_ROW) return "it cannot be read: " + std::string(sqlite3_errmsg(db));
    if (const auto verdict = qc.column_text(0); verdict != "ok")
      return "it is corrupt (quick_check: " + verdict + ")";
  }
  std::string missing;
  for (const char* table : kTables) {
    Stmt t(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
    if (!t.ok()) return "it cannot be read: " + std::string(sqlite3_errmsg(db));
    if (t.text(1, table).step() != SQLITE_ROW)
      missing += (missing.empty() ? "" : ", ") + std::string(table);
  }
  Stmt app(db, "PRAGMA application_id");
  const std::int64_t id = app.ok() && app.step() == SQLITE_ROW ? app.column_int(0) : -1;
  // 0: a database from before selfheal stamped its id; accepted when its tables are there.
  if (id != 0 && id != SqliteStore::kApplicationId)
    return "it is a foreign SQLite database (application_id " + std::to_string(id) +
           ", selfheal's is " + std::to_string(SqliteStore::kApplicationId) + ")";
  if (!missing.empty())
    return "it is not a selfheal state database (missing table(s): " + missing + ")";
  return {};
}

// Renames `path` (and its -wal) to <path>.bad-<unix seconds>; drops its -shm. A WAL left
// next to the new empty file would otherwise be replayed into it.
core::Result<std::string> move_aside(const std::string& path) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  const std::string aside = path + ".bad-" + std::to_string(secs);
  if (std::rename(path.c_str(), aside.c_str()) != 0)
    return core::Error(
        "cannot move the bad state database aside to " + aside + ": " + std::strerror(errno), path);
  std::rename((path + "-wal").c_str(), (aside + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return aside;
}

}  // namespace

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                             std::string kill_switch_file,
                                                             bool reset_bad_state) {
  if (path != ":memory:") {
    struct stat sb {};
    if (::stat(path.c_str(), &sb) == 0) {
      std::string problem = inspect_file(path, sb);
      if (problem.empty()) {
        sqlite3* db = nullptr;
        const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
        problem = rc == SQLITE_OK ? inspect_db(db) : "it cannot be opened: " + sqlite_error(db, rc);
        sqlite3_close(db);
      }
      if (!problem.empty() && S_ISREG(sb.st_mode) && reset_bad_state) {
        auto aside = move_aside(path);
        if (!aside) return aside.error();
        std::cerr << "selfheal: state database " << path << ": " << problem
                  << "; --reset-state: moved aside to " << *aside
                  << ", starting with EMPTY state (kill switch, cooldowns and in-flight actions "
                     "forgotten)\n";
      } else if (!problem.empty()) {
        return core::Error(
            "state database refused: " + problem +
                ". Starting from it would forget the kill switch, every cooldown and every "
                "in-flight action. Restore it from a backup, or start once with --reset-state "
                "to move it aside and begin with empty state (docs/live.md#state-safety)",
            path);
      }
    }
  }
  return open_checked(path, std::move(kill_switch_file));
}

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open_checked(const std::string& path,
                                                                     std::string kill_switch_file) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = sqlite_error(db, rc);
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
  // The schema and the id in one transaction: a crash cannot leave a half-made database.
  // Skipped when both are there already (it would wait for another connection's batch).
  const bool ready = [&] {
    Stmt app(db, "PRAGMA application_id");
    if (!app.ok() || app.step() != SQLITE_ROW || app.column_int(0) != kApplicationId) return false;
    Stmt n(db,
           "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table', 'index') AND name IN "
           "('target_state', 'settings', 'seen', 'audit', 'outbox', 'audit_time')");
    return n.ok() && n.step() == SQLITE_ROW && n.column_int(0) == 6;
  }();
  const std::string init = "BEGIN IMMEDIATE;" + std::string(kSchema) +
                           "PRAGMA application_id = " + std::to_string(kApplicationId) + ";COMMIT;";
  if (!s->exec("PRAGMA synchronous=NORMAL") || !s->exec("PRAGMA foreign_keys=ON") ||
      (!ready && !s->exec(init.c_str())))
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

}  // namespace selfheal::live
