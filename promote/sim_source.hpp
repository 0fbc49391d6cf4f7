// The promote evidence from a simulated run instead of production: the shadow twin of a
// scenario run (scenario::run_shadow_twin) holds both sides. Its audit has the engine's
// would-act (shadow) decisions, exactly as serve's audit does in shadow mode; the people of
// the Kubernetes audit log are played by the scenario's simulated on-call, whose actions
// are the twin's kActionStarted events with automated = false. The table is then built by
// the same promote::build_table as production's, so the two can be read side by side
// (docs/promote.md "From a simulated run").
//
//   promote::Evidence ev;
//   promote::add_shadow_twin(scenario::run_shadow_twin(s, seed), s.cluster.ns, {},
//                            "db-outage.yaml seed 7", ev);
//   auto table = promote::build_table(ev.observations, ev.person_actions, options);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "promote/evidence.hpp"
#include "promote/k8s_audit.hpp"
#include "sim/timeline.hpp"

namespace selfheal::promote {

/// Both sides of the comparison, from any number of runs.
struct Evidence {
  std::vector<Observation> observations;
  std::vector<PersonAction> person_actions;
};

/// How a person's action would appear in the API server's audit log, as the reader
/// classifies it (k8s_audit.hpp), had they run the command selfheal renders for it: a
/// restart, scale or rollback as itself; a cache purge or flag change as another write to
/// the Deployment (an annotation, an env change); a traffic shift not at all (it annotates
/// a Service, not a workload): nullopt. A page is no action: nullopt.
std::optional<ChangeKind> audit_kind_of(engine::ActionKind a);

/// Adds the twin's observations (observations_from_audit over its audit) and its on-call's
/// actions on namespace `ns`, every time moved by `offset`: runs added with offsets further
/// apart than the run length plus the match window never match across runs. `where` names
/// the run in each person action ("<scenario file> seed <n>").
void add_shadow_twin(const sim::Timeline& twin, const std::string& ns, core::Duration offset,
                     const std::string& where, Evidence& into);

}  // namespace selfheal::promote
