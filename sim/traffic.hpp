// Traffic & service physics, one part of the simulated world (sim/world_impl.hpp lists the
// parts): each service's demand (external traffic with a daily shape and AR(1) noise, plus
// its dependents' calls), capacity (the pods part's stats), errors, latency, CPU, memory and
// queue, computed from the PREVIOUS tick's values of the others, so the order services are
// computed in never matters. It owns every service's model::Svc (the tick's values, the
// spec's constants, the effects of faults and actions), the neighbours' view of the
// previous tick and the traffic-shift table; faults and actions change it only through the
// operations below.
//
// The tick calls begin_tick() once and serve() for every service: their definitions are in
// sim/traffic.cpp, compiled in the same unity translation unit as the tick so they inline
// (call the inline members only from the world's parts).
//
//   Traffic traffic{spec, sim, options.threads};
//   traffic.build();
//   traffic.begin_tick(first);
//   traffic.serve(i, pod_stats, hog_severity, now, daily_shape(now), scrape_seconds);
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/baseline_health.hpp"
#include "sim/cluster_spec.hpp"
#include "sim/model_types.hpp"
#include "sim/simulation.hpp"

namespace selfheal::sim {

class Traffic {
 public:
  /// `spec` and `sim` (the services' random streams) must outlive the Traffic; with
  /// `threads` > 1 serve() publishes each service's values for the next tick as it goes.
  Traffic(const ClusterSpec& spec, const Simulation& sim, unsigned threads)
      : spec_(spec), sim_(&sim), threads_(threads) {}
  /// A copy of `o`'s state (every service's record, the neighbours' view, the shifts) for
  /// another world's `sim`; the spec is the same object.
  Traffic(const Traffic& o, const Simulation& sim) : Traffic(o) { sim_ = &sim; }

  /// Every service's record as the run starts (steady state at the spec's traffic), the
  /// dependency lists and the neighbours' view.
  void build();

  std::size_t size() const { return svcs_.size(); }
  model::Svc& operator[](std::size_t svc) { return svcs_[svc]; }
  const model::Svc& operator[](std::size_t svc) const { return svcs_[svc]; }
  /// A service's index by name, or -1.
  std::ptrdiff_t index_of(std::string_view name) const {
    auto it = by_name_.find(std::string(name));
    return it == by_name_.end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
  }

  // ---- the tick
  /// Starts a tick: the neighbours' view of the previous tick (`first`: of the records as
  /// built) and the traffic shifted to each service.
  void begin_tick(bool first);
  /// Fetches the lines of svc's record the tick reads.
  void prefetch(std::size_t svc) const;
  /// Service svc's physics this tick from its pods' stats `st` (and the CPU share runaway
  /// threads take, `hog_severity`): demand, utilisation, errors, latency, CPU, calls,
  /// queue, memory and whether it is within its objectives.
  void serve(std::size_t svc, const model::PodStats& st, double hog_severity, TimePoint now,
             double shape, double dt_s);

  // ---- the no-fault baselines (sim/baseline_health.hpp)
  /// Requests/s expected now without faults, events or noise.
  double baseline_rps(std::size_t svc, TimePoint now, int depth) const {
    return offered_rps(spec_, graph_, svc, now, depth);
  }
  double baseline_p99(std::size_t svc, TimePoint now, int depth) const {
    return baseline_p99_ms(spec_, graph_, svc, now, depth);
  }

