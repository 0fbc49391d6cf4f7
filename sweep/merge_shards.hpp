// `selfheal merge`'s work: read the outputs of `selfheal sweep --shard I/N`, check they are
// the parts of one sweep, merge them, and put their runs.csv rows back together. The CLI
// only parses options and calls these three in order.
//
//   core::Diagnostics unreadable;
//   auto parts = read_shard_outputs({"out/s0", "out/s1/sweep.json"}, unreadable);
//   if (!unreadable.empty()) ...                       // every bad input, one line each
//   auto merged = merge_shards(parts, /*partial=*/false);  // parts now in shard order
//   write_result(*merged, out);
//   bool rows = write_merged_runs_csv(parts, out);
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "sweep/sweep.hpp"

namespace selfheal::sweep {

/// One shard's result and the directory its sweep.json was read from (its runs.csv is there).
struct ShardOutput {
  SweepResult result;
  std::string dir;
};

/// Reads each input: a shard's output directory or its sweep.json. An input that cannot be
/// read, is not JSON or is not a sweep.json adds one error to `unreadable` (naming the file)
/// and is skipped, so a user sees every bad input at once.
std::vector<ShardOutput> read_shard_outputs(const std::vector<std::string>& inputs,
                                            core::Diagnostics& unreadable);

/// Sorts `parts` into shard order and merges them (report.hpp merge()). Errors: parts of
/// different sweeps, a shard given twice, and — unless `partial` — missing shards ("shards
/// missing: 1, 3 of 4 (pass --partial to merge what is there)").
core::Result<SweepResult> merge_shards(std::vector<ShardOutput>& parts, bool partial);

/// Writes `out`/runs.csv: the header, then every part's rows in the order of `parts` (shards
/// cover consecutive runs and write rows run-major, so shard order is the whole sweep's row
/// order). Streams through a temporary file since `out` may be one of the inputs. False, and
/// nothing written, when a part has no readable runs.csv with the expected header.
bool write_merged_runs_csv(const std::vector<ShardOutput>& parts, const std::string& out);

}  // namespace selfheal::sweep
