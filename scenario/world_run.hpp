// One run of the simulated world with the real engine attached: what run_scenario does for
// the main run and the twin, and what a counterfactual branch does with an intervention
// (scenario/counterfactuals.hpp).
//
// An Intervention replaces the engine's answer to ONE notification (the `notification`-th
// delivered to the engine, counted from 0 over the whole run; the same run prefix makes it
// the same notification in every re-run) and holds automation on its target from then on:
//   - the notification is not handed to the engine; when `action` is set it is executed on
//     the target through the engine's own Actuator port at that instant (request id
//     kInterventionActionId, no verification, no rollback);
//   - from that instant until the run stops, the engine still receives every notification
//     (on every service) but reads the target's state as escalate-only, so it never acts on
//     the target again and escalates (pages) the way it does for a target it gave up on.
// Without an Intervention (or with replace = false) the run is the plain run.
//
//   WorldRun r = run_world(s, seed, s.cluster, s.policies, {}, nullptr, end);
//   r.notification_of[event_index];   // which notification a kDecision event answered
//
// Deterministic: the same inputs give byte-identical timelines. Nothing is shared between
// calls (thread-safe for different calls).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "engine/policy.hpp"
#include "engine/types.hpp"
#include "scenario/scenario.hpp"
#include "sim/timeline.hpp"
#include "sim/world.hpp"

namespace selfheal::scenario {

/// The actuator request id of an intervention's action (far above the engine's own ids).
inline constexpr std::uint64_t kInterventionActionId = std::uint64_t{1} << 62;

struct Intervention {
  std::size_t notification = 0;              ///< 0-based ordinal of the replaced notification
  std::string target;                        ///< service whose automation is held
  std::optional<engine::ActionSpec> action;  ///< nullopt: not acting
  /// false: the identity intervention — the notification goes to the engine unchanged and
  /// nothing is held (the branch that repeats the main run's decision; tests use it to
  /// show that a branch differs from the main run only by its intervention).
  bool replace = true;
};

struct WorldRun {
  sim::Timeline timeline;
  /// timeline event index of each kDecision event -> the notification ordinal it answered.
  std::map<std::size_t, std::size_t> notification_of;
  /// A Prometheus rule file's alerts whose results named no service (PromRuleEvaluator).
  std::vector<std::string> rule_notes;
};

/// Runs the world with the engine until `until` (absolute; world start + s.duration for a
/// whole run). `intervention` nullptr: the plain run.
WorldRun run_world(const Scenario& s, std::uint64_t seed, const sim::ClusterSpec& spec,
                   engine::PolicySet policies, sim::WorldOptions world_options,
                   const Intervention* intervention, core::TimePoint until);

}  // namespace selfheal::scenario
