// The simulated cluster as Prometheus series: the model's telemetry under the names the
// usual exporters use (kube-state-metrics, cAdvisor, an HTTP server's client library), so
// PromQL written for production reads the simulator unchanged. docs/prometheus-series.md
// lists every series, the model quantity it carries and how counters and histograms are
// derived.
//
// The world publishes them only when `WorldOptions::prometheus_series` is set (a run without
// PromQL pays nothing): gauges are read from the telemetry ring as they are, counters and
// histogram buckets are accumulated per tick into a second ring of the same length, so a
// query reads the ticks it asks for and never copies a history.
//
//   sim::WorldOptions o;
//   o.prometheus_series = true;
//   sim::World world{spec, 7, o};
//   world.run_for(1h);
//   for (std::size_t i = 0; i < world.prom_series().size(); ++i)
//     world.prom_samples(i, world.now() - 5min, world.now(), buffer);  // appends to buffer
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace selfheal::sim {

/// The metrics the world publishes, in catalogue order.
enum class PromMetric : std::uint8_t {
  kReplicasAvailable,   ///< kube_deployment_status_replicas_available
  kSpecReplicas,        ///< kube_deployment_spec_replicas
  kRestartsTotal,       ///< kube_pod_container_status_restarts_total
  kLastTerminated,      ///< kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}
  kOomEventsTotal,      ///< container_oom_events_total
  kMemoryWorkingSet,    ///< container_memory_working_set_bytes
  kMemoryLimit,         ///< kube_pod_container_resource_limits{resource="memory"}
  kCpuRequests,         ///< kube_pod_container_resource_requests{resource="cpu"}
  kCpuSecondsTotal,     ///< container_cpu_usage_seconds_total
  kHttpRequests,        ///< http_requests_total{code}
  kHttpDurationBucket,  ///< http_request_duration_seconds_bucket{le}
  kHttpDurationSum,     ///< http_request_duration_seconds_sum
  kHttpDurationCount,   ///< http_request_duration_seconds_count
};
inline constexpr std::size_t kPromMetricCount = 13;

/// The exporters' name of each metric, indexed by PromMetric.
inline constexpr std::array<std::string_view, kPromMetricCount> kDefaultMetricNames{
    "kube_deployment_status_replicas_available",
    "kube_deployment_spec_replicas",
    "kube_pod_container_status_restarts_total",
    "kube_pod_container_status_last_terminated_reason",
    "container_oom_events_total",
    "container_memory_working_set_bytes",
    "kube_pod_container_resource_limits",
    "kube_pod_container_resource_requests",
    "container_cpu_usage_seconds_total",
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "http_request_duration_seconds_sum",
    "http_request_duration_seconds_count",
};

/// Upper bounds of the latency histogram's buckets in seconds (the Prometheus client
/// libraries' defaults), without +Inf.
inline constexpr std::array<double, 11> kLatencyBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                        0.5,   1.0,  2.5,   5.0,  10.0};
/// CPU request of one pod in cores: the model's CPU signal is a share of it.
inline constexpr double kCpuRequestCores = 1.0;

/// `metric_names:` of a scenario: exporter name -> the name a team uses. Checked by
/// check_metric_names; names not in the map keep their default.
using MetricNames = std::map<std::string, std::string>;

/// Problems with `names`, one message each ("unknown metric 'x'" with the known names, or
/// "'bad name' is not a valid Prometheus metric name"), keyed by the entry's key.
std::vector<std::pair<std::string, std::string>> check_metric_names(const MetricNames& names);

struct PromLabel {
  std::string name, value;
};

/// One published series. `labels` include `__name__` and are sorted by name.
struct PromSeriesInfo {
  PromMetric metric = PromMetric::kReplicasAvailable;
  std::uint32_t service = 0;  ///< index in the spec's services
  std::uint8_t variant = 0;   ///< http code (0: "200", 1: "500") or bucket (11: +Inf)
  std::vector<PromLabel> labels;
};

struct PromPoint {
  core::TimePoint t;
  double v = 0;
};

/// What reading several series at one tick found (World::prom_row): a sample of every one
/// (kFull), of none (kNone), or of some only (kPartial).
enum class PromRow : std::uint8_t { kNone, kFull, kPartial };

}  // namespace selfheal::sim
