// The cluster model's coefficients, in one place. Each says what it means, its unit and
// why it has that value; docs/model.md "Model constants" lists them for readers of the
// reports. Changing any of them changes every run's timeline (and the reference digests):
// they are the model, not tuning knobs.
//
//   const double mem = model::base_memory_mb(spec.memory_per_pod_mb, util);
//   p.next = t + model::kBackoffBase;
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "core/time.hpp"

namespace selfheal::sim::model {

using core::Duration;
using namespace std::chrono_literals;

// ---- time ------------------------------------------------------------------------------
using core::TimePoint;
/// "No time-driven change due": a pod's next transition, a flag's switch-off, the earliest
/// change of a service's pods. Later than every instant, so `now >= kNever` never holds.
inline constexpr TimePoint kNever = TimePoint::max();
/// "Never happened" for a service's last cache purge, OOM kill and container restart: long
/// before any run, yet far enough from the minimum that `now - kLongAgo` cannot overflow.
inline constexpr TimePoint kLongAgo{Duration{std::numeric_limits<Duration::rep>::min() / 2}};
/// "Not in this state" for an alert's pending, firing, clear and resolved instants.
inline constexpr TimePoint kUnset = TimePoint::min();
/// Milliseconds in a minute, as a double: a rate given "per minute" (a leak) per ms.
inline constexpr double kMsPerMinute = 60'000.0;
/// One day (the daily traffic shape's period).
inline constexpr Duration kDay = 24h;
/// `d` as a floating-point number of `Unit`s (Millis, Seconds, Minutes or Hours), e.g.
/// `count_as<Minutes>(d)`: the one place a span enters the model's float arithmetic (a rate
/// per minute, physics per second). Exactly `double(d.count()) / (ms per Unit)`. Never for
/// storing or comparing times, which stay integer.
template <class Unit>
constexpr double count_as(Duration d) {
  return std::chrono::duration<double, typename Unit::period>(d).count();
}
using Millis = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;
using Minutes = std::chrono::minutes;
using Hours = std::chrono::hours;

// ---- chart series ----------------------------------------------------------------------
/// Fewest points a service's chart series keeps, however large the fleet (a merge of
/// adjacent pairs needs two).
inline constexpr std::size_t kMinSeriesPoints = 2;

/// A spec's "0 means the default" parameters (fault severities, rates, a release's error
/// rate): `value` when positive, else `fallback`. One rule for every such parameter.
inline constexpr double or_default(double value, double fallback) {
  return value > 0 ? value : fallback;
}

// ---- pods and rollouts -----------------------------------------------------------------
/// kubelet's crash back-off: 10 s, doubling per consecutive failure (Kubernetes' default).
inline constexpr Duration kBackoffBase = 10s;
/// ... capped at 5 minutes (Kubernetes' default MaxContainerBackOff).
inline constexpr Duration kBackoffMax = 5min;
/// ... and reset once a container ran this long (Kubernetes: 2 x the cap).
inline constexpr Duration kBackoffReset = 10min;
/// Doublings of the back-off before the cap (10 s << 5 = 320 s > 5 min).
inline constexpr int kBackoffMaxShift = 5;
/// Consecutive failures remembered (one more than the doublings: the cap holds).
inline constexpr int kBackoffMaxFailures = 6;
/// A release given without history was deployed this long before the run: old enough
/// that "since last deploy" never points at it.
inline constexpr Duration kDefaultReleaseAge = 72h;
/// The initial pods started and became ready this long before the run (steady state).
inline constexpr Duration kInitialPodAge = 1h;
/// Error share of a bad release (or bad-deploy fault) that gives none: clearly visible
/// above any objective, not a total outage.
inline constexpr double kDefaultBadReleaseErrorRate = 0.3;
/// A warming-up pod (within ServiceSpec::warmup of ready) serves this share of its
/// capacity (cold caches, JIT).
inline constexpr double kWarmupCapacityShare = 0.5;
/// Per-pod spread of a memory leak: pods leak at [kLeakSpreadMin, kLeakSpreadMin +
/// kLeakSpreadWidth) times the rate, so they OOM one by one rather than all at once.
inline constexpr double kLeakSpreadMin = 0.75;
inline constexpr double kLeakSpreadWidth = 0.5;
/// The spread's sequence: the fractional parts of n x (golden ratio - 1) are evenly spread
/// for every prefix (a low-discrepancy sequence), deterministic and seed-free.
inline constexpr double kGoldenRatioFraction = 0.6180339887498949;
/// The most replicas a service may have: a cluster spec asking more is refused (and an
/// import reading more), and scale actions never ask for more (a runaway factor stays
/// bounded).
inline constexpr int kMaxReplicas = 10000;
/// The largest traffic noise (TrafficSpec::noise, a relative std-dev of demand): a std-dev as
/// large as the mean demand itself. Every reader of a noise (a service's `traffic.noise`, a
/// sweep's `variation.traffic_noise`) refuses more at load time with this bound.
inline constexpr double kMaxTrafficNoise = 1.0;

// ---- memory ----------------------------------------------------------------------------
/// A container's memory without a leak: kMemoryIdleShare of memory_per_pod_mb idle, up to
/// 100% at full utilisation (heaps grow with load). Unit: share of memory_per_pod_mb.
inline constexpr double kMemoryIdleShare = 0.85;
inline constexpr double kMemoryLoadShare = 0.15;
/// A container's memory (MB) without a leak at utilisation `util` (capped at 1).
inline double base_memory_mb(double memory_per_pod_mb, double util) {
  return memory_per_pod_mb * (kMemoryIdleShare + kMemoryLoadShare * std::min(1.0, util));
}
/// A memory-leak fault without a rate fills the headroom (limit - per-pod memory) in this
/// many minutes: an OOM within the half hour a scenario usually gives a fault.
inline constexpr double kDefaultLeakMinutesToLimit = 20.0;
/// The default leak rate (MB/min per container) for a service's memory figures.
inline double default_leak_mb_per_min(double memory_limit_mb, double memory_per_pod_mb) {
  return (memory_limit_mb - memory_per_pod_mb) / kDefaultLeakMinutesToLimit;
}

// ---- traffic and service physics -------------------------------------------------------
/// Correlation time of the AR(1) traffic noise: phi = exp(-scrape / this); a minute keeps
/// the noise smooth across 15-30 s scrapes but lets it wander within an hour.
inline constexpr Duration kNoiseCorrelation = 1min;
/// sqrt(6): scales the sum of two uniforms minus 1 (a triangular variate on [-1, 1], variance
/// 1/6) to unit variance.
inline constexpr double kTriangularToUnitVariance = 2.449489742783178;
/// Daily traffic shape: 1 + amplitude x sin(2 pi (hour - offset) / 24): peak at 14:00,
/// trough at 02:00, +-45% (a typical consumer web day).
inline constexpr double kDailyAmplitude = 0.45;
inline constexpr double kDailyPhaseHour = 8.0;
inline constexpr double kHoursPerDay = 24.0;
inline constexpr double kPi = 3.14159265358979323846;
/// A cache in front of a service passes this share of its calls through (90% hit rate).
inline constexpr double kCacheCallShare = 0.1;
/// After a cache purge, calls multiply by this at first (every read misses), decaying
/// linearly to 1 over kPurgeWarmup; kPurgeCallPeakOther for a non-cache service's caches.
inline constexpr double kPurgeCallPeakCache = 10.0;
inline constexpr double kPurgeCallPeakOther = 3.0;
/// Cache refill time after a purge.
inline constexpr Duration kPurgeWarmup = 5min;
/// Utilisation is clamped here for the latency curve (M/M/1 would diverge at 1).
inline constexpr double kMaxLatencyUtilisation = 0.98;
/// Latency factor = 1 + this x rho / (1 - rho): a queueing knee, p99 doubled at rho 0.67.
inline constexpr double kQueueingLatencyCoefficient = 0.5;
/// 1 + kQueueingLatencyCoefficient x rho / (1 - rho), rho = util clamped to [0, 0.98].
inline double latency_factor(double util) {
  const double rho = std::clamp(util, 0.0, kMaxLatencyUtilisation);
  return 1.0 + kQueueingLatencyCoefficient * rho / (1.0 - rho);
}
/// CPU of a serving pod with no load (runtime, health checks): share of a core's request.
inline constexpr double kIdleCpu = 0.05;
/// CPU that scales with utilisation (kIdleCpu + this = 1 at full load).
inline constexpr double kLoadCpu = 0.95;
/// Share of the load CPU not spent while waiting on failing dependencies.
inline constexpr double kDependencyWaitCpuSaving = 0.7;
/// Above this share of failing calls (or unavailability) callers wait for timeouts.
inline constexpr double kTimeoutThreshold = 0.01;
/// Callers' connect / pool timeout (ms): the p99 floor while dependencies fail.
inline constexpr double kDependencyTimeoutMs = 1000.0;
/// The request timeout (ms): no p99 above it.
inline constexpr double kMaxLatencyMs = 30'000.0;
/// Recursion bound for the no-fault baselines over the dependency graph (cycles).
inline constexpr int kBaselineMaxDepth = 32;

// ---- faults (defaults when a fault's parameter is 0) -----------------------------------
/// cpu-hog: share of an affected pod's CPU the runaway threads take.
inline constexpr double kDefaultHogSeverity = 0.6;
/// dependency-degradation: share of calls failing, and added latency (ms).
inline constexpr double kDefaultDegradeErrorRate = 0.2;
inline constexpr double kDefaultDegradeLatencyMs = 400.0;
/// bad-feature-flag: share of requests failing while the flag is on.
inline constexpr double kDefaultFlagSeverity = 0.3;
/// poisoned-cache: share of requests failing on bad entries.
inline constexpr double kDefaultPoisonSeverity = 0.25;
/// An incident whose cause ended without ever pushing a service out of its objectives is
/// closed after this long (nothing left to attribute to it).
inline constexpr Duration kNoImpactClose = 30min;

// ---- alerting --------------------------------------------------------------------------
/// An alert quiet this long ends its episode: the next firing is new (and may page again).
inline constexpr Duration kEpisodeGap = 30min;

// ---- actuation -------------------------------------------------------------------------
/// Feature-flag SDKs poll: a disabled flag takes effect this long after the API call.
inline constexpr Duration kFlagPropagation = 10s;
/// A purge / flag / traffic-shift API call answers after this (a shift takes twice).
inline constexpr Duration kQuickActionDelay = 5s;
/// A request for an unknown object fails after this (API server round trip).
inline constexpr Duration kNotFoundDelay = 1s;
/// traffic-shift without a share moves half the traffic.
inline constexpr double kDefaultShiftShare = 0.5;
/// The on-call's own fix waits this long for a rollout before giving up.
inline constexpr Duration kHumanActionTimeout = 15min;

// ---- topology (upstream health as the engine's Topology port reports it) ---------------
/// An upstream failing more than this share of requests is unhealthy.
inline constexpr double kUnhealthyErrorRate = 0.05;
/// ... or with fewer ready replicas than this share of desired.
inline constexpr double kUnhealthyReadyRatio = 0.5;
/// ... or a p99 this many times its no-fault baseline.
inline constexpr double kUnhealthyLatencyFactor = 5.0;

}  // namespace selfheal::sim::model
