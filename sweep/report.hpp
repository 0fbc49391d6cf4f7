// What a sweep writes, and how shards come back together.
//
//   sweep.json   the identity of the sweep (scenario, digest, base seed, runs, axes, shards),
//                per combination and metric the summary (n, mean, p50, p90, 95% CI, min,
//                max) and the exact accumulator state, and the Pareto marks. Format
//                "selfheal-sweep", version 1 (docs/sweep.md).
//   summary.csv  one row per (combination, metric), in display units.
//   runs.csv     one row per run, in (run, combination) order: combination, run index,
//                seed, every metric (written while the sweep runs; merge concatenates).
//
// merge() adds shard results of the same sweep; the merge of all N shards is identical,
// byte for byte once written, to the sweep run in one piece.
#pragma once

#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "sweep/sweep.hpp"

namespace selfheal::sweep {

struct MetricSummary {
  std::uint64_t n = 0;
  double mean = 0, p50 = 0, p90 = 0, ci_low = 0, ci_high = 0, min = 0, max = 0;  ///< display units
};
MetricSummary summarize(const Accumulator& a, Unit u);

/// Per combination: true when no other combination is at least as good on every Pareto
/// objective (mean MTTR, mean wrongly-acted, mean pages) and better on one. A combination
/// with no recovered incident in any run has no MTTR and counts as the worst on it.
std::vector<bool> pareto_front(const SweepResult& r);
/// The same rule over any set of objectives (kMetrics indices, all minimised; sweep.html
/// draws the front of the two trade-off metrics).
std::vector<bool> pareto_front(const SweepResult& r, std::span<const std::size_t> objectives);

/// Axes that changed nothing: for each axis, every group of combinations that differ only in
/// that axis has identical metric distributions (the exact accumulators are equal), so the
/// sweep cannot rank its values (every one would be marked Pareto alike). One note per such
/// axis, e.g. "engine.mode... had no effect: its 3 values gave identical metric
/// distributions in every run; no run executed an action (a recommend-only policy or a
/// non-auto mode: its values cannot matter)". Shown in the table, sweep.json `notes` and
/// summary.csv `# note:` lines at its end.
std::vector<std::string> no_effect_notes(const SweepResult& r);

/// Per combination: the index of the first other combination with identical metric
/// distributions, or -1 (the table marks such a Pareto cell "=" instead of "*").
std::vector<long> identical_to(const SweepResult& r);

nlohmann::ordered_json to_json(const SweepResult& r);
/// Reads what to_json wrote; `file` names the source in errors.
core::Result<SweepResult> from_json(const nlohmann::json& j, const std::string& file);

/// Adds the parts of one sweep. Errors when they are different sweeps (scenario digest,
/// seed, runs, axes, twin or shard count differ) or a shard appears twice. A result that
/// does not cover every shard is returned with complete() false; the caller decides.
core::Result<SweepResult> merge(const std::vector<SweepResult>& parts);

std::string summary_csv(const SweepResult& r);
std::string runs_csv_header();
std::string runs_csv_row(const RunRow& row);

/// Writes sweep.json, summary.csv and sweep.html (sweep/html.hpp) into `dir` (created when
/// missing).
core::Status write_result(const SweepResult& r, const std::string& dir);

/// The human table for stdout: one row per combination with the headline metrics.
std::string table(const SweepResult& r);

}  // namespace selfheal::sweep
