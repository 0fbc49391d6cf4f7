#include "engine/fixed_ports.hpp"

#include <algorithm>
#include <functional>

namespace selfheal::engine {

// ---- ManualScheduler -------------------------------------------------------------------

ManualScheduler::ManualScheduler(const ManualScheduler& other, ManualClock& clock)
    : clock_(clock), next_id_(other.next_id_), timers_(other.timers_), due_of_(other.due_of_) {}

TimerId ManualScheduler::add(Duration delay, Timer t) {
  if (delay < Duration::zero()) delay = Duration::zero();
  const TimerId id = next_id_++;
  const TimePoint due = clock_.now() + delay;
  timers_.emplace(std::make_pair(due, id), std::move(t));
  due_of_.emplace(id, due);
  return id;
}

TimerId ManualScheduler::after(Duration delay, Callbacks& to, std::uint64_t token) {
  return add(delay, {&to, token, {}});
}

TimerId ManualScheduler::after(Duration delay, std::function<void()> cb) {
  return add(delay, {nullptr, 0, std::move(cb)});
}

void ManualScheduler::fire(Timer& t) {
  if (t.to != nullptr) {
    t.to->on_timer(t.token);
  } else {
    t.fn();
  }
}

void ManualScheduler::retarget(const Callbacks& from, Callbacks& to) {
  for (auto& [key, t] : timers_)
    if (t.to == &from) t.to = &to;
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
    fire(node.mapped());
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
    fire(node.mapped());
    ++ran;
  }
  return ran;
}

std::optional<TimePoint> ManualScheduler::next_due() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

// ---- RecordingActuator -----------------------------------------------------------------

void RecordingActuator::execute(const ActionRequest& request, Callbacks& to) {
  if (!ids_.insert(request.id).second) {
    ++duplicates_;  // idempotent: the first execute() owns the completion
    return;
  }
  requests_.push_back(request);
  pending_.emplace(request.id, &to);
}

void RecordingActuator::forget(Callbacks& to) {
  // Still pending (the action runs on), but its result goes nowhere.
  for (auto& [id, c] : pending_)
    if (c == &to) c = nullptr;
}

void RecordingActuator::retarget(const Callbacks& from, Callbacks& to) {
  for (auto& [id, c] : pending_)
    if (c == &from) c = &to;
}

bool RecordingActuator::complete(std::uint64_t id, ActionResult result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  Callbacks* to = it->second;
  pending_.erase(it);
  if (to != nullptr) to->on_action_done(id, std::move(result));
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
    n += e.approval_id == 0 && !e.update ? 1 : 0;  // an update of an open page is no page
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

DependencyHealth StaticTopology::health(const ServiceRef& service) {
  if (auto it = health_.find(service); it != health_.end()) return it->second;
  // Deterministic whatever the map's order: the first list (by service key) naming it.
  std::optional<DependencyHealth> found;
  std::string found_in;
  for (const auto& [of, deps] : upstreams_) {
    for (const auto& d : deps) {
      if (d.service == service && (!found || of.key() < found_in)) {
        found = d;
        found_in = of.key();
      }
    }
  }
  if (found) return *found;
  DependencyHealth h;
  h.service = service;
  h.reason = "unknown service " + service.key();
  return h;
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
