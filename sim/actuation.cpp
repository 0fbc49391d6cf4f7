// Actuation: the sim Actuator. Each action takes effect on the model with a real delay
// (API call, rollout, replicas becoming ready) and completes in a later event, never
// inside execute(); duplicate request ids are ignored (idempotent). The order of its events
// on the kernel and of its log entries is part of a run's determinism.
#include "sim/actuation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace selfheal::sim {

using namespace model;
using engine::ActionKind;

Actuation::Actuation(std::string ns, core::Duration scrape_interval, Simulation& sim, Env& env)
    : ns_(std::move(ns)),
      scrape_(scrape_interval),
      sim_(&sim),
      env_(&env),
      target_(sim.add_target(*this)) {}

Actuation::Actuation(const Actuation& o, Simulation& sim, Env& env) : Actuation(o) {
  sim_ = &sim;
  env_ = &env;
  sim.add_target_as(*this, target_, "Actuation");
}

void Actuation::complete_later(core::Duration delay, Call& c, engine::ActionResult res) {
  const std::uint64_t key = next_later_++;
  later_.emplace(
      key, Later{c.id, c.target.name, c.automated, c.kind, std::move(res), std::move(c.done)});
  sim_->after(delay, target_, Event{0, key, 0});
}

void Actuation::on_event(const Event& e) {
  // Out of the table first: `done` may start another action.
  auto node = later_.extract(e.a);
  if (!node) throw std::logic_error("Actuation: an event for a completion not due");
  const Later& l = node.mapped();
  auto& ev = env_->log(EventKind::kActionFinished, l.service, l.kind, l.res.message);
  ev.action_id = l.id;
  ev.success = l.res.ok;
  ev.automated = l.automated;
  if (l.done) env_->deliver(l.done, l.res);
}

