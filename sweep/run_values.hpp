// The metrics a sweep aggregates, per run, from scenario::RunResult (docs/metrics.md has the
// definitions; docs/sweep.md this table). Each is a fixed-point integer in its unit's step
// so sweep/stats.hpp can add them exactly; a metric a run does not define (MTTR when nothing
// recovered, made-worse without the twin) is left out of that run's count, never zero.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "scenario/run_result.hpp"

namespace selfheal::sweep {

enum class Unit : std::uint8_t {
  kCount,     ///< step 1
  kDuration,  ///< step 1 ms; shown as a duration, written as seconds in CSV
  kRatio,     ///< step 1e-4; in [0, 1]
  kMinutes,   ///< step 1e-3 minute
};

/// The value one fixed-point step stands for, in the unit's display scale (1, 0.001 s, ...).
double step(Unit u);

struct MetricDef {
  std::string_view name;
  Unit unit;
  std::string_view help;
};

inline constexpr std::array<MetricDef, 24> kMetrics{{
    {"mttr", Unit::kDuration, "mean time to recovery of the run's recovered incidents"},
    {"time_to_escalate", Unit::kDuration, "mean first page/approval request - incident start"},
    {"incidents", Unit::kCount, "incidents (faults and planned events that fired an alert)"},
    {"unrecovered", Unit::kCount, "incidents not recovered by the end of the run"},
    {"remediation_loops", Unit::kCount, "episodes of >= 3 automated actions on one target in 1h"},
    {"wrongly_acted", Unit::kCount, "incidents with an automated action that does not help"},
    {"made_worse", Unit::kCount, "incidents that burned more budget than in the shadow twin"},
    {"actions", Unit::kCount, "automated actions executed"},
    {"wrong_actions", Unit::kCount, "automated actions that do not address the root cause"},
    {"pages", Unit::kCount, "pages to a person"},
    {"approval_requests", Unit::kCount, "approval requests to a person"},
    {"automated_recovery_rate", Unit::kRatio, "share of incidents fixed by automation alone"},
    {"verification_pass_rate", Unit::kRatio, "share of verifications that passed"},
    {"error_budget_minutes", Unit::kMinutes, "minutes of services outside their objectives"},
    {"budget_saved_minutes", Unit::kMinutes, "twin's error budget minus this run's"},
    {"max_actions_per_target_hour", Unit::kCount, "most automated actions on one target in 1h"},
    {"failed_expectations", Unit::kCount, "the scenario's expectations that failed"},
    {"passed", Unit::kRatio,
     "1 when every expectation and invariant held (its mean is the pass rate)"},
    {"invariant_violated", Unit::kRatio,
     "1 when any of the scenario's invariants broke (its mean is the violation rate); "
     "undefined for a scenario without invariants"},
    // Counterfactual branches (sweep --counterfactuals); unset in runs without them.
    {"missed", Unit::kCount, "incidents where holding back missed a helpful action"},
    {"regret_minutes", Unit::kMinutes, "error-budget minutes lost against the best branch"},
    {"harmful_decisions", Unit::kCount, "executed decisions measured worse than not acting"},
    {"verification_false_failures", Unit::kCount, "verifications failed, action helped"},
    {"verification_false_passes", Unit::kCount, "verifications passed, action did not help"},
}};
inline constexpr std::size_t kMetricCount = kMetrics.size();

/// Index of `name` in kMetrics, or nullopt.
std::optional<std::size_t> metric_index(std::string_view name);

/// The three objectives of the Pareto front (all minimised): MTTR, wrongly acted, pages.
inline constexpr std::array<std::size_t, 3> kParetoObjectives{0, 5, 9};

/// The two metrics a tuner trades, drawn against each other in sweep.html (both minimised):
/// by default mean MTTR (x) and mean wrongly-acted incidents (y); `--trade-off X,Y`.
inline constexpr std::array<std::size_t, 2> kDefaultTradeOff{0, 5};

using RunValues = std::array<std::optional<std::int64_t>, kMetricCount>;

/// One run's values.
RunValues extract(const scenario::RunResult& r);

}  // namespace selfheal::sweep
