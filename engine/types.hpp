// Vocabulary shared by the engine and every implementation of its ports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"

namespace selfheal::engine {

using core::Duration;
using core::TimePoint;

/// A workload the engine may act on: a Kubernetes deployment (and Helm release) named
/// `name` in `ns`. Names are DNS-1123 labels by the time they reach an Actuator.
struct ServiceRef {
  std::string ns;
  std::string name;
  friend bool operator==(const ServiceRef&, const ServiceRef&) = default;
  friend auto operator<=>(const ServiceRef&, const ServiceRef&) = default;
  /// "ns/name"
  std::string key() const { return ns + '/' + name; }
  /// key() appended to `out` (no temporary: decision reasons name services on every delivery).
  void append_key(std::string& out) const { out.append(ns).append(1, '/').append(name); }
};

/// Hash for ServiceRef keys (no allocation: combines the two strings' hashes).
///   std::unordered_map<ServiceRef, int, ServiceRefHash> per_target;
struct ServiceRefHash {
  std::size_t operator()(const ServiceRef& s) const noexcept;
};

/// Incident types the built-in classifier knows. Policies may name others (strings);
/// these are the canonical spellings.
namespace incident_types {
inline constexpr std::string_view kMemoryLeak = "memory-leak";
inline constexpr std::string_view kCpuSpike = "cpu-spike";
inline constexpr std::string_view kBadDeployment = "bad-deployment";
inline constexpr std::string_view kDependencyFailure = "dependency-failure";
inline constexpr std::string_view kPodLoss = "pod-loss";
inline constexpr std::string_view kTrafficSpike = "traffic-spike";
inline constexpr std::string_view kConsumerStall = "consumer-stall";
inline constexpr std::string_view kBadFeatureFlag = "bad-feature-flag";
inline constexpr std::string_view kPoisonedCache = "poisoned-cache";
inline constexpr std::string_view kUnknown = "unknown";
}  // namespace incident_types

enum class ActionKind : std::uint8_t {
  kRestart,             ///< kubectl rollout restart deployment/<svc>
  kScale,               ///< kubectl scale deployment/<svc> --replicas=N
  kRollback,            ///< helm rollback <svc> [revision]
  kCachePurge,          ///< purge the service's cache (an HTTP call or job, configurable live)
  kFeatureFlagDisable,  ///< turn a named flag off
  kTrafficShift,        ///< move a share of traffic away (e.g. to another region/canary)
  kPage,                ///< no automated change: escalate to a person (ladder terminal step)
};

std::string_view to_string(ActionKind k);
std::optional<ActionKind> parse_action_kind(std::string_view s);

/// One concrete action with its parameters. Unused parameters stay empty.
struct ActionSpec {
  ActionKind kind = ActionKind::kRestart;
  // scale: either an absolute target or a factor of the current desired count, bounded.
  std::optional<int> replicas;      ///< scale to exactly N
  std::optional<double> factor;     ///< scale by a factor of current desired replicas
  std::optional<int> max_replicas;  ///< upper bound for factor scaling (required then)
  std::optional<int> min_replicas;  ///< lower bound (scale-in)
  // rollback: previous release when unset, else this Helm revision.
  std::optional<int> revision;
  // feature-flag-disable
  std::string flag;
  // traffic-shift: share [0,1] of traffic moved to `to`.
  std::optional<double> traffic_share;
  std::string to;
  friend bool operator==(const ActionSpec&, const ActionSpec&) = default;
};

/// Health of one direct upstream dependency, as Topology reports it.
struct DependencyHealth {
  ServiceRef service;
  bool healthy = true;
  double error_rate = 0.0;  ///< share of calls to it failing, [0, 1]
  std::string reason;       ///< e.g. "db-connection-errors 0.82 > 0.05"
};

/// A planned event active for a service (marketing campaign, deploy window, maintenance).
struct PlannedEvent {
  std::string name;
  std::string kind;  ///< "marketing-campaign" | "deploy-window" | "maintenance" | ...
  TimePoint start;
  TimePoint end;
  double traffic_multiplier = 1.0;
};

/// Signal values for one service over a window ending now. Counts are totals within the
/// window; rates and utilisations are window averages unless noted. A value the source
/// could not provide is left at its default and flagged in `missing`.
struct ServiceSignals {
  double request_rate = 0.0;           ///< requests/s
  double request_rate_baseline = 0.0;  ///< requests/s expected now (same hour, usual day)
  double error_rate = 0.0;             ///< share of requests failing (5xx), [0, 1]
  double error_rate_baseline = 0.0;    ///< usual share failing
  double latency_p99_ms = 0.0;
  double latency_p99_baseline_ms = 0.0;
  double cpu_utilization = 0.0;         ///< share of requested CPU in use, >= 0
  double memory_utilization = 0.0;      ///< latest share of memory limit, max over pods
  double memory_growth_per_hour = 0.0;  ///< change of memory_utilization per hour
  double oom_kills = 0.0;               ///< count in window
  double restarts = 0.0;                ///< container restarts in window
  double ready_replicas = 0.0;          ///< latest
  double desired_replicas = 0.0;        ///< latest
  double queue_lag = 0.0;               ///< messages waiting, latest
  double queue_lag_trend = 0.0;         ///< change per minute over the window (<0: draining)
  double dependency_errors = 0.0;       ///< share of calls to upstreams failing, [0, 1]
  // The service's objectives (SLO), when the source knows them; 0 = none stated.
  double error_rate_objective = 0.0;          ///< share of requests failing <= this
  double latency_p99_objective_ms = 0.0;      ///< p99 <= this
  double queue_lag_objective = 0.0;           ///< messages waiting <= this
  std::optional<Duration> since_last_deploy;  ///< age of the newest release, if known
  int current_revision = 0;                   ///< current Helm revision, 0 if unknown
  std::vector<std::string> missing;           ///< names of signals the source could not provide
};

/// The signals the engine can check by name (verification checks, detection rules).
enum class SignalName : std::uint8_t {
  kErrorRate,
  kLatencyP99,
  kCpu,
  kMemory,
  kOomKills,
  kRestarts,
  kReadyRatio,  ///< ready / desired
  kQueueLag,
  kQueueLagTrend,
  kRequestRate,
  kDependencyErrors,
};
std::string_view to_string(SignalName s);
std::optional<SignalName> parse_signal_name(std::string_view s);
/// The value of `s` in `v`.
double signal_value(const ServiceSignals& v, SignalName s);

}  // namespace selfheal::engine
