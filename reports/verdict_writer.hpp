// The rollout verdict (scenario/verdict.hpp) and the invariants, rendered for each report
// format; every writer puts them first, right after the title and warnings. Additive: a
// writer calls one function, and a run without invariants shows "no invariants stated".
//
//   o << verdict_markdown(run);         // "## Rollout verdict: GO" ... "## Invariants" ...
//   j["verdict"] = verdict_json(run);   // {go, hold_reasons, invariants, coverage, ...}
//   o << index_verdict_markdown(runs);  // the library index's verdict over every scenario
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/run_result.hpp"

namespace selfheal::reports {

std::string verdict_text(const scenario::RunResult& r);
std::string verdict_markdown(const scenario::RunResult& r);
std::string verdict_html(const scenario::RunResult& r);
nlohmann::ordered_json verdict_json(const scenario::RunResult& r);

/// The library's verdict: GO only when every scenario's verdict is GO; which are HOLD and why,
/// invariants held across the library, pages and budget saved in total, one paragraph.
std::string index_verdict_markdown(const std::vector<scenario::RunResult>& runs);
std::string index_verdict_html(const std::vector<scenario::RunResult>& runs);

}  // namespace selfheal::reports
