// What people did to workloads, read from the Kubernetes API server's audit log: JSON lines
// of `audit.k8s.io/v1` Events, as the API server's log backend writes them
// (--audit-log-path). Only what `selfheal promote` compares with the engine's shadow and
// recommend decisions is kept: a completed, allowed write by a person on a workload.
//
//   core::Diagnostics diags;
//   auto acts = promote::read_k8s_audit_file("audit.log", diags);   // nullopt: diags says why
//
// What counts (docs/promote.md):
//   - stage `ResponseComplete`, response code < 400, verb create/update/patch/delete;
//   - a person: a username not starting with `system:` (controllers, service accounts and
//     selfheal itself in auto mode use `system:` names);
//   - resources deployments / statefulsets / daemonsets (and their `scale` subresource).
// The kind of change:
//   - restart: the pod template's `kubectl.kubernetes.io/restartedAt` annotation is set
//     (`kubectl rollout restart`);
//   - scale: the `scale` subresource, or a patch whose only spec field is `replicas`;
//   - rollback: a JSON patch replacing `/spec/template` (`kubectl rollout undo`);
//   - other: any other write (an edit, an image change, a Helm upgrade or rollback — Helm's
//     writes cannot be told apart from the API server's side).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "engine/types.hpp"

namespace selfheal::promote {

enum class ChangeKind { kRestart, kScale, kRollback, kOther };
std::string_view to_string(ChangeKind k);
/// The change kind an engine action corresponds to; nullopt for actions a person's
/// workload write cannot show (cache purge, feature flag, traffic shift, page).
std::optional<ChangeKind> change_kind_of(engine::ActionKind a);

/// One write by a person to a workload.
struct PersonAction {
  core::TimePoint time{};  ///< stageTimestamp (when the write completed)
  engine::ServiceRef target;
  ChangeKind kind = ChangeKind::kOther;
  std::string user;
  std::string where;  ///< "audit.log:12", for the evidence
};

/// Reads `text` (one JSON document per line; blank lines skipped). A line that is not a
/// JSON object, or an Event without the fields used, is an error naming `file:line` and
/// the field; every such line is reported, and the result is nullopt if there was any.
std::optional<std::vector<PersonAction>> parse_k8s_audit(std::string_view text,
                                                         const std::string& file,
                                                         core::Diagnostics& diags);
/// config::read_file (bounded) then parse_k8s_audit.
std::optional<std::vector<PersonAction>> read_k8s_audit_file(const std::string& path,
                                                             core::Diagnostics& diags);

}  // namespace selfheal::promote
