// Private to engine/: the verification checks, pure functions of a target's signals (and,
// for PromQL checks, Telemetry::query). docs/pipeline.md#verification lists the defaults
// and the operator's rules (within the objective, improved against the before-action state).
//
//   for (const auto& c : default_checks(signals)) if (c.status == CheckStatus::kFail) ...
//   const Judgement j{&before, policy.improvement_margin, true};
//   run_check(check, after, telemetry, target, j);  // a missed bound may still pass
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/policy.hpp"
#include "engine/ports.hpp"

namespace selfheal::engine {

enum class CheckStatus { kPass, kFail, kSkip };
struct CheckResult {
  CheckStatus status;
  std::string text;  ///< e.g. "error_rate 0.001 <= 0.020"
};

/// How a verification judges besides each check's bound: a check on a lower-is-better
/// signal (error rate, latency, restarts, OOM kills, queue lag, CPU, memory, dependency
/// errors) that misses its bound still passes when the signal is within the service's
/// objective (ServiceSignals::*_objective), or fell by at least `margin` of its value in
/// `before` (the signals over the same window ending when the action was taken). The
/// default (`operator_rules` false) judges by the bounds alone, as a resolved alert's
/// health check does.
struct Judgement {
  const ServiceSignals* before = nullptr;  ///< nullptr: not known (state from an older build)
  double margin = 0.0;                     ///< share of the before-action value; 0 = off
  bool operator_rules = false;
};

/// True when the source flagged `n` as not provided (ServiceSignals::missing).
bool is_missing(const ServiceSignals& s, SignalName n);
/// The checks when a policy lists none: error rate, restarts/OOM kills stopped, ready ==
/// desired, latency near baseline, queue lag falling.
std::vector<CheckResult> default_checks(const ServiceSignals& s, const Judgement& j = {});
/// One policy check on `s` (a PromQL check asks `telemetry` for `target`).
CheckResult run_check(const VerificationCheck& c, const ServiceSignals& s, Telemetry& telemetry,
                      const ServiceRef& target, const Judgement& j = {});
/// The service's objectives as checks (error rate, p99, queue lag; only those stated), each
/// with the improvement rule of `j`: what an operator looks at when none of a policy's own
/// checks could be measured. Empty when the signals state no objective.
std::vector<CheckResult> objective_checks(const ServiceSignals& s, const Judgement& j);
/// `kubectl rollout status`'s rule on `d`: "" when the rollout is complete (the spec change
/// observed, every replica updated and available, no old replica left), else what it still
/// waits for ("2 of 4 updated replicas are available"), or the read's error.
std::string rollout_progress(const DeploymentStatus& d);
/// "Healthy" for a resolved alert: the default checks, none failing; else `why` names one.
bool healthy(const ServiceSignals& s, std::string& why);

}  // namespace selfheal::engine
