#include "engine/testing/scripted_actuator.hpp"

namespace selfheal::engine::testing {

void ScriptedActuator::execute(const ActionRequest& request, Callbacks& to) {
  const std::size_t seen = recorded_.duplicates();
  recorded_.execute(request, to);
  if (recorded_.duplicates() != seen) return;  // the first execute() owns the completion
  if (scheduler_ != nullptr) scheduler_->after(delay_, *this, request.id);
}

void ScriptedActuator::on_timer(std::uint64_t token) {
  const auto& reqs = recorded_.requests();
  auto it =
      std::find_if(reqs.begin(), reqs.end(), [&](const ActionRequest& r) { return r.id == token; });
  if (it == reqs.end()) return;
  ActionResult r = auto_result_;
  if (undo_for) r.undo = undo_for(*it);
  complete(token, std::move(r));
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
