// The on-call's action is stamped with the time it started (the simulated kubectl call),
// the counterpart of an audit Event's stageTimestamp: both are when the write reached the
// cluster, not when its effect completed.
#include "promote/sim_source.hpp"

namespace selfheal::promote {

std::optional<ChangeKind> audit_kind_of(engine::ActionKind a) {
  switch (a) {
    case engine::ActionKind::kRestart:
    case engine::ActionKind::kScale:
    case engine::ActionKind::kRollback:
      return change_kind_of(a);
    case engine::ActionKind::kCachePurge:
    case engine::ActionKind::kFeatureFlagDisable:
      return ChangeKind::kOther;
    case engine::ActionKind::kTrafficShift:
    case engine::ActionKind::kPage:
      return std::nullopt;
  }
  return std::nullopt;
}

void add_shadow_twin(const sim::Timeline& twin, const std::string& ns, core::Duration offset,
                     const std::string& where, Evidence& into) {
  for (auto o : observations_from_audit(twin.audit)) {
    o.time += offset;
    if (o.resolved_at) *o.resolved_at += offset;
    into.observations.push_back(std::move(o));
  }
  for (const auto& e : twin.events) {
    if (e.kind != sim::EventKind::kActionStarted || e.automated) continue;
    const auto action = engine::parse_action_kind(e.name);
    const auto kind = action ? audit_kind_of(*action) : std::nullopt;
    if (!kind) continue;
    into.person_actions.push_back(
        PersonAction{e.time + offset, {ns, e.service}, *kind, "on-call (simulated)", where});
  }
}

}  // namespace selfheal::promote
