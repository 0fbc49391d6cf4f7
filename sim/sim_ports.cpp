// The sim implementations of the engine ports: thin adapters over the parts (the
// StateStore is the engine's own MemoryStateStore), and the audit sink into the timeline.
#include "sim/world_impl.hpp"

#include <string>
#include <utility>

namespace selfheal::sim {

using namespace model;

TimePoint World::Impl::ClockPort::now() const {
  return w_.sim.now();
}

engine::TimerId World::Impl::SchedulerPort::after(Duration delay, std::function<void()> cb) {
  if (delay < Duration::zero()) delay = Duration::zero();
  return w_.sim.after(delay, std::move(cb));
}
bool World::Impl::SchedulerPort::cancel(engine::TimerId id) {
  return w_.sim.cancel(id);
}

engine::ServiceSignals World::Impl::TelemetryPort::signals(const engine::ServiceRef& s,
                                                           Duration window) {
  return w_.signals_for(s, window);
}

std::vector<engine::DependencyHealth> World::Impl::TopologyPort::upstreams(
    const engine::ServiceRef& s) {
  return w_.upstream_health(s);
}
engine::DependencyHealth World::Impl::TopologyPort::health(const engine::ServiceRef& s) {
  return w_.health_of(s);
}
std::size_t World::Impl::TopologyPort::services_in_namespace(const std::string& ns) {
  return ns == w_.spec.ns ? w_.svcs.size() : 0;
}

std::vector<engine::PlannedEvent> World::Impl::CalendarPort::active(const engine::ServiceRef& s,
                                                                    TimePoint now) {
  return w_.faults.calendar_active(s, now);
}

void World::Impl::ActuatorPort::execute(const engine::ActionRequest& r,
                                        std::function<void(engine::ActionResult)> done) {
  w_.actuation.execute(r, std::move(done));
}

engine::DeploymentStatus World::Impl::ActuatorPort::deployment(const engine::ServiceRef& target) {
  return w_.actuation.deployment(target);
}

void World::Impl::NotifierPort::escalate(const engine::Escalation& e) {
  w_.oncall.escalate(e);
}

void World::Impl::AuditPort::record(const engine::AuditRecord& r) {
  w_.audit(r);
}

void World::Impl::audit(const engine::AuditRecord& r) {
  if (opts.record_audit) tl.audit.push_back(r);
  EventKind kind;
  switch (r.kind) {
    case engine::AuditKind::kDecision:
      kind = EventKind::kDecision;
      break;
    case engine::AuditKind::kVerification:
      kind = EventKind::kVerification;
      break;
    case engine::AuditKind::kRollback:
      kind = EventKind::kRollback;
      break;
    default:
      return;  // action results and escalations are logged by the actuator / notifier
  }
  std::string name = r.outcome ? std::string(engine::to_string(*r.outcome))
                               : std::string(engine::to_string(r.kind));
  // The text is for reports only: a world without the audit (a branch) skips it.
  std::string detail;
  if (opts.record_audit) {
    detail = r.reason;
    if (r.classification) {
      detail = r.classification->incident_type + " (" + fmt(r.classification->confidence) + ") " +
               (r.guardrail.empty() ? "" : "[" + r.guardrail + "] ") + detail;
    }
    if (!r.detail.empty()) detail += (detail.empty() ? "" : ": ") + r.detail;
  }
  auto& e = log(kind, r.target.name, std::move(name), std::move(detail));
  e.fingerprint = r.incident;
  if (opts.record_audit) e.audit_index = tl.audit.size() - 1;
  e.automated = true;
  if (r.success) e.success = r.success;
  if (r.kind == engine::AuditKind::kDecision && r.outcome == engine::Outcome::kExecuted) {
    actuation.decision_executed(r.target.key(), r.incident);
    // The actuator may have been called before the decision was audited: link it.
    for (auto it = tl.events.rbegin(); it != tl.events.rend() && it->time == sim.now(); ++it) {
      if (it->kind == EventKind::kActionStarted && it->service == r.target.name && it->automated &&
          it->fingerprint.empty()) {
        it->fingerprint = r.incident;
        break;
      }
    }
  }
}

}  // namespace selfheal::sim
