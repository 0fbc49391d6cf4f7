// Faults and incidents, a part of the simulated world that owns its own state: the runtime
// of every ground-truth incident (the scenario's faults, then its planned events), the
// incidents still tracked, and the random stream of each intermittent fault. It starts and
// ends each incident at its scenario time (events on the kernel, `Simulation`), applies and
// removes the cause's effect on the model, attributes timeline events to the incident
// active on a service, and tracks each incident's impact and recovery. Its records are
// Timeline::incidents (indexes `k` below); what it needs of the rest of the world it asks
// through `Faults::Env`.
//
//   Faults faults{spec, tl, sim, env, options.recovery_hold};
//   faults.start();  // tl.incidents; every start, end and intermittent phase scheduled
//   // every scrape tick, after the services:
//   faults.track(sim.now());             // impact and recovery
//   std::ptrdiff_t k = faults.attribute(svc);  // the incident an event on svc belongs to
//
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "engine/ports.hpp"
#include "sim/cluster_spec.hpp"
#include "sim/model_types.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"
#include "sim/timeline.hpp"

namespace selfheal::sim {

class Faults final : public EventTarget {
 public:
  /// What faults ask of the rest of the world: named operations on the parts a cause
  /// changes (pods & rollouts, traffic & service physics), the cluster's pod slots, and the
  /// timeline's log. A cause never writes another part's state itself.
  class Env {
   public:
    virtual ~Env() = default;
    /// Services in the world (indexes are spec order).
    virtual std::size_t services() const = 0;
    /// A service's index by name, or -1 when the world has no such service.
    virtual std::ptrdiff_t service_index(std::string_view name) const = 0;
    /// Whether `svc` was within its objectives on the latest tick.
    virtual bool within_objectives(std::size_t svc) const = 0;

    // ---- pods & rollouts (sim/pods.hpp)
    /// Service `svc`'s pods and releases, to read.
    virtual const model::PodSet& pods(std::size_t svc) const = 0;
    /// Something changed what `svc`'s pods serve: the next tick re-derives their stats.
    virtual void touch(std::size_t svc) = 0;
    /// A memory leak of `mb_per_min` per container starts or ends.
    virtual void add_leak(std::size_t svc, double mb_per_min) = 0;
    virtual void remove_leak(std::size_t svc, double mb_per_min) = 0;
    /// Runaway threads take `severity` of every live pod's capacity; returns the pods hit.
    virtual int start_hog(std::size_t svc, double severity) = 0;
    virtual void end_hog(std::size_t svc) = 0;
    /// Every live pod's consumer is stuck; returns the pods hit.
    virtual int stall(std::size_t svc) = 0;
    virtual void end_stall(std::size_t svc) = 0;
    /// Up to `pods` serving pods are lost, replaced at `replace_at`; returns how many.
    virtual int lose_pods(std::size_t svc, int pods, core::TimePoint replace_at) = 0;
    /// A helm upgrade of `svc` to release `rs`, deployed now (a planned deploy window).
    virtual void upgrade(std::size_t svc, const ReleaseSpec& rs, const std::string& why) = 0;
    /// A helm upgrade of `svc` to release `r` (a bad deploy).
    virtual void deploy(std::size_t svc, model::Release r, const std::string& why) = 0;
    /// Takes `slots` pod slots out of the cluster (returned with a negative count);
    /// false when the cluster's capacity is unbounded (nothing taken).
    virtual bool take_capacity(std::int64_t slots) = 0;

    // ---- traffic & service physics
    /// Share of `svc` unavailable (dependency-outage; 0 ends it).
    virtual void set_outage(std::size_t svc, double share) = 0;
    /// Share of `svc`'s requests failing for planned maintenance (0 ends it).
    virtual void set_maintenance(std::size_t svc, double share) = 0;
    /// Share of `svc`'s calls failing and latency added (dependency-degradation; 0, 0 ends).
    virtual void set_degradation(std::size_t svc, double error_share, double latency_ms) = 0;
    /// `svc`'s external traffic multiplied by `factor` (a spike, a campaign), and divided
    /// again when it ends.
    virtual void multiply_traffic(std::size_t svc, double factor) = 0;
    virtual void divide_traffic(std::size_t svc, double factor) = 0;
    /// Share of `svc`'s requests failing on bad cache entries (poisoned-cache; 0 ends it).
    virtual void set_poison(std::size_t svc, double share) = 0;
    /// Feature flag `name` of `svc` on, failing `severity` of requests (added if new).
    virtual void flag_on(std::size_t svc, const std::string& name, double severity) = 0;
    /// Feature flag `name` of `svc` off from `at`, if it is on.
    virtual void flag_off(std::size_t svc, const std::string& name, core::TimePoint at) = 0;

    /// Appends an event to the timeline (attributed to the service's incident).
    virtual TimelineEvent& log(EventKind kind, std::string service, std::string name,
                               std::string detail) = 0;
  };