  // ---- effects of faults and actions
  /// Share of svc unavailable (dependency-outage; 0 ends it).
  void set_outage(std::size_t svc, double share) {
    effect(svc).outage = share;
    noted(svc);
  }
  /// Share of svc's requests failing for planned maintenance (0 ends it).
  void set_maintenance(std::size_t svc, double share) {
    effect(svc).maintenance = share;
    noted(svc);
  }
  /// Share of svc's calls failing and latency added (dependency-degradation; 0, 0 ends it).
  void set_degradation(std::size_t svc, double error_share, double latency_ms) {
    effect(svc).degrade_err = error_share;
    effect(svc).degrade_latency = latency_ms;
    noted(svc);
  }
  /// svc's external traffic multiplied by `factor` (a spike, a campaign), divided again at
  /// its end.
  void multiply_traffic(std::size_t svc, double factor) {
    effect(svc).ext_mult *= factor;
    noted(svc);
  }
  void divide_traffic(std::size_t svc, double factor) {
    effect(svc).ext_mult /= factor;
    noted(svc);
  }
  /// Share of svc's requests failing on bad cache entries (0 ends it).
  void set_poison(std::size_t svc, double share) {
    effect(svc).poison = share;
    noted(svc);
  }
  /// Feature flag `name` of svc on, failing `severity` of requests (added if new).
  void flag_on(std::size_t svc, const std::string& name, double severity);
  /// Feature flag `name` of svc off from `at`, if it is on.
  void flag_off(std::size_t svc, const std::string& name, TimePoint at);
  /// Turns flag `name` off, effective at `effective` (or earlier if it already was off);
  /// whether it was on, or nullopt when svc has no such flag.
  std::optional<bool> disable_flag(std::size_t svc, const std::string& name, TimePoint effective);
  /// Purges svc's cache at `now`: its callers' calls warm up again from the next tick, and
  /// bad entries are gone; returns whether there were any.
  bool purge_cache(std::size_t svc, TimePoint now);
  /// Shifts `share` of svc's external traffic to service `to` (-1: out of the world);
  /// returns the share shifted before.
  double shift_traffic(std::size_t svc, double share, std::ptrdiff_t to);

 private:
  using Svc = model::Svc;
  using Seen = model::Seen;

  model::Effects& effect(std::size_t svc) { return svcs_[svc].fx; }
  /// After a change of svc's effects or flags: whether a tick must read them (Svc::effects).
  void noted(std::size_t svc);
  /// seen_[i] for the services in [lo, hi): their values now.
  void copy_seen(std::size_t lo, std::size_t hi);
  /// What v's neighbours read of it on the next tick, into seen_next_ (end of serve()).
  void publish_seen(const Svc& v) {
    seen_next_[v.index] = {v.err, v.p99, v.calls, v.base_error_rate, v.purged, v.cache};
  }
  static double call_factor(const Seen& d, TimePoint now);
  /// serve() with svc's effects `fx` (its own, or the defaults when it has none): inlined
  /// twice, once with the defaults as constants.
  [[gnu::always_inline]] void serve_with(Svc& v, const model::Effects& fx,
                                         const model::PodStats& st, double hog_severity,
                                         TimePoint now, double shape, double dt_s);
  /// One service's demand this tick: external traffic (daily shape, AR(1) noise,
  /// multipliers, minus what is shifted away) plus its dependents' calls and shifted-in load.
  [[gnu::always_inline]] double demand_of(Svc& v, const model::Effects& fx, TimePoint now,
                                          double shape);
  /// Share of v's calls failing because of its upstreams (previous tick); sets `up_lat` to
  /// the slowest upstream's p99.
  double upstream_errors(const Svc& v, double& up_lat) const;
  /// Share of requests failing on an enabled (or not yet propagated) bad feature flag.
  static double flag_errors(const Svc& v, TimePoint now);

  Traffic(const Traffic&) = default;  // the state; the public copy above rebinds sim_

  const ClusterSpec& spec_;
  const Simulation* sim_;
  unsigned threads_;
  double phi_ = 0;        // AR(1) noise coefficient per tick
  double phi_innov_ = 0;  // sqrt(1 - phi^2)
  std::vector<Svc> svcs_;
  std::unordered_map<std::string, std::size_t> by_name_;
  LoadGraph graph_;  // spec's dependency graph by index (the no-fault baselines)
  /// [service] as its neighbours read it this tick: the values the previous tick left.
  std::vector<Seen> seen_;
  /// With threads > 1, [service] as the next tick reads it: serve() writes a service's entry
  /// as it computes it, and a cache purge between ticks writes its purge time; swapped with
  /// `seen_` at the start of each tick (a copy pass and a thread hand-over saved). On one
  /// thread the tick copies the records into `seen_` instead (sim/traffic.cpp says why).
  std::vector<Seen> seen_next_;
  /// Dependents then upstreams of every service, flat: service i's dependents are
  /// adj_[adj_at_[2i] .. adj_at_[2i+1]), its upstreams adj_[adj_at_[2i+1] .. adj_at_[2i+2])
  /// (the order of Svc::dependents and Svc::upstreams; one array a tick reads in order).
  std::vector<std::uint32_t> adj_;
  std::vector<std::uint32_t> adj_at_;
  bool any_shift_ = false;        // some service shifts traffic to another one
  std::vector<double> shift_in_;  // per service: traffic shifted to it (previous tick)
};

}  // namespace selfheal::sim
