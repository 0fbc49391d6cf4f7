// The world before any fault: the no-fault offered load of every service (external traffic
// with the daily shape, plus what its callers pass along `depends_on`), its capacity and
// p99, and the baseline health check built on them. The World's own no-fault baselines
// (request_rate_baseline, latency_p99_baseline_ms, the calls in flight before the first
// tick, upstream health) call the same functions, so the check and the model cannot
// disagree.
//
//   LoadGraph g = load_graph(spec);
//   double rps = offered_rps(spec, g, 0, spec.start);   // requests/s, no noise, no faults
//   BaselineHealth h = check_baseline(spec, 2h);        // h.problems empty = healthy
//
// Pure functions of the spec: no clock, no randomness, no allocation beyond the results.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/cluster_spec.hpp"
#include "sim/model_constants.hpp"

namespace selfheal::sim {

/// Daily traffic shape at `at` (a factor on a service's mean rps):
/// 1 + kDailyAmplitude x sin(2 pi (hour - kDailyPhaseHour) / 24), peak 1.45 at 14:00 UTC.
inline double daily_shape(TimePoint at) {
  Duration in_day = at.time_since_epoch() % model::kDay;
  if (in_day < Duration::zero()) in_day += model::kDay;
  const double h = model::count_as<model::Hours>(in_day);
  return 1.0 + model::kDailyAmplitude *
                   std::sin(2.0 * model::kPi * (h - model::kDailyPhaseHour) / model::kHoursPerDay);
}

/// Share of the requests a caller serves that it passes to each of its upstreams:
/// kCacheCallShare for a cache (its misses), 1 for every other kind.
inline double call_share(ServiceKind caller) {
  return caller == ServiceKind::kCache ? model::kCacheCallShare : 1.0;
}

/// The dependency graph by index: upstreams[i] = services[i].depends_on in order;
/// dependents[i] = the services listing i, in spec order. Names must resolve (validate()).
struct LoadGraph {
  std::vector<std::vector<std::size_t>> upstreams;
  std::vector<std::vector<std::size_t>> dependents;
};
LoadGraph load_graph(const ClusterSpec& spec);

/// Requests/s (messages/s for a worker) offered to service `i` at `at` without faults,
/// events or noise: traffic.rps x daily_shape(at) (when the shape is on), plus, for every
/// dependent d, offered_rps(d) x call_share(kind of d). Callers pass on everything offered
/// to them (the load they would send if healthy). `depth` bounds the recursion.
double offered_rps(const ClusterSpec& spec, const LoadGraph& g, std::size_t i, TimePoint at,
                   int depth = 0);

/// p99 (ms) of service `i` at `at` without faults: base_latency_ms x
/// latency_factor(offered / max(1, replicas x capacity_rps_per_replica)) plus the slowest
/// upstream's no-fault p99.
double baseline_p99_ms(const ClusterSpec& spec, const LoadGraph& g, std::size_t i, TimePoint at,
                       int depth = 0);

/// One service before any fault.
struct ServiceLoad {
  std::string service;
  double offered_start_rps = 0;  ///< at the scenario start
  double offered_peak_rps = 0;   ///< at the peak of the daily shape in the window
  int replicas = 0;              ///< desired replicas
  int scheduled = 0;             ///< of which get a pod slot (ClusterSpec::capacity_pods)
  double per_replica_rps = 0;    ///< capacity_rps_per_replica
  double capacity_rps = 0;       ///< scheduled x per_replica_rps
  /// Share of capacity left at the peak: 1 - peak / capacity (negative = overloaded).
  double headroom() const {
    return capacity_rps > 0 ? 1.0 - offered_peak_rps / capacity_rps : -1.0;
  }
};

/// The check (docs/scenario.md "Baseline health"). The window runs from the scenario start
/// to the first fault or calendar event (the whole run when there is none); within it
/// every service must have: offered load <= capacity at the start and at the window's
/// daily-shape peak; background error rate <= its error objective; no-fault p99 <= its
/// latency objective (when set) at the peak. Memory is not checked: validate() already
/// requires memory_limit_mb > memory_per_pod_mb, the most a pod uses without a leak.
struct BaselineHealth {
  Duration window{0};                 ///< start -> first fault / calendar event (or run end)
  Duration peak_offset{0};            ///< where in the window the daily shape peaks
  bool before_fault = true;           ///< the window ends at a fault or event (not the run's end)
  std::vector<ServiceLoad> services;  ///< spec order
  /// One line per problem, naming the service first, e.g. "orders-api: 533 rps offered vs
  /// 450 capacity (6 × 75 rps) at the daily peak (+3h) before any fault".
  std::vector<std::string> problems;
  bool healthy() const { return problems.empty(); }
};
BaselineHealth check_baseline(const ClusterSpec& spec, Duration run_duration);

}  // namespace selfheal::sim
