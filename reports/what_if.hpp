// The counterfactual "what if" of a decision as one line, shared by the Markdown, HTML and
// text writers (the JSON writer writes every branch).
//
//   what_if_cell(m, 3) -> "helped, saved 95.0 min; best: restart 1.2 min"
//   what_if_cell(m, 4) -> "missed: scale would have saved 40.1 min; best: scale 2.0 min"
//   what_if_cell(m, 5) -> ""   (decision not branched)
#pragma once

#include <cstddef>
#include <string>

#include "scenario/run_metrics.hpp"

namespace selfheal::reports {

/// The branched truth of decision `decision` (index into m.decisions), or nullptr.
const scenario::DecisionTruth* truth_of(const scenario::RunMetrics& m, std::size_t decision);
/// One line: the verdict with minutes saved or lost, then the best branch and its minutes;
/// "" when the decision was not branched.
std::string what_if_cell(const scenario::RunMetrics& m, std::size_t decision);
/// Whether the timeline should mark the decision: measured "hurt" or "missed".
bool marked_decision(const scenario::DecisionTruth& t);

}  // namespace selfheal::reports
