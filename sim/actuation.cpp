// Actuation: the sim Actuator. Each action takes effect on the model with a real delay
// (API call, rollout, replicas becoming ready) and completes in a later event, never
// inside execute(); duplicate request ids are ignored (idempotent). The order of its events
// on the kernel and of its log entries is part of a run's determinism.
#include "sim/actuation.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace selfheal::sim {

using namespace model;
using engine::ActionKind;

Actuation::Actuation(std::string ns, core::Duration scrape_interval, Simulation& sim, Env& env)
    : ns_(std::move(ns)), scrape_(scrape_interval), sim_(sim), env_(env) {}

void Actuation::complete_later(core::Duration delay, Call& c, engine::ActionResult res) {
  sim_.after(delay, [this, done = std::move(c.done), res = std::move(res), id = c.id,
                     service = c.target.name, automated = c.automated, kind = c.kind]() {
    auto& e = env_.log(EventKind::kActionFinished, service, kind, res.message);
    e.action_id = id;
    e.success = res.ok;
    e.automated = automated;
    if (done) done(res);
  });
}

void Actuation::execute(const engine::ActionRequest& r, Done done) {
  if (r.id != 0 && !action_ids_.insert(r.id).second) {
    auto& e = env_.log(EventKind::kActionStarted, r.target.name,
                       std::string(engine::to_string(r.action.kind)),
                       "duplicate request ignored (idempotent)");
    e.action_id = r.id;
    e.automated = true;
    return;
  }
  start(r.target, r.action, r.argv, r.id, r.timeout, true, std::move(done));
}

void Actuation::start(const engine::ServiceRef& target, const engine::ActionSpec& a,
                      const std::vector<std::string>& argv, std::uint64_t id,
                      core::Duration timeout, bool automated, Done done) {
  const std::string kind(engine::to_string(a.kind));
  const core::TimePoint now = sim_.now();
  {
    auto& e = env_.log(EventKind::kActionStarted, target.name, kind,
                       argv.empty() ? describe_action(target, a) : join_argv(argv));
    e.action_id = id;
    e.automated = automated;
    if (automated) {
      auto it = last_decision_.find(target.key());
      if (it != last_decision_.end() && it->second.first == now) e.fingerprint = it->second.second;
    }
  }
  Call c{target, a, id, automated, kind, now, now + std::max(timeout, scrape_), std::move(done)};
  const std::ptrdiff_t found = target.ns == ns_ ? env_.service_index(target.name) : -1;
  if (found < 0) {
    return fail(c, "Error from server (NotFound): deployments.apps \"" + target.name +
                       "\" not found in namespace \"" + target.ns + "\"");
  }
  Svc& v = env_.service(static_cast<std::size_t>(found));
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
      return fail(c, "page is not an executable action");
  }
}

void Actuation::fail(Call& c, std::string msg) {
  complete_later(kNotFoundDelay, c, {false, std::move(msg), std::nullopt});
}

void Actuation::restart(Svc& v, Call& c) {
  const std::uint32_t t = env_.restart(v, "rollout restart");
  waits_.push_back({c.id, v.index, true, t, c.deadline, c.automated, std::move(c.done),
                    std::nullopt, "deployment \"" + c.target.name + "\" successfully rolled out"});
}

void Actuation::scale(Svc& v, Call& c) {
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
  env_.log_at(EventKind::kDeploy, v.index, "scale",
              "replicas " + std::to_string(before) + " -> " + std::to_string(n));
  waits_.push_back({c.id, v.index, false, 0, c.deadline, c.automated, std::move(c.done), undo,
                    "deployment.apps/" + c.target.name + " scaled to " + std::to_string(n)});
}

void Actuation::rollback(Svc& v, Call& c) {
  std::size_t to = v.releases.size();
  // helm rollback without a revision: the revision before the current one.
  const int want = c.a.revision ? *c.a.revision : v.releases.back().revision - 1;
  for (std::size_t k = 0; k < v.releases.size(); ++k) {
    if (v.releases[k].revision == want) to = k;
  }
  if (to == v.releases.size()) {
    return fail(c, "Error: release: not found (no revision " + std::to_string(want) +
                       " in the history of " + c.target.name + ")");
  }
  engine::ActionSpec undo;
  undo.kind = ActionKind::kRollback;
  undo.revision = v.releases.back().revision;
  Release r = v.releases[to];
  const int from_rev = r.revision;
  r.revision = v.releases.back().revision + 1;
  r.deployed = c.now;
  const std::uint32_t t = env_.deploy(v, r, "helm rollback to " + std::to_string(from_rev));
  waits_.push_back({c.id, v.index, true, t, c.deadline, c.automated, std::move(c.done), undo,
                    "Rollback was a success! Happy Helming! (revision " + std::to_string(from_rev) +
                        " as " + std::to_string(r.revision) + ")"});
}

