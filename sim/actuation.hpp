// Actuation, a part of the simulated world that owns its own state: the simulated Actuator
// (kubectl, helm and API actions) with the actions waiting on the model, the request ids
// seen (duplicates are ignored: idempotent), the results ready to hand out and the engine's
// last executed decision per target. Each action takes effect on the model with a real
// delay (API call, rollout, replicas becoming ready) and completes in a later event, never
// inside execute(). What it needs of the rest of the world it asks through
// `Actuation::Env`; its own delays are events on the kernel (`Simulation`).
//
//   Actuation act{spec.ns, spec.scrape_interval, sim, env};
//   act.execute(request, Actuation::Owed{receiver, request.id});  // logs "action-started"
//   // every scrape tick, after the services:
//   act.check_waits(sim.now());
//   for (auto& [owed, result] : act.take_completions()) env.deliver(owed, result);
//
// A wait (rollout complete, replicas ready) gives up at its deadline: start time plus the
// request's timeout, at least one scrape interval. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "engine/ports.hpp"
#include "sim/model_types.hpp"
#include "sim/simulation.hpp"
#include "sim/timeline.hpp"

namespace selfheal::sim {

/// The command line an operator would type for `a` on `t`, e.g. "kubectl rollout restart
/// deployment/payment-api -n prod" (timeline details and page summaries).
std::string describe_action(const engine::ServiceRef& t, const engine::ActionSpec& a);

class Actuation final : public EventTarget {
 public:
  /// To whom an action's result is owed, as data (so the state copies): the world's number
  /// for the engine's Callbacks and the request id; an empty one (the on-call's actions, an
  /// intervention's) is owed to no one.
  struct Owed {
    std::uint32_t receiver = 0;
    std::uint64_t request = 0;
    bool set = false;
    explicit operator bool() const { return set; }
  };
  /// A finished action's receiver and result, handed out after the tick.
  using Completion = std::pair<Owed, engine::ActionResult>;

  /// What actuation asks of the rest of the world: named operations on the parts an action
  /// changes (pods & rollouts, traffic & service physics, faults) and the timeline's log.
  class Env {
   public:
    virtual ~Env() = default;
    /// A service's index by name, or -1 when the world has no such service.
    virtual std::ptrdiff_t service_index(std::string_view name) const = 0;
    /// Service `svc`'s pods, releases and rollout state (the pods part's record), to read.
    virtual const model::PodSet& pods(std::size_t svc) const = 0;
    /// An action on `svc` changes its pods or what they serve: the next tick re-derives
    /// their stats.
    virtual void touch(std::size_t svc) = 0;
    /// Rolls out a new pod template of svc's current release; returns its generation.
    virtual std::uint32_t restart(std::size_t svc, const std::string& why) = 0;
    /// Upgrades (or rolls back) svc to release `r`; returns the new template's generation.
    virtual std::uint32_t deploy(std::size_t svc, model::Release r, const std::string& why) = 0;
    /// The Deployment's replicas.
    virtual void set_desired(std::size_t svc, int replicas) = 0;
    /// Purges svc's cache at `now` (its callers' calls warm up again); a poisoned-cache
    /// incident rooted there is over.
    virtual void purge_cache(std::size_t svc, core::TimePoint now) = 0;
    /// Turns feature flag `flag` of svc off, taking effect at `effective` (or earlier if it
    /// already was off); returns whether it was on, or nullopt when svc has no such flag.
    virtual std::optional<bool> disable_flag(std::size_t svc, const std::string& flag,
                                             core::TimePoint effective) = 0;
    /// Feature flag `flag` of `svc` was turned off: a bad-feature-flag incident with that
    /// flag is over (logged with `detail`).
    virtual void flag_disabled(std::size_t svc, const std::string& flag,
                               const std::string& detail) = 0;
    /// Shifts `share` of svc's external traffic to service `to` (-1: out of the world);
    /// returns the share shifted before.
    virtual double shift_traffic(std::size_t svc, double share, std::ptrdiff_t to) = 0;
    /// Hands a result to whom it is owed (the engine's Callbacks the number stands for).
    virtual void deliver(const Owed& to, engine::ActionResult result) = 0;
    /// Appends an event to the timeline, attributed to the service's incident.
    virtual TimelineEvent& log(EventKind kind, std::string service, std::string name,
                               std::string detail) = 0;
    virtual TimelineEvent& log_at(EventKind kind, std::size_t svc, std::string name,
                                  std::string detail) = 0;
  };

