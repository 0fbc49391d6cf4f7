// Actuation: the sim Actuator. Each action takes effect on the model with a real delay
// (API call, rollout, replicas becoming ready) and completes in a later event, never
// inside execute(); duplicate request ids are ignored (idempotent).
#include "sim/world_impl.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace selfheal::sim {

using namespace model;
using engine::ActionKind;

inline void World::Impl::complete_later(Duration delay,
                                        std::function<void(engine::ActionResult)> done,
                                        engine::ActionResult res, std::uint64_t id,
                                        std::string service, bool automated, std::string kind) {
  sim.after(delay, [this, done = std::move(done), res = std::move(res), id,
                    service = std::move(service), automated, kind = std::move(kind)]() {
    auto& e = log(EventKind::kActionFinished, service, kind, res.message);
    e.action_id = id;
    e.success = res.ok;
    e.automated = automated;
    if (done) done(res);
  });
}

inline void World::Impl::execute(const engine::ActionRequest& r,
                                 std::function<void(engine::ActionResult)> done) {
  if (r.id != 0 && !action_ids.insert(r.id).second) {
    auto& e =
        log(EventKind::kActionStarted, r.target.name, std::string(engine::to_string(r.action.kind)),
            "duplicate request ignored (idempotent)");
    e.action_id = r.id;
    e.automated = true;
    return;
  }
  start_action(r.target, r.action, r.argv, r.id, r.timeout, true, std::move(done));
}

inline void World::Impl::start_action(const engine::ServiceRef& target, const engine::ActionSpec& a,
                                      const std::vector<std::string>& argv, std::uint64_t id,
                                      Duration timeout, bool automated,
                                      std::function<void(engine::ActionResult)> done) {
  const std::string kind(engine::to_string(a.kind));
  const int64_t now = now_ms();
  {
    auto& e = log(EventKind::kActionStarted, target.name, kind,
                  argv.empty() ? describe_action(target, a) : join_argv(argv));
    e.action_id = id;
    e.automated = automated;
    if (automated) {
      auto it = last_decision.find(target.key());
      if (it != last_decision.end() && it->second.first == now) e.fingerprint = it->second.second;
    }
  }
  ActionCall c{target,
               a,
               id,
               automated,
               kind,
               now,
               now + std::max<int64_t>(timeout.count(), scrape_ms),
               std::move(done)};
  auto it = by_name.find(target.name);
  if (target.ns != spec.ns || it == by_name.end()) {
    return fail_action(c, "Error from server (NotFound): deployments.apps \"" + target.name +
                              "\" not found in namespace \"" + target.ns + "\"");
  }
  Svc& v = svcs[it->second];
  v.pods_dirty = true;
  switch (a.kind) {
    case ActionKind::kRestart:
      return restart(v, c);
    case ActionKind::kScale:
      return scale(v, c);
    case ActionKind::kRollback:
      return rollback(v, c);
    case ActionKind::kCachePurge:
      return purge_cache(v, c);
    case ActionKind::kFeatureFlagDisable:
      return disable_flag(v, c);
    case ActionKind::kTrafficShift:
      return shift_traffic(v, c);
    case ActionKind::kPage:
      return fail_action(c, "page is not an executable action");
  }
}

inline void World::Impl::fail_action(ActionCall& c, std::string msg) {
  complete_later(kNotFoundDelay, std::move(c.done), {false, std::move(msg), std::nullopt}, c.id,
                 c.target.name, c.automated, c.kind);
}

inline void World::Impl::restart(Svc& v, ActionCall& c) {
  const std::uint32_t t = new_template(v, v.current, "rollout restart");
  waits.push_back({c.id, v.index, true, t, c.deadline, c.automated, std::move(c.done), std::nullopt,
                   "deployment \"" + c.target.name + "\" successfully rolled out"});
}

inline void World::Impl::scale(Svc& v, ActionCall& c) {
  int n = v.desired;
  if (c.a.replicas) {
    n = *c.a.replicas;
  } else if (c.a.factor) {
    n = static_cast<int>(std::ceil(v.desired * *c.a.factor));
  }
  if (c.a.max_replicas) n = std::min(n, *c.a.max_replicas);
  if (c.a.min_replicas) n = std::max(n, *c.a.min_replicas);
  n = std::clamp(n, 0, kMaxReplicas);
  engine::ActionSpec undo;
  undo.kind = ActionKind::kScale;
  undo.replicas = v.desired;
  const int before = v.desired;
  v.desired = n;
  log_at(EventKind::kDeploy, v.index, "scale",
         "replicas " + std::to_string(before) + " -> " + std::to_string(n));
  waits.push_back({c.id, v.index, false, 0, c.deadline, c.automated, std::move(c.done), undo,
                   "deployment.apps/" + c.target.name + " scaled to " + std::to_string(n)});
}

