#include "engine/memory_ports.hpp"

#include <algorithm>
#include <functional>

#include "engine/audit_json.hpp"

namespace selfheal::engine {

std::size_t ServiceRefHash::operator()(const ServiceRef& s) const noexcept {
  const std::size_t a = std::hash<std::string>{}(s.ns);
  const std::size_t b = std::hash<std::string>{}(s.name);
  return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
}

// ---- ManualScheduler -------------------------------------------------------------------

TimerId ManualScheduler::after(Duration delay, std::function<void()> cb) {
  if (delay < Duration::zero()) delay = Duration::zero();
  const TimerId id = next_id_++;
  const TimePoint due = clock_.now() + delay;
  timers_.emplace(std::make_pair(due, id), std::move(cb));
  due_of_.emplace(id, due);
  return id;
}

bool ManualScheduler::cancel(TimerId id) {
  auto it = due_of_.find(id);
  if (it == due_of_.end()) return false;
  timers_.erase({it->second, id});
  due_of_.erase(it);
  return true;
}

void ManualScheduler::run_until(TimePoint t) {
  while (!timers_.empty() && timers_.begin()->first.first <= t) {
    auto node = timers_.extract(timers_.begin());
    due_of_.erase(node.key().second);
    if (node.key().first > clock_.now()) clock_.set(node.key().first);
    node.mapped()();
  }
  if (t > clock_.now()) clock_.set(t);
}

void ManualScheduler::advance(Duration d) {
  run_until(clock_.now() + d);
}

std::size_t ManualScheduler::run_all(std::size_t max_timers) {
  std::size_t ran = 0;
  while (!timers_.empty() && ran < max_timers) {
    auto node = timers_.extract(timers_.begin());
    due_of_.erase(node.key().second);
    if (node.key().first > clock_.now()) clock_.set(node.key().first);
    node.mapped()();
    ++ran;
  }
  return ran;
}

std::optional<TimePoint> ManualScheduler::next_due() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

// ---- MemoryStateStore ------------------------------------------------------------------

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

// ---- RecordingActuator -----------------------------------------------------------------

void RecordingActuator::execute(const ActionRequest& request,
                                std::function<void(ActionResult)> done) {
  if (!ids_.insert(request.id).second) {
    ++duplicates_;  // idempotent: the first execute() owns the completion
    return;
  }
  requests_.push_back(request);
  pending_.emplace(request.id, std::move(done));
  if (scheduler_ != nullptr) {
    scheduler_->after(delay_, [this, request] {
      ActionResult r = auto_result_;
      if (undo_for) r.undo = undo_for(request);
      complete(request.id, std::move(r));
    });
  }
}

bool RecordingActuator::complete(std::uint64_t id, ActionResult result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  auto done = std::move(it->second);
  pending_.erase(it);
  done(std::move(result));
  return true;
}

std::size_t RecordingActuator::complete_all(const ActionResult& result) {
  std::size_t n = 0;
  while (!pending_.empty()) {
    complete(pending_.begin()->first, result);
    ++n;
  }
  return n;
}

// ---- RecordingNotifier / Static* -------------------------------------------------------

std::size_t RecordingNotifier::pages() const {
  std::size_t n = 0;
  for (const auto& e : escalations_)
    n += e.approval_id == 0 ? 1 : 0;
  return n;
}

ServiceSignals StaticTelemetry::signals(const ServiceRef& service, Duration) {
  ++calls_;
  auto it = signals_.find(service);
  return it == signals_.end() ? fallback : it->second;
}

std::optional<double> StaticTelemetry::query(const std::string& expr, const ServiceRef&) {
  auto it = queries_.find(expr);
  if (it == queries_.end()) return std::nullopt;
  return it->second;
}

std::vector<DependencyHealth> StaticTopology::upstreams(const ServiceRef& service) {
  auto it = upstreams_.find(service);
  return it == upstreams_.end() ? std::vector<DependencyHealth>{} : it->second;
}

std::size_t StaticTopology::services_in_namespace(const std::string& ns) {
  auto it = counts_.find(ns);
  return it == counts_.end() ? default_services_per_namespace : it->second;
}

std::vector<PlannedEvent> StaticCalendar::active(const ServiceRef& service, TimePoint now) {
  std::vector<PlannedEvent> out;
  for (const auto& [svc, e] : events_) {
    if (svc && !(*svc == service)) continue;
    if (e.start <= now && now < e.end) out.push_back(e);
  }
  return out;
}

}  // namespace selfheal::engine
