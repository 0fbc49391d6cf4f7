// The pure building blocks of the metric definitions, over plain inputs, so each rule is
// testable by hand (tests/scenario/metric_rules_test.cpp). compute_metrics composes them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenario/run_metrics.hpp"

namespace selfheal::scenario {

/// One automated action on a target, with whether a verified recovery followed it.
struct TargetAction {
  Duration at{};
  bool verified_recovery = false;  ///< its verification passed
  Duration verified_at{};          ///< when that verification passed
};

/// Remediation loops on one target: an episode is a run of automated actions not broken by
/// a verified recovery; it is a loop when `min_actions` of its actions fall within
/// `window`. Each episode counts once; `actions` is the episode's whole length.
std::vector<LoopFact> find_loops(const std::string& service, std::vector<TargetAction> actions,
                                 Duration window, int min_actions);

/// The most actions within any window of length `window` (closed at both ends minus one
/// ms: [t, t + window)).
int max_in_window(std::vector<Duration> times, Duration window);

}  // namespace selfheal::scenario
