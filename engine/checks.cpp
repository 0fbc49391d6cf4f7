// The verification checks. Every bound and its text is part of the audit log's detail, so
// the wording here is what reports and pages show.
#include "engine/checks.hpp"

#include <algorithm>
#include <cmath>

#include "engine/engine_impl.hpp"

namespace selfheal::engine {

bool is_missing(const ServiceSignals& s, SignalName n) {
  const auto name = to_string(n);
  for (const auto& m : s.missing) {
    if (m == name) return true;
  }
  return false;
}

namespace {

CheckResult bound_check(const std::string& name, double value, std::optional<double> max,
                        std::optional<double> min) {
  bool ok = true;
  std::string text = name + " " + fmt3(value);
  if (max) {
    ok = ok && value <= *max;
    text += (value <= *max ? " <= " : " > ") + fmt3(*max);
  }
  if (min) {
    ok = ok && value >= *min;
    text += (value >= *min ? " >= " : " < ") + fmt3(*min);
  }
  return {ok ? CheckStatus::kPass : CheckStatus::kFail, text};
}

// Signals where a smaller value is a healthier service: the operator's rules apply to them.
bool lower_is_better(SignalName n) {
  switch (n) {
    case SignalName::kErrorRate:
    case SignalName::kLatencyP99:
    case SignalName::kCpu:
    case SignalName::kMemory:
    case SignalName::kOomKills:
    case SignalName::kRestarts:
    case SignalName::kQueueLag:
    case SignalName::kDependencyErrors:
      return true;
    default:
      return false;
  }
}

double objective_of(const ServiceSignals& s, SignalName n) {
  switch (n) {
    case SignalName::kErrorRate:
      return s.error_rate_objective;
    case SignalName::kLatencyP99:
      return s.latency_p99_objective_ms;
    case SignalName::kQueueLag:
      return s.queue_lag_objective;
    default:
      return 0.0;
  }
}

// A check that missed its bound gets the operator's two other readings of the same signal:
// back within the service's objective, or improved by the margin against the value when the
// action was taken. The text says which rule decided, with the values, for the audit.
void rescue(CheckResult& r, SignalName n, double v, const ServiceSignals& s, const Judgement& j) {
  if (r.status != CheckStatus::kFail || !j.operator_rules || !lower_is_better(n)) return;
  const double objective = objective_of(s, n);
  if (objective > 0.0 && v <= objective) {
    r.status = CheckStatus::kPass;
    r.text += ", but within the service objective " + fmt3(objective);
    return;
  }
  const bool known = j.before != nullptr && !is_missing(*j.before, n);
  const double b = known ? signal_value(*j.before, n) : 0.0;
  if (known && j.margin > 0.0 && b > 0.0 && v <= (1.0 - j.margin) * b) {
    r.status = CheckStatus::kPass;
    r.text += ", but down " + std::to_string(std::lround(100.0 * (1.0 - v / b))) + "% from " +
              fmt3(b) + " when the action was taken (margin " +
              std::to_string(std::lround(100.0 * j.margin)) + "%)";
    return;
  }
  if (objective > 0.0) r.text += ", above the service objective " + fmt3(objective);
  if (known && j.margin > 0.0) {
    r.text += ", " + fmt3(b) + " when the action was taken (not down by the margin " +
              std::to_string(std::lround(100.0 * j.margin)) + "%)";
  }
}

}  // namespace

std::string rollout_progress(const DeploymentStatus& d) {
  if (!d.error.empty()) return "status not read: " + d.error;
  if (d.observed_generation < d.generation) {
    return "waiting for the deployment spec update to be observed (generation " +
           std::to_string(d.generation) + ", observed " + std::to_string(d.observed_generation) +
           ")";
  }
  if (d.updated < d.desired) {
    return std::to_string(d.updated) + " of " + std::to_string(d.desired) +
           " new replicas have been updated";
  }
  if (d.replicas > d.updated) {
    return std::to_string(d.replicas - d.updated) + " old replicas are pending termination";
  }
  if (d.available < d.updated) {
    return std::to_string(d.available) + " of " + std::to_string(d.updated) +
           " updated replicas are available";
  }
  return {};
}

std::vector<CheckResult> objective_checks(const ServiceSignals& s, const Judgement& j) {
  std::vector<CheckResult> out;
  const SignalName kObjectives[] = {SignalName::kErrorRate, SignalName::kLatencyP99,
                                    SignalName::kQueueLag};
  for (SignalName n : kObjectives) {
    const double objective = objective_of(s, n);
    if (objective <= 0.0 || is_missing(s, n)) continue;
    const double v = signal_value(s, n);
    auto r = bound_check("objective: " + std::string(to_string(n)), v, objective, std::nullopt);
    Judgement improved = j;
    improved.operator_rules = true;
    rescue(r, n, v, s, improved);
    out.push_back(std::move(r));
  }
  return out;
}

// The defaults when a policy lists no checks (docs/pipeline.md#verification).
std::vector<CheckResult> default_checks(const ServiceSignals& s, const Judgement& j) {
  std::vector<CheckResult> out;
  if (is_missing(s, SignalName::kErrorRate)) {
    out.push_back({CheckStatus::kSkip, "error_rate: no data"});
  } else {
    const double bound = std::max(2.0 * s.error_rate_baseline, 0.02);
    out.push_back(bound_check("error_rate", s.error_rate, bound, std::nullopt));
    rescue(out.back(), SignalName::kErrorRate, s.error_rate, s, j);
  }
  if (is_missing(s, SignalName::kRestarts) || is_missing(s, SignalName::kOomKills)) {
    out.push_back({CheckStatus::kSkip, "restarts/oom_kills: no data"});
  } else {
    const bool ok = s.restarts <= 0.0 && s.oom_kills <= 0.0;
    out.push_back({ok ? CheckStatus::kPass : CheckStatus::kFail,
                   "restarts " + fmt(s.restarts) + ", oom_kills " + fmt(s.oom_kills) +
                       (ok ? " (stopped)" : " (still happening)")});
  }
  if (is_missing(s, SignalName::kReadyRatio) || s.desired_replicas <= 0.0) {
    out.push_back({CheckStatus::kSkip, "ready == desired: no data"});
  } else {
    const bool ok = s.ready_replicas >= s.desired_replicas;
    out.push_back({ok ? CheckStatus::kPass : CheckStatus::kFail,
                   "ready " + fmt(s.ready_replicas) + (ok ? " == " : " < ") + "desired " +
                       fmt(s.desired_replicas)});
  }
  if (is_missing(s, SignalName::kLatencyP99) || s.latency_p99_baseline_ms <= 0.0) {
    out.push_back({CheckStatus::kSkip, "latency_p99_ms: no baseline"});
  } else {
    out.push_back(bound_check("latency_p99_ms", s.latency_p99_ms, 1.5 * s.latency_p99_baseline_ms,
                              std::nullopt));
    rescue(out.back(), SignalName::kLatencyP99, s.latency_p99_ms, s, j);
  }
  if (!is_missing(s, SignalName::kQueueLag) && (s.queue_lag > 0.0 || s.queue_lag_trend != 0.0)) {
    const bool ok = s.queue_lag <= 0.0 || s.queue_lag_trend < 0.0;
    out.push_back({ok ? CheckStatus::kPass : CheckStatus::kFail,
                   "queue_lag " + fmt(s.queue_lag) + " trend " + fmt(s.queue_lag_trend) + "/min" +
                       (ok ? " (falling)" : " (not falling)")});
    rescue(out.back(), SignalName::kQueueLag, s.queue_lag, s, j);
  }
  return out;
}

CheckResult run_check(const VerificationCheck& c, const ServiceSignals& s, Telemetry& telemetry,
                      const ServiceRef& target, const Judgement& j) {
  std::string name = c.description;
  if (!c.promql.empty()) {
    if (name.empty()) name = c.promql;
    auto v = telemetry.query(c.promql, target);
    if (!v) return {CheckStatus::kSkip, name + ": query returned no data"};
    return bound_check(name, *v, c.max, c.min);
  }
  if (!c.signal) return {CheckStatus::kSkip, name + ": no signal or query"};
  if (name.empty()) name = std::string(to_string(*c.signal));
  if (is_missing(s, *c.signal)) return {CheckStatus::kSkip, name + ": no data"};
  const double v = signal_value(s, *c.signal);
  if (c.back_to_baseline) {
    double baseline = -1.0;
    double floor = 0.0;
    if (*c.signal == SignalName::kErrorRate) {
      baseline = s.error_rate_baseline;
      floor = 0.001;  // a zero baseline must not demand exactly zero errors
    } else if (*c.signal == SignalName::kLatencyP99 && s.latency_p99_baseline_ms > 0.0) {
      baseline = s.latency_p99_baseline_ms;
    } else if (*c.signal == SignalName::kReadyRatio) {
      return bound_check(name + " (baseline 1)", v, std::nullopt, 1.0);
    }
    if (baseline < 0.0) return {CheckStatus::kSkip, name + ": no baseline"};
    auto r = bound_check(name + " (1.5x baseline)", v, std::max(1.5 * baseline, floor), c.min);
    if (c.max && v > *c.max) r.status = CheckStatus::kFail;
    if (!c.min) rescue(r, *c.signal, v, s, j);
    return r;
  }
  auto r = bound_check(name, v, c.max, c.min);
  if (!c.min) rescue(r, *c.signal, v, s, j);  // a floor is not the operator's to relax
  return r;
}

// "Healthy" for a resolved alert: the default checks, none failing.
bool healthy(const ServiceSignals& s, std::string& why) {
  for (const auto& c : default_checks(s)) {
    if (c.status == CheckStatus::kFail) {
      why = c.text;
      return false;
    }
  }
  return true;
}

}  // namespace selfheal::engine
