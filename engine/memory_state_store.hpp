// The StateStore in memory, with a stable JSON form: what `selfheal decide --state` reads and
// rewrites, and what tests and the simulator keep state in.
//
//   MemoryStateStore state;
//   Engine engine{{clock, scheduler, ..., state, audit}, policies, model};
//   std::string file = state.to_json().dump(2);
//   auto back = MemoryStateStore::from_json(nlohmann::json::parse(file));
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "engine/ports.hpp"

namespace selfheal::engine {

/// The StateStore in memory: a hash map keyed by target (O(1) load/save; 10,000 targets
/// and more). `to_json`/`from_json` persist it (what `selfheal decide --state` reads and
/// rewrites).
class MemoryStateStore final : public StateStore {
 public:
  TargetState load(const ServiceRef& target) override;
  void save(const ServiceRef& target, const TargetState& state) override;
  std::vector<std::pair<ServiceRef, TargetState>> in_flight() override;
  BreakerState load_breaker() override { return breaker_; }
  void save_breaker(const BreakerState& b) override { breaker_ = b; }
  bool kill_switch() override { return kill_switch_; }
  void set_kill_switch(bool engaged) override { kill_switch_ = engaged; }
  bool seen(const std::string& dedup_key) override;
  void mark_seen(const std::string& dedup_key, TimePoint at) override;

  /// Drops dedup keys marked before `cutoff` (keeps memory bounded in long runs).
  void forget_seen_before(TimePoint cutoff);
  std::size_t targets() const { return targets_.size(); }
  /// Direct read access (tests, reports); nullptr when never saved.
  const TargetState* peek(const ServiceRef& target) const;

  /// Stable JSON form (docs/audit.md#state-file):
  /// {"version":1,"kill_switch":false,"breaker":{...},"targets":[{"namespace":..,
  ///  "name":..,"last_action_at":..,"attempts":..,"ladder_step":..,"escalate_only":..,
  ///  "in_flight":{...}}],"seen":[{"key":..,"at":..}]}
  nlohmann::json to_json() const;
  /// The inverse of to_json; an Error naming the field when the document is malformed.
  static core::Result<MemoryStateStore> from_json(const nlohmann::json& j);

 private:
  std::unordered_map<ServiceRef, TargetState, ServiceRefHash> targets_;
  BreakerState breaker_;
  bool kill_switch_ = false;
  std::unordered_map<std::string, TimePoint> seen_;
};

}  // namespace selfheal::engine
