// Monte Carlo sweeps of a scenario over a grid of parameter values (`selfheal sweep`).
//
// A sweep is: one scenario, a grid of `--set PATH=V1,V2,...` axes (their cartesian product
// are the combinations; the first axis varies slowest), and `runs` runs per combination.
// Run i of EVERY combination uses seed scenario::run_seed(base_seed, i) for the world and
// for the scenario's `variation:` draw (common random numbers: combinations are compared on
// the same draws, which removes most of the noise from their differences), so any run is
// reproduced by `selfheal run SCENARIO --seed <seed> --set ...`.
//
// Results stream into exact accumulators (sweep/stats.hpp) per combination and metric:
// memory does not grow with `runs`, and the result is identical whether the runs went
// through one thread, several, or several shards merged later (sweep/report.hpp).
//
//   SweepSpec spec{.scenario_path = "scenarios/db-outage-fixed.yaml", .runs = 1000};
//   spec.axes.push_back(*parse_axis("policies.application-crash.max_attempts=1,2,3"));
//   auto p = prepare(spec);                      // every combination loaded and validated
//   if (!p.prepared) { std::cerr << p.diagnostics.describe(); return 2; }
//   SweepResult r = execute(*p.prepared, {.jobs = 2});
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "scenario/overrides.hpp"
#include "scenario/scenario.hpp"
#include "sweep/run_values.hpp"
#include "sweep/stats.hpp"

namespace selfheal::sweep {

/// One `--set PATH=V1,V2,...`: a path and the values it takes.
struct Axis {
  std::string path;
  std::vector<std::string> values;
  bool operator==(const Axis&) const = default;
};
/// Parses `PATH=V1,V2,...` (values are YAML scalars; none may be empty or repeated).
core::Result<Axis> parse_axis(std::string_view text);

/// `--shard I/N`: slice I (0-based) of N.
struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
  bool operator==(const Shard&) const = default;
};
core::Result<Shard> parse_shard(std::string_view text);

/// The runs [begin, end) of `runs` that shard `s` covers: contiguous slices whose sizes
/// differ by at most one.
struct RunRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};
RunRange shard_range(std::uint64_t runs, Shard s);

struct SweepSpec {
  std::string scenario_path;
  std::uint64_t runs = 100;
  std::optional<std::uint64_t> seed;  ///< base seed; default: the scenario's
  std::vector<Axis> axes;
  Shard shard;
  bool twin = true;  ///< run the shadow twin (made-worse, budget saved)
  /// Play counterfactual branches in every run (missed, regret, verification accuracy).
  bool counterfactuals = false;
  /// The two metrics sweep.html plots against each other (kMetrics indices).
  std::array<std::size_t, 2> trade_off = kDefaultTradeOff;
};

/// One point of the grid.
struct Combination {
  std::vector<scenario::Override> params;  ///< one per axis, in axis order
  std::string label() const;               ///< "a=1 b=2", or "(scenario as written)"
};

/// The grid's points: the cartesian product, first axis slowest. No axis: one point.
std::vector<Combination> combinations(const std::vector<Axis>& axes);

struct CombinationResult {
  Combination combination;
  std::array<Accumulator, kMetricCount> metrics;
};

/// A sweep's result, or a shard's part of one. Everything needed to merge and to report.
struct SweepResult {
  std::string scenario;       ///< the scenario's name
  std::string scenario_file;  ///< as given
  std::string digest;         ///< FNV-1a 64 of the scenario and policy files' bytes, hex
  std::uint64_t base_seed = 0;
  std::uint64_t runs = 0;  ///< per combination, in the whole sweep
  bool twin = true;
  bool counterfactuals = false;  ///< branches ran (sweep.json "counterfactuals" when true)
  std::vector<Axis> axes;
  std::uint64_t shard_count = 1;
  std::vector<std::uint64_t> shards;  ///< the shard indices covered, sorted
  std::vector<CombinationResult> combinations;
  /// The baseline health problems a sweep run with --allow-unhealthy-baseline went ahead
  /// with (one per distinct problem); empty for a healthy world. sweep.json carries them.
  std::vector<std::string> baseline_warnings;
  /// sweep.html's trade-off metrics (kMetrics indices); sweep.json "trade_off" when not
  /// the default.
  std::array<std::size_t, 2> trade_off = kDefaultTradeOff;

  bool complete() const { return shards.size() == shard_count; }
  /// Runs per combination actually aggregated.
  std::uint64_t runs_done() const;
};

/// A sweep ready to run: every combination's scenario loaded and validated.
struct Prepared {
  SweepSpec spec;
  std::vector<scenario::Scenario> scenarios;  ///< one per combination
  SweepResult result;                         ///< identity filled, accumulators empty
};
struct PrepareLoad {
  std::optional<Prepared> prepared;  ///< set iff diagnostics is empty
  core::Diagnostics diagnostics;
};
/// Loads the scenario and every combination (all problems reported at once; nothing runs
/// when there is one).
PrepareLoad prepare(const SweepSpec& spec);

/// One run's row, delivered in (run, combination) order.
struct RunRow {
  std::size_t combination = 0;
  std::uint64_t run = 0;  ///< index within the sweep
  std::uint64_t seed = 0;
  RunValues values;
};

struct ExecuteOptions {
  unsigned jobs = 1;  ///< worker threads (>= 1)
  /// Called on the calling thread, in (run, combination) order; may be empty.
  std::function<void(const RunRow&)> on_run;
  /// Called on the calling thread about every `progress_every` with (done, total) runs,
  /// and once at the end; may be empty.
  std::function<void(std::uint64_t, std::uint64_t)> on_progress;
  std::uint64_t progress_interval_ms = 200;
};

/// Runs the shard's runs of every combination. Deterministic: the same spec gives the same
/// result for any `jobs`.
SweepResult execute(const Prepared& p, const ExecuteOptions& options);

/// FNV-1a 64 over the bytes of `files` in order (missing files hash as empty), as 16 hex
/// digits.
std::string digest_files(const std::vector<std::string>& files);

}  // namespace selfheal::sweep
