// One run of the simulated world with the real engine attached: what run_scenario does for
// the main run and the twin, and what a counterfactual branch does with an intervention
// (scenario/counterfactuals.hpp).
//
// A decision is made inside one of three calls into the engine, its BRANCH POINT: a
// notification delivered to it (Engine::handle), the on-call's answer to an approval request
// (Engine::approve: an action executed on a person's yes) or one of the engine's own timers
// firing (a verification that failed and climbs the ladder: the 2nd and 3rd restart of a
// loop). Each kind is counted from 0 over the whole run; the same run prefix makes the n-th
// of a kind the same call in every re-run and every fork (a fork carries the counts on),
// and BranchPoint::event names the kernel event the call ran in.
//
// An Intervention at a branch point holds automation on its target from then on and
// replaces what the engine did there:
//   - at a notification, the notification is not handed to the engine; at an approval
//     answer or a timer, the call still reaches the engine, which finds the target held
//     and escalates (pages) instead of acting — the engine's action is what is replaced;
//   - when `action` is set it is executed on the target through the engine's own Actuator
//     port at that instant (request id kInterventionActionId, no verification, no
//     rollback);
//   - from that instant until the run stops, the engine still receives every notification
//     (on every service) but reads the target's state as escalate-only, so it never acts on
//     the target again and escalates (pages) the way it does for a target it gave up on.
// Without an Intervention (or with replace = false) the run is the plain run.
//
//   WorldRun r = run_world(s, seed, s.cluster, s.policies, {}, nullptr, end);
//   r.point_of[*event.audit_index];   // the branch point a kDecision event was made at
//
// Deterministic: the same inputs give byte-identical timelines. Nothing is shared between
// calls (thread-safe for different calls).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
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

/// Which call into the engine a decision was made in (header comment).
enum class PointKind : std::uint8_t { kNotification, kApproval, kTimer };

struct BranchPoint {
  PointKind kind = PointKind::kNotification;
  std::size_t ordinal = 0;  ///< 0-based, among the calls of that kind
  /// The kernel event the call was made in, 1-based in dispatch order
  /// (sim::Simulation::dispatched() during it): WorldRunner::run_to_event stops before it.
  std::uint64_t event = 0;
  friend bool operator==(const BranchPoint&, const BranchPoint&) = default;
};

struct Intervention {
  BranchPoint point;                         ///< where the engine's answer is replaced
  std::string target;                        ///< service whose automation is held
  std::optional<engine::ActionSpec> action;  ///< nullopt: not acting
  /// false: the identity intervention — the call goes to the engine unchanged and nothing
  /// is held (the branch that repeats the main run's decision; tests use it to show that a
  /// branch differs from the main run only by its intervention).
  bool replace = true;
};

struct WorldRun {
  sim::Timeline timeline;
  /// Timeline::audit index of each decision record (TimelineEvent::audit_index of its
  /// kDecision event) -> the branch point it was made at.
  std::map<std::size_t, BranchPoint> point_of;
  /// A Prometheus rule file's alerts whose results named no service (PromRuleEvaluator).
  std::vector<std::string> rule_notes;
};

/// One world with the engine attached, run in steps: a branch runs until its incident is
/// over, then on to the window its decision's branches share (scenario/counterfactuals).
/// Running to t in steps gives exactly the run to t in one call. A runner standing between
/// two events forks: a copy of its world, engine and counters that goes on with an
/// intervention, exactly as a runner started from the beginning with that intervention
/// would (docs/architecture.md "Branching a run"). Movable; copied only by fork().
///   WorldRunner r{s, seed, s.cluster, s.policies, {}, &iv};
///   r.run_until(t1); r.run_until(t2); WorldRun w = r.take();
///   WorldRunner prefix{s, seed, s.cluster, s.policies, {}, nullptr};
///   prefix.run_to_event(point.event);      // just before the decision's event
///   WorldRunner branch = prefix.fork(&iv); // iv.point == point
class WorldRunner {
 public:
  WorldRunner(const Scenario& s, std::uint64_t seed, const sim::ClusterSpec& spec,
              engine::PolicySet policies, sim::WorldOptions world_options,
              const Intervention* intervention);
  ~WorldRunner();
  WorldRunner(WorldRunner&&) noexcept;
  WorldRunner& operator=(WorldRunner&&) = delete;
  WorldRunner(const WorldRunner&) = delete;

  void run_until(core::TimePoint t);  ///< absolute; no-op when already there
  /// Runs every event before the `n`-th (1-based, BranchPoint::event); the world then
  /// stands between two events, now() at the last one run. No-op when already past it.
  void run_to_event(std::uint64_t n);
  /// A runner with this one's state that goes on with `intervention` (nullptr: none).
  /// Precondition: no intervention of this runner has reached its point, and
  /// `intervention`'s point is not yet passed (its ordinal is not yet counted). The fork's
  /// WorldRun::point_of holds only the decisions made after it. `copy` says what the world's
  /// copy may leave out (sim::CopyOptions): a branch keeps neither chart points nor the
  /// events long past, so its timeline() is then not the whole run's.
  WorldRunner fork(const Intervention* intervention, sim::CopyOptions copy = {}) const;
  core::TimePoint now() const;
  const sim::Timeline& timeline() const;
  WorldRun take();  ///< the timeline and branch points; the runner is spent

 private:
  struct Impl;
  explicit WorldRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Runs the world with the engine until `until` (absolute; world start + s.duration for a
/// whole run). `intervention` nullptr: the plain run.
WorldRun run_world(const Scenario& s, std::uint64_t seed, const sim::ClusterSpec& spec,
                   engine::PolicySet policies, sim::WorldOptions world_options,
                   const Intervention* intervention, core::TimePoint until);

}  // namespace selfheal::scenario
