// What the engine will ask its Telemetry and Topology ports for, before it asks.
//
// The engine's ports are synchronous; live mode answers them from Prometheus, which is slow.
// So live/ fetches the answers first, on worker threads, and runs the engine call once they
// are in. To know what to fetch it asks these functions instead of copying the engine's
// windows and rules: whatever the pipeline reads, these name, from the same inputs the
// pipeline has (tests/engine/data_needs_test.cpp records the engine's port calls and holds
// them to these answers, so the two cannot drift).
//
// The answers are an upper bound: everything the engine may ask for that target in that
// call, never less (a step that ends the pipeline earlier only means some went unused).
//
//   const DataNeeds n = decision_needs(policies, incident, state.load(incident.target), now);
//   for (Duration w : n.signal_windows) fetch(signal queries for incident.target over w);
//   if (n.upstreams) fetch(the upstreams' health);
//   for (const auto& q : n.queries) fetch(q for incident.target);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/incident.hpp"
#include "engine/policy.hpp"
#include "engine/ports.hpp"

namespace selfheal::engine {

/// True for the actions a Deployment rollout follows (restart, rollback, scale,
/// feature-flag-disable): verification waits for it and reads the Deployment meanwhile
/// (DataNeeds::deployment). A cache purge or traffic shift only annotates; a page changes
/// nothing.
bool rolls_out(ActionKind k);

/// The port calls one engine step may make for one target.
struct DataNeeds {
  /// Telemetry::signals(target, w) for each window (ascending, no repeats).
  std::vector<Duration> signal_windows;
  /// Topology::upstreams(target).
  bool upstreams = false;
  /// With `upstreams`: how many hops the dependency pre-check walks (1 = the target's own
  /// upstreams; n: Topology::upstreams of every service up to n-1 hops away as well, each
  /// once). Live fetches the error rate of every service up to this many hops away.
  int upstream_hops = 1;
  /// Topology::health(s) for each (engine.freeze_when's watched services; no repeats, in
  /// the order the freeze names them).
  std::vector<ServiceRef> health;
  /// Telemetry::query(expr, target) for each expression (in policy order, no repeats).
  std::vector<std::string> queries;
  /// Actuator::deployment(target): the rollout of an action that changes pods, read while
  /// verification waits for it to take effect (live: `kubectl get deployment -o json`).
  bool deployment = false;

  bool empty() const {
    return signal_windows.empty() && !upstreams && queries.empty() && health.empty() && !deployment;
  }
  /// Adds `other`'s needs to these.
  void merge(const DataNeeds& other);
  friend bool operator==(const DataNeeds&, const DataNeeds&) = default;
};

/// What Engine::handle(incident) may ask, given the target's state (`state.load(target)`)
/// and the time of the call:
///  - resolved: the signals over the classification window (the health check) unless an
///    action is in flight;
///  - firing: the classification signals and upstreams without an external classification
///    (the built-in classifier); upstreams when no policy handles the external type (the
///    page names a failing upstream) or the policy has a dependency pre-check (with the
///    classification signals for its dependency_errors fallback); the classification
///    signals when the policy scales by a factor (rendered from the current replicas);
///    and, while the target holds the re-deliveries of a verified firing, that policy's
///    verification needs (the engine re-runs its checks before holding one); the gates'
///    reads (gate_needs); and the before-action state of an action (action_needs).
DataNeeds decision_needs(const PolicySet& policies, const Incident& incident,
                         const TargetState& state, TimePoint now);

/// What the verification of an action chosen by policy `policy` (InFlightAction::policy)
/// asks: the signals over the policy's verification window (the default window when the
/// policy is no longer loaded), the policy's PromQL checks, and — while it waits for the
/// action to take effect — the target's Deployment when an action of the policy rolls out
/// pods (restart, rollback, scale, feature-flag-disable; any, when the policy is gone).
DataNeeds verification_needs(const PolicySet& policies, std::string_view policy);

/// What starting an action of `incident_type`'s policy reads: the signals over its
/// verification window ending now, the before-action state verification compares against.
/// An empty type (not known yet: the built-in classifier decides, or a follow-up) names the
/// windows of every policy that can act. Part of decision_needs.
DataNeeds action_needs(const PolicySet& policies, std::string_view incident_type);

/// What the engine's gates may read for `target` on any firing decision: the health of
/// engine.freeze_when's watched services when the freeze covers the target, and the
/// deepest transitive dependency pre-check of any policy (with `upstreams`). Part of
/// decision_needs; a follow-up's planner (below) adds it to follow_up_needs().
DataNeeds gate_needs(const PolicySet& policies, const ServiceRef& target);

/// What a follow-up (the next ladder step after a failed verification re-decides the stored
/// incident) may ask, for a caller that cannot see that incident: the needs of an incident
/// classified by the built-in classifier, which cover every other firing decision's.
DataNeeds follow_up_needs();

}  // namespace selfheal::engine
