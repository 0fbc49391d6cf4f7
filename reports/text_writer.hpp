// Terminal output of `selfheal run` and `selfheal check`: a concise per-run summary, and an
// aligned table over many runs followed by every failed expectation (file:line, expected
// vs actual). Plain ASCII, deterministic.
#pragma once

#include <string>
#include <vector>

#include "scenario/run_result.hpp"

namespace selfheal::reports {

std::string text_summary(const scenario::RunResult& r);
std::string text_table(const std::vector<scenario::RunResult>& runs);
/// "file:line: scenario: expectation: expected X, actual Y" per failed expectation.
std::string text_failures(const std::vector<scenario::RunResult>& runs);

}  // namespace selfheal::reports
