#include "engine/memory_state_store.hpp"

#include <algorithm>

#include "engine/audit_json.hpp"

namespace selfheal::engine {

TargetState MemoryStateStore::load(const ServiceRef& target) {
  auto it = targets_.find(target);
  return it == targets_.end() ? TargetState{} : it->second;
}

void MemoryStateStore::save(const ServiceRef& target, const TargetState& state) {
  targets_.insert_or_assign(target, state);
}

std::vector<std::pair<ServiceRef, TargetState>> MemoryStateStore::in_flight() {
  std::vector<std::pair<ServiceRef, TargetState>> out;
  for (const auto& [ref, st] : targets_) {
    if (st.in_flight) out.emplace_back(ref, st);
  }
  // Hash order is unspecified; sort so callers (resume) behave the same every run.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

bool MemoryStateStore::seen(const std::string& dedup_key) {
  return seen_.count(dedup_key) != 0;
}

void MemoryStateStore::mark_seen(const std::string& dedup_key, TimePoint at) {
  seen_.insert_or_assign(dedup_key, at);
}

void MemoryStateStore::forget_seen_before(TimePoint cutoff) {
  std::erase_if(seen_, [&](const auto& kv) { return kv.second < cutoff; });
}

const TargetState* MemoryStateStore::peek(const ServiceRef& target) const {
  auto it = targets_.find(target);
  return it == targets_.end() ? nullptr : &it->second;
}

nlohmann::json MemoryStateStore::to_json() const {
  nlohmann::json j;
  j["version"] = 1;
  j["kill_switch"] = kill_switch_;
  j["breaker"] = breaker_;
  // Sorted, so the file diffs cleanly between runs.
  std::vector<std::pair<ServiceRef, const TargetState*>> sorted;
  sorted.reserve(targets_.size());
  for (const auto& [ref, st] : targets_)
    sorted.emplace_back(ref, &st);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  auto targets = nlohmann::json::array();
  for (const auto& [ref, st] : sorted) {
    nlohmann::json t = *st;
    t["namespace"] = ref.ns;
    t["name"] = ref.name;
    targets.push_back(std::move(t));
  }
  j["targets"] = std::move(targets);
  std::vector<std::pair<std::string, TimePoint>> seen(seen_.begin(), seen_.end());
  std::sort(seen.begin(), seen.end());
  auto s = nlohmann::json::array();
  for (const auto& [key, at] : seen)
    s.push_back({{"key", key}, {"at", format_time(at)}});
  j["seen"] = std::move(s);
  return j;
}

core::Result<MemoryStateStore> MemoryStateStore::from_json(const nlohmann::json& j) {
  MemoryStateStore out;
  std::string field = "(document)";
  try {
    if (!j.is_object()) return core::Error("state must be a JSON object", "", 0, 0, "");
    field = "version";
    if (j.contains("version") && j.at("version").get<int>() != 1) {
      return core::Error("unsupported state version (this build reads version 1)", "", 0, 0, field);
    }
    field = "kill_switch";
    if (j.contains("kill_switch")) out.kill_switch_ = j.at("kill_switch").get<bool>();
    field = "breaker";
    if (j.contains("breaker")) out.breaker_ = j.at("breaker").get<BreakerState>();
    if (j.contains("targets")) {
      std::size_t i = 0;
      for (const auto& t : j.at("targets")) {
        field = "targets[" + std::to_string(i++) + "]";
        ServiceRef ref{t.at("namespace").get<std::string>(), t.at("name").get<std::string>()};
        out.targets_.insert_or_assign(ref, t.get<TargetState>());
      }
    }
    if (j.contains("seen")) {
      std::size_t i = 0;
      for (const auto& s : j.at("seen")) {
        field = "seen[" + std::to_string(i++) + "]";
        auto at = parse_time(s.at("at").get<std::string>());
        if (!at) return core::Error("malformed time", "", 0, 0, field + ".at");
        out.seen_.insert_or_assign(s.at("key").get<std::string>(), *at);
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return core::Error(std::string("malformed state: ") + e.what(), "", 0, 0, field);
  }
  return out;
}

}  // namespace selfheal::engine
