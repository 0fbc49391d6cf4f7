// The baseline health gate of `selfheal run`, `check` and `sweep`, and the load table of
// `selfheal lint SCENARIO.yaml`, over sim::check_baseline (sim/baseline_health.hpp; the
// conditions are documented in docs/scenario.md "Baseline health").
//
//   if (auto why = unhealthy_baseline_error(s); !why.empty()) diags.add(core::Error{why, s.file});
//   out << baseline_load_table(sim::check_baseline(s.cluster, s.duration));
#pragma once

#include <string>

#include "scenario/scenario.hpp"
#include "sim/baseline_health.hpp"

namespace selfheal::scenario {

/// The flag that lets an unhealthy world run (with a warning in every report).
inline constexpr const char* kAllowUnhealthyBaselineFlag = "allow-unhealthy-baseline";

/// Empty when `s` meets its objectives before its first fault; else the error message (for
/// a core::Error with the scenario's file): the scenario, the flag and, one line each,
/// every service and why. No trailing newline.
std::string unhealthy_baseline_error(const Scenario& s);

/// One row per service: offered load at the start and at the window's peak, capacity
/// (replicas x rps) and headroom at the peak; then "baseline healthy" or the number of
/// problems (unhealthy_baseline_error names them).
std::string baseline_load_table(const sim::BaselineHealth& h);

}  // namespace selfheal::scenario
