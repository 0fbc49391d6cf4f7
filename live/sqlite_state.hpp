// Durable engine state and audit log on SQLite (WAL mode).
//
// One database file holds: per-target state (cooldown timestamps, attempts, ladder step,
// escalate-only, the in-flight action), the circuit breaker, the kill switch, the dedup
// keys already seen, and the audit log. Every write is its own committed transaction
// (synchronous=NORMAL in WAL mode: a process crash, kill -9 included, loses nothing that
// was committed; a power cut may lose the last transactions — docs/live.md#durability).
//
// The kill switch is engaged when the stored flag is set OR `kill_switch_file` exists (so
// an operator can `touch` it without the API). Releasing through the API while the file
// exists leaves it engaged.
//
// Failure policy: a read that fails answers the safe way (seen() -> true, kill_switch() ->
// true: do not act); a write that fails is counted in errors() and reported on stderr.
//
// Thread-safe (one connection behind a mutex): the engine thread writes, the HTTP thread
// reads the audit log.
//
//   auto store = SqliteStore::open("/var/lib/selfheal/state.db", "/run/selfheal/kill");
//   if (!store) { std::cerr << store.error().describe(); return 2; }
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "engine/ports.hpp"

struct sqlite3;

namespace selfheal::live {

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

  // AuditSink
  void record(const engine::AuditRecord& r) override;

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

  sqlite3* db_;
  std::string kill_switch_file_;
  mutable std::mutex mu_;
  std::uint64_t errors_ = 0;
};

}  // namespace selfheal::live
