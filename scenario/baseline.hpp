// Baselines for `selfheal check --baseline`: the headline figures of each scenario from a
// previous run, so CI fails when remediation behaviour regresses even where no expectation
// says so. A regression is (docs/metrics.md#baseline):
//   - MTTR mean longer than the baseline's by more than 10% and 1 minute, or a scenario
//     that had a MTTR now has none;
//   - more unrecovered incidents, remediation loops, wrongly-acted or made-worse incidents.
// Scenarios absent from the baseline are reported as new, never failed.
//
//   {"schema_version": 1, "scenarios": {"db-outage-naive": {"mttr_mean_ms": 2940000,
//     "unrecovered_incidents": 0, "remediation_loops": 1, "wrongly_acted_incidents": 1,
//     "made_worse_incidents": 1}}}
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "scenario/run_result.hpp"

namespace selfheal::scenario {

struct BaselineEntry {
  std::optional<long long> mttr_mean_ms;
  int unrecovered = 0;
  int loops = 0;
  int wrongly_acted = 0;
  std::optional<int> made_worse;
};

using Baseline = std::map<std::string, BaselineEntry>;

BaselineEntry baseline_entry(const RunResult& r);
std::string baseline_json(const std::vector<RunResult>& runs);
core::Result<Baseline> load_baseline(const std::string& path);

struct Regression {
  std::string scenario;
  std::string what;  ///< "MTTR 12m -> 25m (tolerance 10% + 1m)"
};

/// Regressions of `runs` against `base`; `notes` receives scenarios new to the baseline.
/// The rows of baseline_changes() whose verdict is kRegression.
std::vector<Regression> compare_to_baseline(const std::vector<RunResult>& runs,
                                            const Baseline& base,
                                            std::vector<std::string>* notes = nullptr);

/// What a changed figure means under the rule above.
enum class BaselineVerdict {
  kRegression,       ///< fails `check --baseline`
  kWithinTolerance,  ///< MTTR longer, but within 10% or 1 minute
  kImproved,         ///< MTTR shorter (or recovered where it had none), a count lower
};
std::string_view to_string(BaselineVerdict v);  ///< "REGRESSION", "within tolerance", "improved"

/// One figure of one scenario that differs from its baseline.
struct BaselineChange {
  std::string scenario;
  std::string metric;    ///< "MTTR mean", "unrecovered incidents", ...
  std::string baseline;  ///< as shown: "12m", "3", "none"
  std::string now;
  std::string delta;  ///< "+13m", "-1"; "n/a" when one side has no MTTR
  BaselineVerdict verdict = BaselineVerdict::kRegression;
  std::string what;  ///< the one-line description compare_to_baseline gives a regression
};

/// Every figure of `runs` that differs from `base`, in run order and within a scenario in
/// the order MTTR, unrecovered, loops, wrongly acted, made worse (made worse only when both
/// sides have a twin). Unchanged figures and scenarios new to the baseline give no row.
std::vector<BaselineChange> baseline_changes(const std::vector<RunResult>& runs,
                                             const Baseline& base);

}  // namespace selfheal::scenario
