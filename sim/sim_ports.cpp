// The sim implementations of the engine ports: thin adapters over the parts (the
// StateStore is the engine's own MemoryStateStore), the audit sink into the timeline, and
// the Telemetry port's signals (the telemetry ring, the pods' releases and the no-fault
// baselines) and the snapshot view for tests.
#include "sim/world_impl.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace selfheal::sim {

using namespace model;

TimePoint World::Impl::ClockPort::now() const {
  return w_.sim.now();
}

engine::TimerId World::Impl::SchedulerPort::after(Duration delay, engine::Callbacks& to,
                                                  std::uint64_t token) {
  if (delay < Duration::zero()) delay = Duration::zero();
  return w_.sim.after(delay, w_.tick_target, Event{kEngineTimer, w_.receiver_number(to), token});
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
  return ns == w_.spec.ns ? w_.traffic.size() : 0;
}

std::vector<engine::PlannedEvent> World::Impl::CalendarPort::active(const engine::ServiceRef& s,
                                                                    TimePoint now) {
  return w_.faults.calendar_active(s, now);
}

void World::Impl::ActuatorPort::execute(const engine::ActionRequest& r, engine::Callbacks& to) {
  w_.actuation.execute(r, Actuation::Owed{w_.receiver_number(to), r.id, true});
}
void World::Impl::ActuatorPort::forget(engine::Callbacks& to) {
  // Results still owed to `to` are dropped where they are delivered (a null receiver).
  for (auto& r : w_.receivers)
    if (r == &to) r = nullptr;
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
  // A world without the audit (a counterfactual branch) logs no decision, verification or
  // rollback event: nothing in the world reads them, and a branch's outcome counts pages
  // and actions only (WorldOptions::record_audit).
  if (opts.record_audit) {
    tl.audit.push_back(r);
    log_audited(r);
  }
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

// The event of a decision, verification or rollback record, with its text.
void World::Impl::log_audited(const engine::AuditRecord& r) {
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
  std::string detail = r.reason;
  if (r.classification) {
    detail = r.classification->incident_type + " (" + fmt(r.classification->confidence) + ") " +
             (r.guardrail.empty() ? "" : "[" + r.guardrail + "] ") + detail;
  }
  if (!r.detail.empty()) detail += (detail.empty() ? "" : ": ") + r.detail;
  auto& e = log(kind, r.target.name, std::move(name), std::move(detail));
  e.fingerprint = r.incident;
  e.audit_index = tl.audit.size() - 1;
  e.automated = true;
  if (r.success) e.success = r.success;
}

inline engine::ServiceSignals World::Impl::signals_for(const engine::ServiceRef& ref,
                                                       Duration window) {
  engine::ServiceSignals out;
  const std::ptrdiff_t found = traffic.index_of(ref.name);
  if (ref.ns != spec.ns || found < 0 || telemetry.filled() == 0) {
    out.missing = {"error_rate",   "latency_p99_ms",   "cpu_utilization", "memory_utilization",
                   "oom_kills",    "restarts",         "ready_ratio",     "queue_lag",
                   "request_rate", "dependency_errors"};
    return out;
  }
  const Svc& v = traffic[static_cast<std::size_t>(found)];
  const std::size_t n = std::min(telemetry.ticks_in(window), telemetry.filled());
  double rps = 0, err = 0, p99 = 0, cpu = 0, dep = 0;
  for (std::size_t b = 0; b < n; ++b) {
    const Sample& s = telemetry.back(v.index, b);
    rps += s.rps;
    err += s.err;
    p99 += s.p99;
    cpu += s.cpu;
    dep += s.dep_err;
  }
  const double dn = static_cast<double>(n);
  const Sample& last = telemetry.back(v.index, 0);
  const Sample& first = telemetry.back(v.index, n - 1);
  const Sample& before = telemetry.back(v.index, n);  // zero before the start
  out.request_rate = rps / dn;
  out.error_rate = err / dn;
  out.latency_p99_ms = p99 / dn;
  out.cpu_utilization = cpu / dn;
  out.dependency_errors = dep / dn;
  out.memory_utilization = last.mem;
  const double hours = count_as<Hours>(telemetry.span_of(n - 1));
  out.memory_growth_per_hour = hours > 0 ? (last.mem - first.mem) / hours : 0.0;
  out.oom_kills =
      static_cast<double>(last.cum_oom - (n < telemetry.filled() ? before.cum_oom : 0u));
  out.restarts =
      static_cast<double>(last.cum_restarts - (n < telemetry.filled() ? before.cum_restarts : 0u));
  out.ready_replicas = last.ready;
  out.desired_replicas = last.desired;
  out.queue_lag = last.queue;
  const double mins = count_as<Minutes>(telemetry.span_of(n - 1));
  out.queue_lag_trend = mins > 0 ? (last.queue - first.queue) / mins : 0.0;
  const model::PodSet& ps = pods[v.index];
  out.since_last_deploy = sim.now() - ps.last_deploy;
  out.current_revision = ps.releases[ps.current].revision;
  const TimePoint now = sim.now();
  out.request_rate_baseline = traffic.baseline_rps(v.index, now, 0);
  out.error_rate_baseline = v.spec->base_error_rate;
  out.latency_p99_baseline_ms = traffic.baseline_p99(v.index, now, 0);
  out.error_rate_objective = v.spec->slo.error_rate;
  out.latency_p99_objective_ms = v.spec->slo.latency_p99_ms;
  out.queue_lag_objective = v.spec->slo.queue_lag;
  return out;
}

inline ServiceSnapshot World::Impl::snapshot(std::string_view name) const {
  const std::ptrdiff_t found = traffic.index_of(name);
  if (found < 0) throw std::out_of_range("unknown service " + std::string(name));
  const Svc& v = traffic[static_cast<std::size_t>(found)];
  ServiceSnapshot s;
  s.name = v.spec->name;
  const model::PodSet& ps = pods[v.index];
  s.desired = ps.desired;
  const double base_mem = base_memory_mb(v.spec->memory_per_pod_mb, v.util);
  for (const auto& p : ps.pods) {
    switch (p.phase) {
      case Phase::kPending:
        ++s.pending;
        break;
      case Phase::kStarting:
        ++s.starting;
        s.max_memory_mb = std::max(s.max_memory_mb, base_mem + p.leaked_mb);
        break;
      case Phase::kRunning:
        ++s.running;
        ++s.ready;
        s.max_memory_mb = std::max(s.max_memory_mb, base_mem + p.leaked_mb);
        break;
      case Phase::kBackoff:
        ++s.crashloop;
        break;
      case Phase::kTerminating:
        ++s.terminating;
        break;
      case Phase::kLost:
      case Phase::kGone:
        break;
    }
  }
  s.restarts = static_cast<int>(ps.cum_restarts);
  s.oom_kills = static_cast<int>(ps.cum_oom);
  s.revision = ps.releases[ps.current].revision;
  s.version = ps.releases[ps.current].version;
  s.rollout_in_progress = ps.rollout;
  s.request_rate = v.rps;
  s.error_rate = v.err;
  s.cpu = v.cpu;
  s.latency_p99_ms = v.p99;
  s.queue_lag = v.queue;
  s.dependency_errors = v.dep_err;
  for (const auto& f : v.flags) {
    if (f.enabled) s.enabled_flags.push_back(f.name);
  }
  return s;
}

inline engine::DependencyHealth World::Impl::service_health(std::size_t u) const {
  const Svc& up = traffic[u];
  const int desired = pods[u].desired;
  engine::DependencyHealth h;
  h.service = {spec.ns, up.spec->name};
  const double ready_ratio = desired > 0 ? static_cast<double>(up.ready) / desired : 1.0;
  h.error_rate = up.err;
  const char* what = up.spec->kind == ServiceKind::kDatabase ? "db-connection-errors"
                     : up.spec->kind == ServiceKind::kCache  ? "cache-errors"
                                                             : "upstream-errors";
  if (up.err > kUnhealthyErrorRate) {
    // Read on every decision about a caller while its upstream is down: one string, the
    // bound's text formatted once.
    static const std::string kBoundText = " > " + fmt(kUnhealthyErrorRate);
    constexpr std::size_t kRoom = 32;  // the value and the bound
    h.healthy = false;
    h.reason.reserve(std::strlen(what) + kRoom);
    h.reason.append(what).append(" ");
    health_error_text.append_general(h.reason, up.err, kFmtDigits);
    h.reason.append(kBoundText);
  } else if (ready_ratio < kUnhealthyReadyRatio) {
    h.healthy = false;
    h.reason = "ready replicas " + std::to_string(up.ready) + "/" + std::to_string(desired);
  } else if (up.p99 >
             kUnhealthyLatencyFactor * std::max(1.0, traffic.baseline_p99(u, sim.now(), 0))) {
    h.healthy = false;
    h.reason = "p99 " + fmt(up.p99) + " ms, " +
               fmt(up.p99 / traffic.baseline_p99(u, sim.now(), 0)) + "x its baseline";
  }
  return h;
}

inline std::vector<engine::DependencyHealth> World::Impl::upstream_health(
    const engine::ServiceRef& ref) const {
  std::vector<engine::DependencyHealth> out;
  const std::ptrdiff_t i = traffic.index_of(ref.name);
  if (ref.ns != spec.ns || i < 0) return out;
  for (std::size_t u : traffic[static_cast<std::size_t>(i)].upstreams)
    out.push_back(service_health(u));
  return out;
}

inline engine::DependencyHealth World::Impl::health_of(const engine::ServiceRef& ref) const {
  const std::ptrdiff_t i = traffic.index_of(ref.name);
  if (ref.ns != spec.ns || i < 0) {
    engine::DependencyHealth h;
    h.service = ref;
    h.reason = "unknown service " + ref.key();
    return h;
  }
  return service_health(static_cast<std::size_t>(i));
}

}  // namespace selfheal::sim