  /// `sim` and `env` must outlive the Actuation. Actions on another namespace than `ns` find
  /// no Deployment.
  Actuation(std::string ns, core::Duration scrape_interval, Simulation& sim, Env& env);
  /// A copy of `o`'s state (waits, request ids, results, completions due, to whom each is
  /// owed) for another world: `sim` (a copy of o's, where this registers as the same target
  /// number) and `env`.
  Actuation(const Actuation& o, Simulation& sim, Env& env);

  /// The engine's Actuator: a request id seen before is logged and ignored.
  void execute(const engine::ActionRequest& r, Owed done);
  /// Starts action `a` on `target` (logged; `argv` is the command line, or describe_action).
  /// `automated` false: by hand (the on-call), no request id.
  void start(const engine::ServiceRef& target, const engine::ActionSpec& a,
             const std::vector<std::string>& argv, std::uint64_t id, core::Duration timeout,
             bool automated, Owed done);
  /// What `kubectl get deployment` would say of the model now.
  engine::DeploymentStatus deployment(const engine::ServiceRef& target);
  /// Finishes the waits whose state the model reached or whose deadline passed at `now`
  /// (logged); their results wait for take_completions().
  void check_waits(core::TimePoint now);
  /// The results finished since the last call, in the order they finished.
  std::vector<Completion> take_completions() { return std::exchange(completions_, {}); }
  /// The engine executed a decision on `target_key` (namespace/name) for `incident` now:
  /// an automated action started at this instant on that target is linked to it.
  void decision_executed(const std::string& target_key, std::string incident);
  /// Actions waiting on the model.
  std::size_t waiting() const { return waits_.size(); }

 private:
  /// An action waiting for the model to reach a state (rollout complete, pods ready).
  struct Wait {
    std::uint64_t id = 0;
    std::size_t svc = 0;
    bool rollout = false;  // else: scale (ready >= desired)
    std::uint32_t tmpl = 0;
    core::TimePoint deadline{};
    bool automated = true;
    Owed done;
    std::optional<engine::ActionSpec> undo;
    std::string ok_message;
  };
  /// One start() call, handed to the action kinds' handlers below.
  struct Call {
    const engine::ServiceRef& target;
    const engine::ActionSpec& a;
    std::uint64_t id;
    bool automated;
    std::string kind;  // engine::to_string(a.kind)
    core::TimePoint now;
    core::TimePoint deadline;  // waits give up here: now + max(timeout, one scrape)
    Owed done;
  };
  void complete_later(core::Duration delay, Call& c, engine::ActionResult res);
  /// A completion due later: logged, then handed to `done` (its event's a = the key in
  /// later_).
  struct Later {
    std::uint64_t id = 0;
    std::string service;
    bool automated = true;
    std::string kind;
    engine::ActionResult res;
    Owed done;
  };
  void on_event(const Event& e) override;
  Actuation(const Actuation&) = default;  // the state; the public copy above rebinds the rest
  /// Completes `c` as failed after kNotFoundDelay (unknown object, unsupported action).
  void fail(Call& c, std::string msg);
  void restart(std::size_t svc, Call& c);
  void scale(std::size_t svc, Call& c);
  void rollback(std::size_t svc, Call& c);
  void purge_cache(std::size_t svc, Call& c);
  void disable_flag(std::size_t svc, Call& c);
  void shift_traffic(std::size_t svc, Call& c);
  /// Whether w's state is reached, or its deadline passed at `now`; then its result.
  std::optional<engine::ActionResult> finished(const Wait& w, core::TimePoint now);

  std::string ns_;
  core::Duration scrape_;
  Simulation* sim_;
  Env* env_;
  TargetId target_;
  std::vector<Wait> waits_;
  std::map<std::uint64_t, Later> later_;  // completions due, by the order they were started
  std::uint64_t next_later_ = 0;
  std::unordered_set<std::uint64_t> action_ids_;
  std::vector<Completion> completions_;
  /// target key -> (instant, incident fingerprint) of the engine's last executed decision.
  std::map<std::string, std::pair<core::TimePoint, std::string>> last_decision_;
};

}  // namespace selfheal::sim
