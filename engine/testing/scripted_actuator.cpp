#include "engine/testing/scripted_actuator.hpp"

namespace selfheal::engine::testing {

void ScriptedActuator::execute(const ActionRequest& request,
                               std::function<void(ActionResult)> done) {
  const std::size_t seen = recorded_.duplicates();
  recorded_.execute(request, std::move(done));
  if (recorded_.duplicates() != seen) return;  // the first execute() owns the completion
  if (scheduler_ != nullptr) {
    scheduler_->after(delay_, [this, request] {
      ActionResult r = auto_result_;
      if (undo_for) r.undo = undo_for(request);
      complete(request.id, std::move(r));
    });
  }
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
