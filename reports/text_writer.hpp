// Terminal output of `selfheal run` and `selfheal check`: a concise per-run summary, and an
// aligned table over many runs followed by every failed expectation (file:line, expected
// vs actual), and the difference against a baseline as a table for a CI log. Plain ASCII,
// deterministic.
#pragma once

#include <string>
#include <vector>

#include "scenario/baseline.hpp"
#include "scenario/run_result.hpp"

namespace selfheal::reports {

std::string text_summary(const scenario::RunResult& r);
std::string text_table(const std::vector<scenario::RunResult>& runs);
/// Rows as left-aligned columns two spaces apart (the last column unpadded), one line each.
std::string text_columns(const std::vector<std::vector<std::string>>& rows);
/// `check --baseline`'s diff: the changed figures as an aligned table (scenario, metric,
/// baseline, now, delta, verdict) and a one-line summary, e.g.
///   scenario         metric                   baseline  now  delta  verdict
///   db-outage-naive  wrongly-acted incidents  0         1    +1     REGRESSION
///   baseline: 1 regression, 0 improved, 0 within tolerance (12 scenarios compared)
/// Only the summary ("baseline: no change (12 scenarios compared)") when nothing changed.
/// `new_scenarios` counts the scenarios not in the baseline.
std::string baseline_table(const std::vector<scenario::BaselineChange>& changes,
                           std::size_t compared, std::size_t new_scenarios);
/// "file:line: scenario: expectation: expected X, actual Y" per failed expectation.
std::string text_failures(const std::vector<scenario::RunResult>& runs);

}  // namespace selfheal::reports
