#include "engine/testing/scripted_actuator.hpp"

namespace selfheal::engine::testing {

void ScriptedActuator::execute(const ActionRequest& request,
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

bool ScriptedActuator::complete(std::uint64_t id, ActionResult result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  auto done = std::move(it->second);
  pending_.erase(it);
  done(std::move(result));
  return true;
}

std::size_t ScriptedActuator::complete_all(const ActionResult& result) {
  std::size_t n = 0;
  while (!pending_.empty()) {
    complete(pending_.begin()->first, result);
    ++n;
  }
  return n;
}

ServiceSignals RecordingTelemetry::signals(const ServiceRef& service, Duration window) {
  calls_.push_back({PortCall::Kind::kSignals, service, window, {}});
  return inner_.signals(service, window);
}

std::optional<double> RecordingTelemetry::query(const std::string& expr,
                                                const ServiceRef& service) {
  calls_.push_back({PortCall::Kind::kQuery, service, Duration{0}, expr});
  return inner_.query(expr, service);
}

std::vector<DependencyHealth> RecordingTopology::upstreams(const ServiceRef& service) {
  calls_.push_back({PortCall::Kind::kUpstreams, service, Duration{0}, {}});
  return inner_.upstreams(service);
}

DependencyHealth RecordingTopology::health(const ServiceRef& service) {
  calls_.push_back({PortCall::Kind::kHealth, service, Duration{0}, {}});
  return inner_.health(service);
}

}  // namespace selfheal::engine::testing