void Actuation::purge_cache(Svc& v, Call& c) {
  const bool poisoned = v.poison > 0;
  v.poison = 0.0;
  v.purged = c.now;
  env_.cache_purged(v.index, poisoned);
  complete_later(kQuickActionDelay, c,
                 {true, "cache of " + c.target.name + " purged", std::nullopt});
}

// Also ends a bad-feature-flag incident whose flag this is (the cause is gone).
void Actuation::disable_flag(Svc& v, Call& c) {
  auto fl = std::find_if(v.flags.begin(), v.flags.end(),
                         [&](const Flag& f) { return f.name == c.a.flag; });
  if (c.a.flag.empty() || fl == v.flags.end()) {
    return fail(c, "feature flag \"" + c.a.flag + "\" not found on " + c.target.name);
  }
  std::string msg = "flag " + c.a.flag + " disabled";
  if (!fl->enabled) msg = "flag " + c.a.flag + " already disabled";
  fl->enabled = false;
  fl->off_at = std::min(fl->off_at, c.now + kFlagPropagation);
  env_.flag_disabled(v.index, c.a.flag, msg);
  complete_later(kQuickActionDelay, c, {true, msg, std::nullopt});
}

void Actuation::shift_traffic(Svc& v, Call& c) {
  engine::ActionSpec undo;
  undo.kind = ActionKind::kTrafficShift;
  undo.traffic_share = v.shift;
  undo.to = c.a.to;
  v.shift = std::clamp(c.a.traffic_share.value_or(kDefaultShiftShare), 0.0, 1.0);
  v.shift_to = env_.service_index(c.a.to);
  if (v.shift_to >= 0) env_.traffic_shifted();
  complete_later(kQuickActionDelay * 2, c,
                 {true,
                  "shifted " + fmt(v.shift) + " of " + c.target.name + " traffic to " +
                      (c.a.to.empty() ? std::string("another region") : c.a.to),
                  undo});
}

std::string describe_action(const engine::ServiceRef& t, const engine::ActionSpec& a) {
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

std::optional<engine::ActionResult> Actuation::finished(const Wait& w, core::TimePoint now) {
  const Svc& v = env_.service(w.svc);
  if (w.rollout) {
    if (v.completed_tmpl >= w.tmpl) return engine::ActionResult{true, w.ok_message, w.undo};
  } else if (v.ready >= v.desired && static_cast<int>(v.pods.size()) >= v.desired) {
    int ready = 0, other = 0;
    for (const auto& p : v.pods) {
      if (p.phase == Phase::kRunning)
        ++ready;
      else if (p.phase != Phase::kTerminating && p.phase != Phase::kGone)
        ++other;
    }
    if (ready == v.desired && other == 0) return engine::ActionResult{true, w.ok_message, w.undo};
  }
  if (now < w.deadline) return std::nullopt;
  int pending = 0;
  for (const auto& p : v.pods)
    pending += p.phase == Phase::kPending;
  std::string why = w.rollout ? "error: timed out waiting for the rollout of " + v.spec->name
                              : "timed out waiting for " + std::to_string(v.desired) +
                                    " ready replicas of " + v.spec->name + " (" +
                                    std::to_string(v.ready) + " ready";
  if (!w.rollout) why += ", " + std::to_string(pending) + " Pending)";
  if (pending > 0) why += ": cluster capacity exhausted";
  return engine::ActionResult{false, why, w.undo};
}

void Actuation::check_waits(core::TimePoint now) {
  for (std::size_t k = 0; k < waits_.size();) {
    Wait& w = waits_[k];
    std::optional<engine::ActionResult> res = finished(w, now);
    if (!res) {
      ++k;
      continue;
    }
    auto& e = env_.log_at(EventKind::kActionFinished, w.svc,
                          w.rollout ? std::string("rollout") : std::string("scale"), res->message);
    e.action_id = w.id;
    e.success = res->ok;
    e.automated = w.automated;
    completions_.emplace_back(std::move(w.done), std::move(*res));
    waits_.erase(waits_.begin() + static_cast<std::ptrdiff_t>(k));
  }
}

void Actuation::decision_executed(const std::string& target_key, std::string incident) {
  last_decision_[target_key] = {sim_.now(), std::move(incident)};
}

// What `kubectl get deployment` would say of the model: the controller observes a spec
// change at once (generation == observed); replicas are the pods that still count (not
// terminating, lost or gone), updated those of the current template, available the Running.
engine::DeploymentStatus Actuation::deployment(const engine::ServiceRef& target) {
  engine::DeploymentStatus d;
  const std::ptrdiff_t found = target.ns == ns_ ? env_.service_index(target.name) : -1;
  d.observed = true;
  if (found < 0) {
    d.error = "deployments.apps \"" + target.name + "\" not found";
    return d;
  }
  const Svc& v = env_.service(static_cast<std::size_t>(found));
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
