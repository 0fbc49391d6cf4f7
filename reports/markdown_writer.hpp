// report.md: the run for people reading a PR or a terminal — summary table, incidents,
// expectations (expected vs actual), loops, and the action log. Deterministic.
#pragma once

#include <string>
#include <vector>

#include "scenario/run_result.hpp"

namespace selfheal::reports {

std::string report_markdown(const scenario::RunResult& r);
/// One table over many runs (for `check` and the library), linking each run's report.
std::string index_markdown(const std::vector<scenario::RunResult>& runs,
                           const std::vector<std::string>& report_dirs);

/// Shared summary cells: human_duration ("12m30s", "1h07m") or "-" for an optional duration.
std::string opt_duration(const std::optional<core::Duration>& d);
std::string opt_ratio(const std::optional<double>& v);

}  // namespace selfheal::reports
