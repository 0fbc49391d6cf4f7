// Actions as commands: the exact kubectl/helm argv for an action on a target (never a shell
// string). The engine renders every action it runs or suggests through these.
//
//   render_argv({"prod", "api"}, restart)  //
//   {"kubectl","rollout","restart","deployment/api","-n","prod"}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "engine/types.hpp"

namespace selfheal::engine {

/// The exact command for `action` on `target`, as argv (never a shell string):
///   restart  -> kubectl rollout restart deployment/<svc> -n <ns>
///   scale    -> kubectl scale deployment/<svc> -n <ns> --replicas=<N>
///   rollback -> helm rollback <svc> [<revision>] -n <ns>
/// `current_replicas` resolves factor scaling (bounded by max_replicas).
std::vector<std::string> render_argv(const ServiceRef& target, const ActionSpec& action,
                                     int current_replicas = 0);
/// The validating form of render_argv: an Error naming the offending field when a name is
/// not a DNS-1123 label (namespace, service, traffic-shift `to`; Helm release names at most
/// 53 characters), a scale cannot be resolved (factor without a current replica count or
/// without max_replicas, replicas outside [min, max]), a flag name is missing or unsafe,
/// or the action is `page` (no command). render_argv returns {} in those cases.
/// The other actions (docs/pipeline.md#commands):
///   cache-purge          -> kubectl annotate deployment/<svc> -n <ns> --overwrite
///                           selfheal.io/cache-purge=<nonce>
///   feature-flag-disable -> kubectl set env deployment/<svc> -n <ns> FEATURE_<FLAG>=false
///   traffic-shift        -> kubectl annotate service/<svc> -n <ns> --overwrite
///                           selfheal.io/traffic-shift=<to>:<percent>
/// `nonce` (the engine passes its action id; 0 renders "requested") makes a repeated purge
/// a real change that a watching controller sees.
core::Result<std::vector<std::string>> render_action(const ServiceRef& target,
                                                     const ActionSpec& action,
                                                     int current_replicas = 0,
                                                     std::uint64_t nonce = 0);
/// argv joined by spaces, for display only.
std::string render_command(const std::vector<std::string>& argv);

}  // namespace selfheal::engine