void Actuation::execute(const engine::ActionRequest& r, Owed done) {
  if (r.id != 0 && !action_ids_.insert(r.id).second) {
    auto& e = env_->log(EventKind::kActionStarted, r.target.name,
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
                      core::Duration timeout, bool automated, Owed done) {
  const std::string kind(engine::to_string(a.kind));
  const core::TimePoint now = sim_->now();
  {
    auto& e = env_->log(EventKind::kActionStarted, target.name, kind,
                        argv.empty() ? describe_action(target, a) : join_argv(argv));
    e.action_id = id;
    e.automated = automated;
    if (automated) {
      auto it = last_decision_.find(target.key());
      if (it != last_decision_.end() && it->second.first == now) e.fingerprint = it->second.second;
    }
  }
  Call c{target, a, id, automated, kind, now, now + std::max(timeout, scrape_), std::move(done)};
  const std::ptrdiff_t found = target.ns == ns_ ? env_->service_index(target.name) : -1;
  if (found < 0) {
    return fail(c, "Error from server (NotFound): deployments.apps \"" + target.name +
                       "\" not found in namespace \"" + target.ns + "\"");
  }
  const auto svc = static_cast<std::size_t>(found);
  env_->touch(svc);
  switch (a.kind) {
    case ActionKind::kRestart:
      return restart(svc, c);
    case ActionKind::kScale:
      return scale(svc, c);
    case ActionKind::kRollback:
      return rollback(svc, c);
    case ActionKind::kCachePurge:
      return purge_cache(svc, c);
    case ActionKind::kFeatureFlagDisable:
      return disable_flag(svc, c);
    case ActionKind::kTrafficShift:
      return shift_traffic(svc, c);
    case ActionKind::kPage:
      return fail(c, "page is not an executable action");
  }
}

void Actuation::fail(Call& c, std::string msg) {
  complete_later(kNotFoundDelay, c, {false, std::move(msg), std::nullopt});
}

void Actuation::restart(std::size_t svc, Call& c) {
  const std::uint32_t t = env_->restart(svc, "rollout restart");
  waits_.push_back({c.id, svc, true, t, c.deadline, c.automated, std::move(c.done), std::nullopt,
                    "deployment \"" + c.target.name + "\" successfully rolled out"});
}

void Actuation::scale(std::size_t svc, Call& c) {
  const int before = env_->pods(svc).desired;
  int n = before;
  if (c.a.replicas) {
    n = *c.a.replicas;
  } else if (c.a.factor) {
    n = static_cast<int>(std::ceil(before * *c.a.factor));
  }
  if (c.a.max_replicas) n = std::min(n, *c.a.max_replicas);
  if (c.a.min_replicas) n = std::max(n, *c.a.min_replicas);
  n = std::clamp(n, 0, kMaxReplicas);
  engine::ActionSpec undo;
  undo.kind = ActionKind::kScale;
  undo.replicas = before;
  env_->set_desired(svc, n);
  env_->log_at(EventKind::kDeploy, svc, "scale",
               "replicas " + std::to_string(before) + " -> " + std::to_string(n));
  waits_.push_back({c.id, svc, false, 0, c.deadline, c.automated, std::move(c.done), undo,
                    "deployment.apps/" + c.target.name + " scaled to " + std::to_string(n)});
}

void Actuation::rollback(std::size_t svc, Call& c) {
  const std::vector<Release>& releases = env_->pods(svc).releases;
  std::size_t to = releases.size();
  // helm rollback without a revision: the revision before the current one.
  const int want = c.a.revision ? *c.a.revision : releases.back().revision - 1;
  for (std::size_t k = 0; k < releases.size(); ++k) {
    if (releases[k].revision == want) to = k;
  }
  if (to == releases.size()) {
    return fail(c, "Error: release: not found (no revision " + std::to_string(want) +
                       " in the history of " + c.target.name + ")");
  }
  engine::ActionSpec undo;
  undo.kind = ActionKind::kRollback;
  undo.revision = releases.back().revision;
  Release r = releases[to];
  const int from_rev = r.revision;
  r.revision = releases.back().revision + 1;
  r.deployed = c.now;
  const std::uint32_t t = env_->deploy(svc, r, "helm rollback to " + std::to_string(from_rev));
  waits_.push_back({c.id, svc, true, t, c.deadline, c.automated, std::move(c.done), undo,
                    "Rollback was a success! Happy Helming! (revision " + std::to_string(from_rev) +
                        " as " + std::to_string(r.revision) + ")"});
}

void Actuation::purge_cache(std::size_t svc, Call& c) {
  env_->purge_cache(svc, c.now);
  complete_later(kQuickActionDelay, c,
                 {true, "cache of " + c.target.name + " purged", std::nullopt});
}

// Also ends a bad-feature-flag incident whose flag this is (the cause is gone).
void Actuation::disable_flag(std::size_t svc, Call& c) {
  const std::optional<bool> was_on =
      c.a.flag.empty() ? std::nullopt : env_->disable_flag(svc, c.a.flag, c.now + kFlagPropagation);
  if (!was_on) {
    return fail(c, "feature flag \"" + c.a.flag + "\" not found on " + c.target.name);
  }
  const std::string msg = "flag " + c.a.flag + (*was_on ? " disabled" : " already disabled");
  env_->flag_disabled(svc, c.a.flag, msg);
  complete_later(kQuickActionDelay, c, {true, msg, std::nullopt});
}

void Actuation::shift_traffic(std::size_t svc, Call& c) {
  engine::ActionSpec undo;
  undo.kind = ActionKind::kTrafficShift;
  const double share = std::clamp(c.a.traffic_share.value_or(kDefaultShiftShare), 0.0, 1.0);
  undo.traffic_share = env_->shift_traffic(svc, share, env_->service_index(c.a.to));
  undo.to = c.a.to;
  complete_later(kQuickActionDelay * 2, c,
                 {true,
                  "shifted " + fmt(share) + " of " + c.target.name + " traffic to " +
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
  const model::PodSet& v = env_->pods(w.svc);
  if (w.rollout) {
    if (v.completed_tmpl >= w.tmpl) return engine::ActionResult{true, w.ok_message, w.undo};
  } else if (v.stats.ready >= v.desired && static_cast<int>(v.pods.size()) >= v.desired) {
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
                                    std::to_string(v.stats.ready) + " ready";
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
    auto& e = env_->log_at(EventKind::kActionFinished, w.svc,
                           w.rollout ? std::string("rollout") : std::string("scale"), res->message);
    e.action_id = w.id;
    e.success = res->ok;
    e.automated = w.automated;
    completions_.emplace_back(std::move(w.done), std::move(*res));
    waits_.erase(waits_.begin() + static_cast<std::ptrdiff_t>(k));
  }
}

void Actuation::decision_executed(const std::string& target_key, std::string incident) {
  last_decision_[target_key] = {sim_->now(), std::move(incident)};
}

// What `kubectl get deployment` would say of the model: the controller observes a spec
// change at once (generation == observed); replicas are the pods that still count (not
// terminating, lost or gone), updated those of the current template, available the Running.
engine::DeploymentStatus Actuation::deployment(const engine::ServiceRef& target) {
  engine::DeploymentStatus d;
  const std::ptrdiff_t found = target.ns == ns_ ? env_->service_index(target.name) : -1;
  d.observed = true;
  if (found < 0) {
    d.error = "deployments.apps \"" + target.name + "\" not found";
    return d;
  }
  const model::PodSet& v = env_->pods(static_cast<std::size_t>(found));
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
