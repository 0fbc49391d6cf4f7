// sweep.html: the page a person opens to read a sweep (written beside sweep.json and
// summary.csv by write_result, so `selfheal merge` writes it too). Self-contained: inline SVG
// drawn with the run report's chart helpers (reports/svg.hpp), no scripts, no external
// assets. Deterministic: built only from the exact accumulators, so the same sweep gives the
// same bytes with any --jobs, and the merge of its shards gives the same file.
//
// It holds, in order (docs/sweep.md "sweep.html"):
//   - the best combination (rule below) with every --set value spelled out, its policy
//     fields as a YAML snippet, and its headline metrics;
//   - the trade-off: each combination as a point on the two metrics a tuner trades
//     (SweepResult::trade_off; mean MTTR vs mean wrongly-acted incidents by default, chosen
//     with `selfheal sweep --trade-off X,Y`) with its 95% CI on both, and the Pareto front
//     of those two drawn as a line;
//   - per varied parameter (axis), one small chart per metric: for each of its values the
//     mean and 95% CI of the runs of every combination with that value (pooled over the
//     other axes), as error bars.
// Every mean and CI comes from summarize() (sweep/report.hpp), never computed here.
//
// The best combination: on the two-metric front, the lowest mean of the second trade-off
// metric (wrongly-acted by default: do no harm first), ties broken by the first (MTTR),
// then by the lower index.
//
//   SweepResult r = execute(prepared, {});
//   std::string page = sweep_html(r);             // what write_result puts in sweep.html
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "sweep/sweep.hpp"

namespace selfheal::sweep {

/// Parses `--trade-off X,Y`: two different metric names of kMetrics (e.g.
/// "mttr,wrongly_acted"); an unknown name is an error with a did-you-mean.
core::Result<std::array<std::size_t, 2>> parse_trade_off(std::string_view text);

/// The best combination's index by the rule above; -1 when no combination has data on
/// both trade-off metrics.
long best_combination(const SweepResult& r);

/// The whole page.
std::string sweep_html(const SweepResult& r);

}  // namespace selfheal::sweep
