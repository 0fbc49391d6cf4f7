// Durable engine state, audit log and escalation outbox on SQLite (WAL mode).
//
// One database file holds: per-target state (cooldown timestamps, attempts, ladder step,
// escalate-only, the in-flight action), the circuit breaker, the kill switch, the dedup
// keys already seen, the audit log, and the outbox of escalations not yet delivered.
//
// Commits (docs/live.md#durability). synchronous=NORMAL in WAL mode: a committed
// transaction survives a process crash (kill -9 included: it is in the WAL file the OS
// already holds); a power cut or kernel panic may lose the last transactions. Writes are
// autocommitted one by one, unless a batch is open (begin_batch): then they join one
// transaction committed by commit_batch(), by flush(), or after kMaxBatchWrites writes.
// Whatever must be durable before an outside effect calls flush() first: the live actuator
// before a command starts, outbox_add before the first delivery attempt, set_kill_switch
// before it returns. A crash inside a batch loses only its uncommitted audit records,
// dedup keys and refusals, i.e. decisions about alerts that were still only in memory.
//
// Audit sequence numbers continue across restarts: the engine numbers its records from 1
// in every process, and the store adds the highest seq persisted when it was opened
// (seq_offset()), so `seq` never repeats in one database.
//
// The kill switch is engaged when the stored flag is set OR `kill_switch_file` exists (so
// an operator can `touch` it without the API). Releasing through the API while the file
// exists leaves it engaged.
//
// Failure policy: a read that fails answers the safe way (seen() -> true, kill_switch() ->
// true: do not act); a write that fails is counted in errors() and reported on stderr.
//
// Thread-safe (one connection behind a mutex): the engine thread writes, the HTTP thread
// reads the audit log and sets the kill switch, the notifier thread updates the outbox.
//
//   auto store = SqliteStore::open("/var/lib/selfheal/state.db", "/run/selfheal/kill");
//   if (!store) { std::cerr << store.error().describe(); return 2; }
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "engine/ports.hpp"

struct sqlite3;

namespace selfheal::live {

/// One escalation waiting in the outbox for one notifier.
struct OutboxEntry {
  std::int64_t id = 0;
  std::string notifier;  ///< NotifierConfig::name
  /// The request body (PagerDuty: the event without routing_key, added at send time so the
  /// integration key is never written to disk).
  std::string body;
  std::string what;  ///< "escalation for prod/api (fp)", for logs
  core::TimePoint created{};
  int attempts = 0;  ///< delivery attempts so far, across restarts
};

class SqliteStore final : public engine::StateStore, public engine::AuditSink {
 public:
  /// Opens (creating if needed) the database at `path` (":memory:" for tests).
  static core::Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                         std::string kill_switch_file = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // StateStore
  engine::TargetState load(const engine::ServiceRef& target) override;
  void save(const engine::ServiceRef& target, const engine::TargetState& state) override;
  std::vector<std::pair<engine::ServiceRef, engine::TargetState>> in_flight() override;
  engine::BreakerState load_breaker() override;
  void save_breaker(const engine::BreakerState& b) override;
  bool kill_switch() override;
  void set_kill_switch(bool engaged) override;
  bool seen(const std::string& dedup_key) override;
  void mark_seen(const std::string& dedup_key, engine::TimePoint at) override;

  // AuditSink: stores `r` with seq + seq_offset().
  void record(const engine::AuditRecord& r) override;
  /// The highest audit seq in the database when it was opened (0 when empty).
  std::uint64_t seq_offset() const { return seq_offset_; }

  // Write batching (see the header comment). Not nested: begin_batch while one is open is a
  // no-op. commit_batch / flush return false when the commit failed (the batch's writes
  // are then rolled back and counted in errors()).
  void begin_batch();
  bool commit_batch();
  /// Commits what the open batch holds so far and keeps a batch open; true (nothing to do)
  /// without one.
  bool flush();
  bool batch_open() const;
  static constexpr int kMaxBatchWrites = 256;

  // Escalation outbox: pending -> delivered | failed.
  /// Adds a pending entry and commits it (flushing any open batch); nullopt when it could
  /// not be made durable.
  std::optional<std::int64_t> outbox_add(const std::string& notifier, const std::string& body,
                                         const std::string& what, core::TimePoint now);
  /// One more attempt failed with `error` (the entry stays pending).
  void outbox_attempted(std::int64_t id, const std::string& error);
  void outbox_delivered(std::int64_t id, core::TimePoint at);
  /// Given up (a permanent error or the last attempt): never re-delivered.
  void outbox_failed(std::int64_t id, const std::string& error, core::TimePoint at);
  /// Pending entries, oldest first.
  std::vector<OutboxEntry> outbox_pending();
  /// Entries by state: "pending", "delivered", "failed".
  std::size_t outbox_count(const std::string& state);

  /// The newest `limit` audit records, newest first (JSON as live/state_json.hpp writes).
  std::vector<nlohmann::json> recent_audit(std::size_t limit);
  /// Every audit record, oldest first.
  std::vector<engine::AuditRecord> audit_log();
  /// Drops dedup keys marked before `before`; returns how many.
  std::size_t prune_seen(engine::TimePoint before);
  /// The stored flag alone (without the file).
  bool kill_switch_flag();
  std::uint64_t errors() const;

 private:
  SqliteStore(sqlite3* db, std::string kill_switch_file);
  bool exec(const char* sql);
  void fail(const char* what);
  // Under mu_: counts one write of the open batch, committing when it is full.
  void wrote();
  bool commit_locked(bool reopen);

  sqlite3* db_;
  std::string kill_switch_file_;
  mutable std::mutex mu_;
  std::uint64_t errors_ = 0;
  std::uint64_t seq_offset_ = 0;
  bool batch_ = false;
  int batch_writes_ = 0;
};

}  // namespace selfheal::live
