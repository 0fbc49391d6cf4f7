// Pods & rollouts, one part of the simulated world (sim/world_impl.hpp lists the parts): the
// Deployment and ReplicaSet controllers (surge, unavailability, scale-in order), the kubelet
// (start-up, crash back-off, OOM kills of leaking containers), helm releases and pod
// templates, and the cluster's pod slots. It owns every service's model::PodSet; the rest
// of the world changes pods only through the operations below (a fault's leak or hog, an
// action's restart or scale), and reads them through `operator[]`.
//
// The tick calls refresh() for every service: its steady state is inline here; the work when
// something is due (refresh_due and what it calls) is in sim/pods.cpp, compiled in the same
// unity translation unit as the tick so it inlines (call the inline members only from the
// world's parts).
//
//   Pods pods{spec, env};
//   pods.build(spec.start);
//   const model::PodStats& st = pods.refresh(i, now, elapsed, util);
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sim/cluster_spec.hpp"
#include "sim/model_types.hpp"
#include "sim/timeline.hpp"

namespace selfheal::sim {

class Pods {
 public:
  /// What the pods part asks of the rest of the world: the timeline's log (an OOM kill, a
  /// rollout started) and the end of a bad deploy once a good release is rolled out.
  class Env {
   public:
    virtual ~Env() = default;
    virtual TimelineEvent& log_at(EventKind kind, std::size_t svc, std::string name,
                                  std::string detail) = 0;
    virtual void good_release_rolled_out(std::size_t svc, const model::Release& r) = 0;
  };

  /// `spec` and `env` must outlive the Pods.
  Pods(const ClusterSpec& spec, Env& env) : spec_(spec), env_(&env) {}
  /// A copy of `o`'s state (every service's pods and releases, the cluster's pod slots) for
  /// another world, whose parts `env` reaches; the spec is the same object.
  Pods(const Pods& o, Env& env) : Pods(o) { env_ = &env; }

  /// Every service's releases and initial pods, as they stand at `start` (Running for
  /// kInitialPodAge while the cluster's slots last, Pending beyond).
  void build(TimePoint start);

  const model::PodSet& operator[](std::size_t svc) const { return sets_[svc]; }
  std::size_t size() const { return sets_.size(); }

  // ---- the tick
  /// Whether svc's pods have time-driven transitions, memory growth or marked changes due at
  /// `now` (refresh then advances them; the parallel tick defers such a service).
  bool due(std::size_t svc, TimePoint now) const {
    const model::PodSet& s = sets_[svc];
    return s.dirty || s.leak_mb_per_ms != 0 || s.rollout || now >= s.stats.next_event;
  }
  /// Whether the Deployment/ReplicaSet controllers may have work for svc.
  bool controllers_due(std::size_t svc) const {
    const model::PodSet& s = sets_[svc];
    return s.rollout || s.stats.active != s.desired || s.stats.pending != 0;
  }
  /// The pods' stats for this tick: transitions (`elapsed` since the last tick, memory
  /// growth at utilisation `util`) and controllers when something is due, else the cached
  /// stats (most services, most ticks). Compacts Gone pods.
  const model::PodStats& refresh(std::size_t svc, TimePoint now, Duration elapsed, double util) {
    // The steady state (most services, most ticks) inline: nothing due and no controller
    // work, so the cached stats stand and nothing is written.
    const model::PodSet& s = sets_[svc];
    if (!due(svc, now) && !controllers_due(svc)) return s.stats;
    return refresh_due(svc, now, elapsed, util);
  }

  // ---- helm releases and rollouts
  /// A release of `rs` for a run starting at `start`.
  static model::Release make_release(const ReleaseSpec& rs, TimePoint start);
  /// A helm upgrade of svc to `r`; returns the new pod template generation.
  std::uint32_t deploy(std::size_t svc, model::Release r, const std::string& why);
  /// A rollout restart (a new template of the current release); returns its generation.
  std::uint32_t restart(std::size_t svc, const std::string& why);
  /// The Deployment's replicas (a scale action).
  void set_desired(std::size_t svc, int replicas) { sets_[svc].desired = replicas; }

  // ---- effects on pods (faults)
  /// Something changed svc's pods or what they serve: re-derive their stats on the next tick.
  void touch(std::size_t svc) { sets_[svc].dirty = true; }
  /// A memory leak of `mb_per_min` per container starts (adds to any other) or ends.
  void add_leak(std::size_t svc, double mb_per_min);
  void remove_leak(std::size_t svc, double mb_per_min);
  /// Runaway threads take `severity` of the capacity of every live pod; returns the pods hit.
  int start_hog(std::size_t svc, double severity);
  void end_hog(std::size_t svc);
  /// Every live pod's consumer is stuck (a worker's pods serve nothing); returns the pods hit.
  int stall(std::size_t svc);
  void end_stall(std::size_t svc);
  /// Up to `pods` serving pods are lost (node failure), replaced at `replace_at`; returns
  /// how many.
  int lose(std::size_t svc, int pods, TimePoint replace_at);
  /// Takes `slots` pod slots out of the cluster (returned with a negative count); false
  /// when the cluster's capacity is unbounded (nothing taken).
  bool take_capacity(std::int64_t slots);

 private:
  using PodSet = model::PodSet;
  using Pod = model::Pod;
  using PodStats = model::PodStats;

  static double release_error(const model::Release& r);
  /// refresh() when something is due: transitions, controllers, compaction.
  const PodStats& refresh_due(std::size_t svc, TimePoint now, Duration dt, double util);
  /// Deterministic spread in [0.75, 1.25) from the pod's sequence number (golden ratio).
  static float leak_factor_for(std::uint32_t seq);
  /// Starts a rollout of a new pod template for release index `rel` (restart: same one).
  std::uint32_t new_template(PodSet& s, std::size_t rel, const std::string& why);
  void schedule_pod(PodSet& s, Pod& p, TimePoint now);
  void create_pod(PodSet& s, TimePoint now);
  void terminate(PodSet& s, Pod& p, TimePoint now);
  void container_died(PodSet& s, Pod& p, TimePoint t, bool oom);
  /// Accumulates pod `p` into `st` (after its transitions).
  void account(const PodSet& s, const Pod& p, TimePoint now, PodStats& st) const;
  PodStats pod_stats(const PodSet& s, TimePoint now) const;
  /// Time-driven transitions up to `now`, memory growth and OOM kills, and the stats of
  /// the result (one pass over the pods).
  PodStats advance(PodSet& s, TimePoint now, Duration dt, double util);
  /// The Deployment + ReplicaSet controllers for one service. `st` is the pods' state
  /// now; returns false when there was nothing to do (steady state).
  bool reconcile(PodSet& s, TimePoint now, const PodStats& st);
  /// The Deployment controller during a rollout: old ReplicaSets down as availability
  /// allows, the new one up within the surge; finishes the rollout when complete.
  void roll_out(PodSet& s, TimePoint now);
  void finish_rollout(PodSet& s);
  /// Sets `flag` on every pod not Terminating or Gone; returns how many.
  static int mark(PodSet& s, std::uint8_t flag);
  static void clear(PodSet& s, std::uint8_t flag);

  Pods(const Pods&) = default;  // the state; the public copy above rebinds env_

  const ClusterSpec& spec_;
  Env* env_;
  std::vector<PodSet> sets_;                                          // [service]
  std::int64_t capacity_ = std::numeric_limits<std::int64_t>::max();  // pod slots
  std::int64_t slots_used_ = 0;
};

}  // namespace selfheal::sim
