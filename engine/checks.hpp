// Private to engine/: the verification checks, pure functions of a target's signals (and,
// for PromQL checks, Telemetry::query). docs/pipeline.md#verification lists the defaults.
//
//   for (const auto& c : default_checks(signals)) if (c.status == CheckStatus::kFail) ...
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

/// True when the source flagged `n` as not provided (ServiceSignals::missing).
bool is_missing(const ServiceSignals& s, SignalName n);
/// The checks when a policy lists none: error rate, restarts/OOM kills stopped, ready ==
/// desired, latency near baseline, queue lag falling.
std::vector<CheckResult> default_checks(const ServiceSignals& s);
/// One policy check on `s` (a PromQL check asks `telemetry` for `target`).
CheckResult run_check(const VerificationCheck& c, const ServiceSignals& s, Telemetry& telemetry,
                      const ServiceRef& target);
/// "Healthy" for a resolved alert: the default checks, none failing; else `why` names one.
bool healthy(const ServiceSignals& s, std::string& why);

}  // namespace selfheal::engine
