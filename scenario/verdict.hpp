// The rollout verdict: the answer to "is this policy safe to roll out?" that every report
// puts first (docs/scenario.md#the-rollout-verdict). Built from a finished run — its
// invariants, expectations and metrics — plus what the policies name:
//
//   RunResult r = run_scenario(s, opts);   // fills r.verdict through rollout_verdict
//   r.verdict.go;          // false: hold the rollout; r.verdict.hold_reasons say why
//   r.verdict.paragraph;   // one paragraph a reviewer pastes into a change request
//
// go = every invariant held, every expectation passed, no incident made worse than without
// automation (when the twin ran) and no wrong action (ground truth). Everything else is
// context for the reviewer, not a condition.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/policy.hpp"
#include "scenario/invariant.hpp"
#include "scenario/run_metrics.hpp"

namespace selfheal::scenario {

/// One service x incident type the engine decided about, and what it did.
struct CoverageRow {
  std::string service;
  std::string incident_type;  ///< the classification the engine used
  int decisions = 0;
  std::string did;       ///< outcomes with counts, most frequent first: "executed restart x3, ..."
  std::string channels;  ///< escalation channels of its pages, comma-separated ("" = none)
};

struct Verdict {
  bool go = true;
  std::vector<std::string> hold_reasons;  ///< why not go, in words; empty when go
  int invariants = 0;
  int invariants_broken = 0;
  std::string first_violation;        ///< "never restart on orders-db: at 1h02m, executed ..."
  std::vector<CoverageRow> coverage;  ///< sorted by service, then type
  /// Incident types the policies name that the built-in classifier never produces (only an
  /// external classification can reach those policies).
  std::vector<std::string> never_classified;
  int incident_pages = 0;                      ///< pages attributed to an incident
  int background_pages = 0;                    ///< pages outside any incident (overload, noise)
  std::optional<double> budget_saved_minutes;  ///< twin burn - run burn; nullopt without twin
  /// Measured verification false failures (a verification that failed while the action's
  /// counterfactual branches show it helped); nullopt without counterfactuals, and the
  /// reports then say "not measured".
  std::optional<int> verification_false_failures;
  std::string paragraph;
};

/// The incident types `policies` name that the built-in classifier never produces, sorted.
std::vector<std::string> never_classified_types(const engine::PolicySet& policies);

/// The verdict of one run of `policies`. `failed_expectations` counts the run's failed
/// expectations. A page whose fact carries no channel is shown on the channel the engine
/// routes it to: the policy's escalation_channel, "default" without a policy.
Verdict rollout_verdict(const std::string& scenario, const RunMetrics& m,
                        const std::vector<InvariantResult>& invariants, int failed_expectations,
                        const engine::PolicySet& policies);

}  // namespace selfheal::scenario