inline void World::Impl::rollback(Svc& v, ActionCall& c) {
  std::size_t to = v.releases.size();
  if (c.a.revision) {
    for (std::size_t k = 0; k < v.releases.size(); ++k) {
      if (v.releases[k].revision == *c.a.revision) to = k;
    }
  } else {
    // helm rollback without a revision: the revision before the current one.
    const int want = v.releases.back().revision - 1;
    for (std::size_t k = 0; k < v.releases.size(); ++k) {
      if (v.releases[k].revision == want) to = k;
    }
  }
  if (to == v.releases.size()) {
    return fail_action(c, "Error: release: not found (no revision " +
                              (c.a.revision ? std::to_string(*c.a.revision)
                                            : std::to_string(v.releases.back().revision - 1)) +
                              " in the history of " + c.target.name + ")");
  }
  engine::ActionSpec undo;
  undo.kind = ActionKind::kRollback;
  undo.revision = v.releases.back().revision;
  Release r = v.releases[to];
  const int from_rev = r.revision;
  r.revision = v.releases.back().revision + 1;
  r.deployed_ms = c.now;
  const std::uint32_t t = deploy_release(v, r, "helm rollback to " + std::to_string(from_rev));
  waits.push_back({c.id, v.index, true, t, c.deadline, c.automated, std::move(c.done), undo,
                   "Rollback was a success! Happy Helming! (revision " + std::to_string(from_rev) +
                       " as " + std::to_string(r.revision) + ")"});
}

inline void World::Impl::purge_cache(Svc& v, ActionCall& c) {
  const bool poisoned = v.poison > 0;
  v.poison = 0.0;
  v.purge_ms = c.now;
  if (poisoned) end_cause_of_kind(v.index, FaultKind::kPoisonedCache, "cache purged");
  complete_later(kQuickActionDelay, std::move(c.done),
                 {true, "cache of " + c.target.name + " purged", std::nullopt}, c.id, c.target.name,
                 c.automated, c.kind);
}

inline void World::Impl::disable_flag(Svc& v, ActionCall& c) {
  auto fl = std::find_if(v.flags.begin(), v.flags.end(),
                         [&](const Flag& f) { return f.name == c.a.flag; });
  if (c.a.flag.empty() || fl == v.flags.end()) {
    return fail_action(c, "feature flag \"" + c.a.flag + "\" not found on " + c.target.name);
  }
  std::string msg = "flag " + c.a.flag + " disabled";
  if (!fl->enabled) msg = "flag " + c.a.flag + " already disabled";
  fl->enabled = false;
  fl->off_at = std::min(fl->off_at, c.now + kFlagPropagation.count());
  for (std::size_t k = 0; k < inc.size(); ++k) {
    const auto& rt = inc[k];
    if (rt.fault < 0 || rt.ended || !rt.started || rt.root != static_cast<std::ptrdiff_t>(v.index))
      continue;
    const FaultSpec& f = spec.faults[static_cast<std::size_t>(rt.fault)];
    const std::string fname =
        f.params.flag.empty() ? "new-" + v.spec->name + "-flow" : f.params.flag;
    if (f.kind == FaultKind::kBadFeatureFlag && fname == c.a.flag) {
      inc[k].ended = true;  // the flag is off: the cause is gone
      tl.incidents[k].end = sim.now();
      auto& e = log_at(EventKind::kFaultEnd, v.index, "bad-feature-flag", msg);
      e.incident = tl.incidents[k].truth.id;
    }
  }
  complete_later(kQuickActionDelay, std::move(c.done), {true, msg, std::nullopt}, c.id,
                 c.target.name, c.automated, c.kind);
}

inline void World::Impl::shift_traffic(Svc& v, ActionCall& c) {
  engine::ActionSpec undo;
  undo.kind = ActionKind::kTrafficShift;
  undo.traffic_share = v.shift;
  undo.to = c.a.to;
  v.shift = std::clamp(c.a.traffic_share.value_or(kDefaultShiftShare), 0.0, 1.0);
  auto to = by_name.find(c.a.to);
  v.shift_to = to == by_name.end() ? -1 : static_cast<std::ptrdiff_t>(to->second);
  if (v.shift_to >= 0) {
    any_shift = true;
    shift_in.assign(svcs.size(), 0.0);
  }
  complete_later(kQuickActionDelay * 2, std::move(c.done),
                 {true,
                  "shifted " + fmt(v.shift) + " of " + c.target.name + " traffic to " +
                      (c.a.to.empty() ? std::string("another region") : c.a.to),
                  undo},
                 c.id, c.target.name, c.automated, c.kind);
}

