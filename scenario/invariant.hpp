// Invariants: the `invariants:` block of a scenario — hard rules that must hold at every
// moment of a run, not bounds on totals (docs/scenario.md#invariants).
//
//   invariants:
//     - never: {action: any, while: {service: orders-db, unhealthy: true}}
//     - never: {action: restart, target: orders-db}
//     - at_most_mode: {service: pricing-api, mode: recommend}
//
// Checked over the run's timeline (the engine's audit records in order): the first
// decision that breaks a rule is the violation, reported with its time and the decision.
// What counts:
//  - an *automated action* is a decision with outcome `executed` (an action the engine
//    started; shadow's "would have executed" and recommendations are not);
//  - `never`: an automated action of kind `action` (`any`: every kind), on `target` if given,
//    at an instant when `while.service` was unhealthy if `while` is given;
//  - "unhealthy" in a scenario is "outside its objectives" (the service's `slo`, the same
//    intervals the error-budget metrics count), at the instant of the decision;
//  - `at_most_mode: {service, mode}`: the engine never went past `mode` on that service —
//    `recommend`: no automated action on it; `shadow`: no automated action and no
//    recommendation (outcome `recommend`) either.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/time.hpp"
#include "engine/policy.hpp"
#include "scenario/yaml_util.hpp"
#include "sim/timeline.hpp"

namespace selfheal::scenario {

struct Invariant {
  enum class Kind { kNever, kAtMostMode };
  Kind kind = Kind::kNever;
  std::optional<engine::ActionKind> action;      ///< never: nullopt = any action
  std::string target;                            ///< never: "" = any target
  std::string while_unhealthy;                   ///< never: "" = at any time
  std::string service;                           ///< at_most_mode
  engine::Mode mode = engine::Mode::kRecommend;  ///< at_most_mode: shadow or recommend
  int line = 0;                                  ///< in the scenario file
  std::string describe;  ///< "never restart on orders-db", "never any action while ..."
};

struct InvariantResult {
  std::string describe;
  int line = 0;
  bool held = true;
  int violations = 0;                ///< decisions that broke it
  std::optional<core::Duration> at;  ///< first violation, from the start of the run
  std::string decision;              ///< the first violating decision, in words
};

/// Parses the `invariants` list; problems go to the reader's diagnostics (unknown keys
/// with did-you-mean, unknown services and actions), invalid entries are skipped.
std::vector<Invariant> parse_invariants(const YAML::Node& node, YamlReader& reader,
                                        const std::vector<std::string>& known_services);

/// The invariant's verdict over a run's timeline.
InvariantResult check_invariant(const Invariant& inv, const sim::Timeline& tl);
std::vector<InvariantResult> check_invariants(const std::vector<Invariant>& invs,
                                              const sim::Timeline& tl);

}  // namespace selfheal::scenario
