// Counterfactual branches: the measured truth of every engine decision where acting was
// possible (docs/metrics.md "Counterfactual branches").
//
// A branch of a decision is the main run up to the decision's branch point
// (scenario/world_run.hpp: the notification it answered, the approval answer it was made on,
// or the engine timer it was made in): one prefix world runs the main run's course from
// point to point and is forked there (WorldRunner::fork: world and engine copied, between
// the two kernel events around the point) once per alternative. A fork replaces the
// engine's answer at the point by its alternative, holds automation on the target from then
// on (the engine reads it as escalate-only: it keeps deciding and paging, never acts on it),
// and plays on until the decision's window ends: when the incident is over in the main run
// and in every branch, at most the decision + horizon (and the run's end). Everything else —
// the engine on every other service, the on-call, the faults, every random stream — runs as
// in the main run. The alternatives:
//   - "as decided": the main run itself over the same window (no branch is played);
//   - "none": not acting (only for a decision that executed an action);
//   - the action the policy chose or would have chosen, and the other actions that apply
//     to any deployment: restart, scale (the policy set's first scale action, else 2x up
//     to 20 replicas), rollback (previous release; only when the service can have one).
// Every decision where acting was possible is branched at its own point and gets its own
// verdict (the 2nd restart of a loop is measured from the 2nd restart).
//
// Verdicts, with the tolerance tol(x) = max(tolerance_abs_minutes, tolerance_rel * x). A
// branch B is better than a reference R by R - B error-budget minutes when that exceeds
// tol(R's minutes); when the budgets are within it and the incident breached an objective in
// either, by R - B minutes of time to recover (unrecovered = the whole window) when that
// exceeds tol(R's); otherwise they are equal.
//   acted:     helped when the chosen action (held) is better than none; hurt when worse;
//              otherwise no effect
//   held back: missed when the best action branch is better than as-decided; else held back
//   regret:    as-decided - the best branch, in error-budget minutes (>= 0)
//
//   RunMetrics m = compute_metrics(main.timeline, &twin, {});
//   measure_truth(s, seed, policies, main, m, CounterfactualOptions{});
//   m.truths, m.missed_incidents, m.regret_minutes, m.verification_false_failures, ...
//
// Deterministic; branches run serially on the caller's thread (sweeps parallelise runs).
#pragma once

#include <cstdint>

#include "engine/policy.hpp"
#include "scenario/run_metrics.hpp"
#include "scenario/scenario.hpp"
#include "scenario/world_run.hpp"

namespace selfheal::scenario {

struct CounterfactualOptions {
  Duration horizon{std::chrono::hours{2}};  ///< the longest a branch plays after the decision
  double tolerance_abs_minutes = 0.5;       ///< verdict tolerance, absolute part
  double tolerance_rel = 0.05;              ///< and the share of the reference's minutes
  /// true: each branch replays the run from its start with its intervention instead of
  /// forking a snapshot at its branch point — the same branches, much slower; the tests'
  /// oracle for the snapshots.
  bool replay = false;
};

/// The outcome of `t` over [from, to] for the incident `incident` ("" none) and `services`;
/// `intervention_action` is excluded from the count of later actions.
BranchOutcome measure_outcome(const sim::Timeline& t, const std::string& incident,
                              const std::string& target, const std::vector<std::string>& services,
                              core::TimePoint from, core::TimePoint to);

/// Plays the branches of `main` (the main run of `s` with `seed`, `spec` and `policies`),
/// fills m.truths and the measured metrics, and replaces the declared verdicts of the
/// actions and incidents it measured (ActionFact::helpful, IncidentMetrics::wrongly_acted,
/// helpful/wrong counts); the declared ones stay in ActionFact::declared_helpful.
void measure_truth(const Scenario& s, std::uint64_t seed, const sim::ClusterSpec& spec,
                   const engine::PolicySet& policies, const WorldRun& main, RunMetrics& m,
                   const CounterfactualOptions& o = {});

}  // namespace selfheal::scenario
