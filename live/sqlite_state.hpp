// Durable engine state, audit log and escalation outbox on SQLite (WAL mode).
//
// One database file holds: per-target state (cooldown timestamps, attempts, ladder step,
// escalate-only, the in-flight action with its before-action signals), the circuit breaker,
// the kill switch, the dedup keys already seen, the audit log, and the outbox of escalations
// not yet delivered. Per-target state is one JSON document per row (engine/audit_json.hpp's
// encoding): new fields are optional, so a database written by an older build reads as is
// (an in-flight action without `before` is verified without the before-action state) and
// needs no migration.
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
// State safety (docs/live.md#state-safety). open() creates the file only when it is absent.
// An existing file that is empty (0 bytes), not an SQLite database, corrupt (quick_check)
// or foreign (an SQLite database without selfheal's tables) is refused with an error naming
// the file and the problem, because starting empty would forget the kill switch, every
// cooldown and every in-flight action; `reset_bad_state` (serve --reset-state) moves such a
// file aside (<path>.bad-<unix seconds>, its -wal too) and starts empty instead. A
// target_state row that cannot be read fails safe: load() answers escalate-only (pages,
// never acts) and the target is logged once and counted (unreadable_targets()). An
// unreadable kill-switch value reads as engaged, an unreadable breaker as tripped.
//
// Retention (set_retention): every `prune_every` audit records, record() prunes the audit
// log by age and row count (the newest row always stays, so seq keeps counting), the dedup
// keys by age and finished outbox rows by age, with the record's own time as "now"
// (deterministic under a fake clock).
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
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "core/time.hpp"
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
  /// Opens the database at `path` (":memory:" for tests), creating it only when the file
  /// is absent. An existing empty / non-SQLite / corrupt / foreign file is an error, or with
  /// `reset_bad_state` is moved aside and replaced by an empty database (header comment).
  static core::Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                         std::string kill_switch_file = {},
                                                         bool reset_bad_state = false);
  /// The application_id stamped into every database selfheal creates ("SHL1").
  static constexpr std::int32_t kApplicationId = 0x53484C31;
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

  // AuditSink: stores `r` with stored_seq(r.seq).
  void record(const engine::AuditRecord& r) override;
  /// The highest audit seq in the database when it was opened (0 when empty).
  std::uint64_t seq_offset() const { return seq_offset_; }
  /// A record made by the live layer, not the engine (a refused queued command, a page that
  /// could not be built, an action found unfinished at start-up): stored with the next seq
  /// (r.seq is ignored); the engine's later records move up by one so seq never repeats.
  /// Returns the seq it was stored with.
  std::uint64_t record_note(engine::AuditRecord r);
  /// The seq under which the engine's record `engine_seq` is (or will be) stored: seq_offset()
  /// plus the notes stored before it. Exact for the last kMaxSeqShifts note positions.
  std::uint64_t stored_seq(std::uint64_t engine_seq) const;
  static constexpr std::size_t kMaxSeqShifts = 4096;

  /// Audit, dedup-key and outbox retention (header comment). 0 disables a limit.
  struct Retention {
    core::Duration audit_max_age{std::chrono::hours{24 * 90}};
    std::size_t audit_max_rows = 500'000;
    core::Duration seen_max_age{std::chrono::hours{24 * 7}};
    std::size_t prune_every = 1000;  ///< audit records between two prunes
  };
  void set_retention(const Retention& r);
  struct Pruned {
    std::size_t audit = 0, seen = 0, outbox = 0;
  };
  /// Prunes now (also called by record() every prune_every records).
  Pruned prune(engine::TimePoint now);
  std::size_t audit_count();
  /// Audit rows pruned since open.
  std::uint64_t audit_pruned() const;

  /// Reads every target_state row; those that cannot be read, with the reason ("state for
  /// prod/api is unreadable: ..."). Each is also remembered as unreadable (see load()).
  std::vector<std::pair<engine::ServiceRef, std::string>> scan_unreadable();
  /// Distinct targets found unreadable since open (by load() or scan_unreadable()).
  std::size_t unreadable_count() const;
  /// Rows in target_state (targets with durable state).
  std::size_t target_count();

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
  static core::Result<std::unique_ptr<SqliteStore>> open_checked(const std::string& path,
                                                                 std::string kill_switch_file);
  bool exec(const char* sql);
  void insert_audit_locked(const engine::AuditRecord& r);
  std::uint64_t stored_seq_locked(std::uint64_t engine_seq) const;
  Pruned prune_locked(engine::TimePoint now);
  engine::TargetState unreadable_locked(const engine::ServiceRef& target, const std::string& why);
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
  std::uint64_t last_engine_seq_ = 0;
  std::uint64_t notes_ = 0;  ///< live-layer records stored so far
  /// (first engine seq stored after a note, notes stored before it), ascending.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> shifts_;
  Retention retention_;
  std::size_t since_prune_ = 0;
  std::uint64_t audit_pruned_ = 0;
  std::set<std::string> unreadable_;  ///< target keys
};

}  // namespace selfheal::live
