// Field overrides for scenarios (`selfheal sweep --set`, `selfheal run --set`): change one
// scenario or policy field without editing the file.
//
// A path is dotted, read against the scenario file's YAML:
//
//   duration=4h                                       a top-level field
//   oncall.response_time=30m                          a field of a mapping
//   cluster.services.payment-api.replicas=5           map keys all the way down
//   faults.payments-db-down.duration=20m              a list element by its name
//   faults.0.at=15m                                   ... or by its index
//   policies.application-crash.confidence_threshold=0.9
//                                                     the policy for an incident type, in
//                                                     the scenario's policy file or inline
//   policies.engine.limits.blast_radius=0.5           the policy file's engine block
//   engine.mode=shadow                                the scenario's engine overrides
//
// List elements are found by `name`, by `incident_type`, by a fault's id (`<kind>-<target>`
// when it has no name) or by index. Missing mappings on the way are created, so a field the
// file leaves at its default can be set; the result then goes through the normal scenario
// loader, so a typo in a key (`replcas`) or a bad value (`confidence_threshold=1.5`) is
// reported exactly as in a file, prefixed with the `--set` it came from. A policy file
// named by the scenario is read and inlined before it is changed; the file is never
// written.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "scenario/scenario.hpp"

namespace selfheal::scenario {

struct Override {
  std::string path;   ///< dotted, e.g. "policies.memory-leak.max_attempts"
  std::string value;  ///< a YAML scalar as the user wrote it, e.g. "3", "15m", "true"
};

/// Parses `PATH=VALUE` (the value may be empty only as `PATH=""`, it may contain `=`).
core::Result<Override> parse_override(std::string_view text);

/// Renders "PATH=VALUE".
std::string to_string(const Override& o);

/// Loads the scenario at `path` with `overrides` applied in order. No override: exactly
/// load_scenario_file(path). Diagnostics name the override (`--set PATH`) when the path
/// cannot be followed, and the scenario's fields as usual otherwise.
ScenarioLoad load_scenario_file(const std::string& path, const std::vector<Override>& overrides);

}  // namespace selfheal::scenario