  /// `spec`, `tl`, `sim` and `env` must outlive the Faults; `recovery_hold` is how long
  /// every affected service stays within objectives before an impacted incident counts as
  /// recovered.
  Faults(const ClusterSpec& spec, Timeline& tl, Simulation& sim, Env& env,
         core::Duration recovery_hold);
  /// A copy of `o`'s state (every incident's runtime, the intermittent streams) for another
  /// world: its timeline `tl` (a copy of o's), `sim` (a copy of o's, where this registers as
  /// the same target number as `o`: throws std::logic_error otherwise) and `env`.
  Faults(const Faults& o, Timeline& tl, Simulation& sim, Env& env);

  /// Appends one IncidentRecord per ground truth of the spec to `tl.incidents` and
  /// schedules every incident's start and end (and intermittent phases) on the kernel. Call
  /// once, when the env's services exist.
  void start();
  std::size_t size() const { return inc_.size(); }
  bool started(std::size_t k) const { return inc_[k].started; }
  /// Whether incident k's cause has stopped.
  bool ended(std::size_t k) const { return inc_[k].ended; }
  /// Incident k's root service, or -1.
  std::ptrdiff_t root(std::size_t k) const { return inc_[k].root; }
  /// Whether incident k is active for `svc` now: started, affects it, and its cause is on
  /// or its impact has not recovered yet.
  bool active_for(std::size_t k, std::size_t svc) const;
  /// The incident `svc` is attributed to now: among the active ones, those rooted at `svc`
  /// first, then the latest started; -1 when none.
  std::ptrdiff_t attribute(std::size_t svc) const;
  /// Stops the cause of incident k (duration elapsed, planned end, on-call fix); logged.
  void end_incident(std::size_t k, const std::string& why);
  /// Ends every started fault of `kind` rooted at `svc` (a purged cache).
  void end_cause_of_kind(std::size_t svc, FaultKind kind, const std::string& why);
  /// Feature flag `flag` of `svc` was turned off: a bad-feature-flag incident rooted there
  /// with that flag ends (logged with `detail`).
  void flag_disabled(std::size_t svc, const std::string& flag, const std::string& detail);
  /// A good release `r` finished rolling out on `svc`: a bad deploy rooted there is over.
  void good_release_rolled_out(std::size_t svc, const model::Release& r);
  /// Once per scrape tick: which affected services left their objectives (impact), and
  /// whether an impacted incident has been back within them for the recovery hold.
  void track(core::TimePoint now);
  /// The planned events active on `ref` at `now` (the engine's Calendar).
  std::vector<engine::PlannedEvent> calendar_active(const engine::ServiceRef& ref,
                                                    core::TimePoint now) const;

 private:
  /// One incident's runtime, parallel to Timeline::incidents.
  struct Runtime {
    std::vector<char> affects;                // per service index
    std::vector<std::size_t> affected_index;  // the services it affects (spec order)
    std::vector<char> impacted;               // per service: left its objectives
    std::ptrdiff_t root = -1;
    bool started = false;
    bool ended = false;
    std::optional<core::TimePoint> hold_start;  // back within objectives since
    bool closed = false;                        // no impact and long over: stop checking
    std::ptrdiff_t fault = -1;                  // index into spec.faults, or -1
    std::ptrdiff_t planned = -1;                // index into spec.planned, or -1
    std::int64_t capacity_lost = 0;             // pod slots a pod-loss took from the cluster
    bool effect_off = false;                    // an intermittent fault in its off phase
  };
  void add_incidents();
  void begin(std::size_t k);
  std::string start_planned(std::size_t k, const PlannedEventSpec& p);
  std::string apply(std::size_t k, const FaultSpec& f, std::size_t svc);
  /// pod-loss: a node fails, taking its pods and (optionally) cluster capacity.
  std::string lose_pods(std::size_t k, const FaultParams& p, std::size_t svc);
  /// bad-deploy: a helm upgrade to a bad release.
  std::string deploy_bad_release(const FaultParams& p, std::size_t svc);
  /// Removes fault f's effect from svc (its cause ended).
  void remove(Runtime& rt, const FaultSpec& f, std::size_t svc);
  /// An intermittent fault switches its effect off (`on` false) or on again and schedules
  /// the next switch; nothing once the fault has ended.
  void intermittent_phase(std::size_t k, bool on);
  core::Duration jittered(std::size_t k, core::Duration phase, const IntermittentSpec& spec);
  /// Whether incident k has been recovered for the hold at `now` (then logged).
  void track_one(std::size_t k, core::TimePoint now);
  /// Its events on the kernel (Event::kind; a = the incident, b = the phase's `on`).
  enum class Due : std::uint32_t { kBegin, kDurationElapsed, kPhase, kPlannedEnd };
  void at(core::TimePoint t, Due what, std::size_t k, bool on = false) {
    sim_->at(t, target_, Event{static_cast<std::uint32_t>(what), k, on ? 1u : 0u});
  }
  void on_event(const Event& e) override;
  Faults(const Faults&) = default;  // the state; the public copy above rebinds the rest

  const ClusterSpec& spec_;
  Timeline* tl_;
  Simulation* sim_;
  Env* env_;
  TargetId target_;
  core::Duration hold_;
  std::vector<Runtime> inc_;              // parallel to tl_->incidents
  std::vector<std::size_t> live_;         // started incidents still tracked or attributable
  std::map<std::size_t, Rng> phase_rng_;  // incident -> its intermittent stream
};

}  // namespace selfheal::sim
