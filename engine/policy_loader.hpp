// Loading and validating policy files.
//
// Accepted top-level shapes (docs/policy.md):
//   remediation_policy: {...}            # the seed format, one policy
//   remediation_policies: [{...}, ...]   # a list
//   engine: {...}                        # optional engine-wide settings beside either
//
// Every problem is collected (not just the first): unknown keys with a did-you-mean
// suggestion, thresholds outside [0, 1], negative or malformed durations, unknown actions,
// max_attempts < 1, duplicate incident types, scale without bounds, ... each naming file,
// line and field. A set with any error is not returned (no half-applied policy).
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "engine/policy.hpp"

namespace selfheal::engine {

/// Either a valid PolicySet or every problem found.
struct PolicyLoad {
  std::optional<PolicySet> policies;  ///< set iff diagnostics is empty
  core::Diagnostics diagnostics;
  std::vector<std::string>
      notes;  ///< e.g. "policy memory-leak: no action named; default restart applied"
};

PolicyLoad load_policy_file(const std::string& path);
/// `source_name` is used as the file in diagnostics.
PolicyLoad load_policy_string(const std::string& yaml, const std::string& source_name);

}  // namespace selfheal::engine