inline std::string World::Impl::describe_action(const engine::ServiceRef& t,
                                                const engine::ActionSpec& a) {
  switch (a.kind) {
    case ActionKind::kRestart:
      return "kubectl rollout restart deployment/" + t.name + " -n " + t.ns;
    case ActionKind::kScale:
      return "kubectl scale deployment/" + t.name + " -n " + t.ns + " --replicas=" +
             (a.replicas
                  ? std::to_string(*a.replicas)
                  : "x" + fmt(a.factor.value_or(1.0)) +
                        (a.max_replicas ? " (max " + std::to_string(*a.max_replicas) + ")" : ""));
    case ActionKind::kRollback:
      return "helm rollback " + t.name + (a.revision ? " " + std::to_string(*a.revision) : "") +
             " -n " + t.ns;
    case ActionKind::kCachePurge:
      return "purge cache of " + t.key();
    case ActionKind::kFeatureFlagDisable:
      return "disable feature flag " + a.flag + " on " + t.key();
    case ActionKind::kTrafficShift:
      return "shift " + fmt(a.traffic_share.value_or(kDefaultShiftShare)) + " of " + t.key() +
             " traffic to " + a.to;
    case ActionKind::kPage:
      return "page";
  }
  return {};
}

inline void World::Impl::check_waits(TimePoint at) {
  const int64_t now = core::to_unix_ms(at);
  for (std::size_t k = 0; k < waits.size();) {
    Wait& w = waits[k];
    const Svc& v = svcs[w.svc];
    bool finished = false;
    engine::ActionResult res;
    if (w.rollout) {
      if (v.completed_tmpl >= w.tmpl) {
        finished = true;
        res = {true, w.ok_message, w.undo};
      }
    } else if (v.ready >= v.desired && static_cast<int>(v.pods.size()) >= v.desired) {
      int ready = 0, other = 0;
      for (const auto& p : v.pods) {
        if (p.phase == Phase::kRunning)
          ++ready;
        else if (p.phase != Phase::kTerminating && p.phase != Phase::kGone)
          ++other;
      }
      if (ready == v.desired && other == 0) {
        finished = true;
        res = {true, w.ok_message, w.undo};
      }
    }
    if (!finished && now >= w.deadline) {
      finished = true;
      int pending = 0;
      for (const auto& p : v.pods)
        pending += p.phase == Phase::kPending;
      std::string why = w.rollout ? "error: timed out waiting for the rollout of " + v.spec->name
                                  : "timed out waiting for " + std::to_string(v.desired) +
                                        " ready replicas of " + v.spec->name + " (" +
                                        std::to_string(v.ready) + " ready";
      if (!w.rollout) why += ", " + std::to_string(pending) + " Pending)";
      if (pending > 0) why += ": cluster capacity exhausted";
      res = {false, why, w.undo};
    }
    if (!finished) {
      ++k;
      continue;
    }
    auto& e = log_at(EventKind::kActionFinished, v.index,
                     w.rollout ? std::string("rollout") : std::string("scale"), res.message);
    e.action_id = w.id;
    e.success = res.ok;
    e.automated = w.automated;
    completions.emplace_back(std::move(w.done), std::move(res));
    waits.erase(waits.begin() + static_cast<std::ptrdiff_t>(k));
  }
}

// What `kubectl get deployment` would say of the model: the controller observes a spec
// change at once (generation == observed); replicas are the pods that still count (not
// terminating, lost or gone), updated those of the current template, available the Running.
inline engine::DeploymentStatus World::Impl::deployment_status(
    const engine::ServiceRef& target) const {
  engine::DeploymentStatus d;
  auto it = by_name.find(target.name);
  if (target.ns != spec.ns || it == by_name.end()) {
    d.observed = true;
    d.error = "deployments.apps \"" + target.name + "\" not found";
    return d;
  }
  const Svc& v = svcs[it->second];
  d.observed = true;
  d.generation = d.observed_generation = static_cast<std::int64_t>(v.tmpl) + 1;
  d.desired = v.desired;
  for (const auto& p : v.pods) {
    if (p.phase == Phase::kTerminating || p.phase == Phase::kLost || p.phase == Phase::kGone)
      continue;
    ++d.replicas;
    d.updated += p.tmpl == v.tmpl;
    d.available += p.phase == Phase::kRunning;
  }
  return d;
}

}  // namespace selfheal::sim
