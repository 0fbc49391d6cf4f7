#include "engine/types.hpp"
#include "core/enum_names.hpp"

#include <array>
#include <functional>
#include <utility>

namespace selfheal::engine {
namespace {

using core::enum_from_name;
using core::enum_name;

constexpr std::array<std::pair<ActionKind, std::string_view>, 7> kActions{{
    {ActionKind::kRestart, "restart"},
    {ActionKind::kScale, "scale"},
    {ActionKind::kRollback, "rollback"},
    {ActionKind::kCachePurge, "cache-purge"},
    {ActionKind::kFeatureFlagDisable, "feature-flag-disable"},
    {ActionKind::kTrafficShift, "traffic-shift"},
    {ActionKind::kPage, "page"},
}};

constexpr std::array<std::pair<SignalName, std::string_view>, 11> kSignals{{
    {SignalName::kErrorRate, "error_rate"},
    {SignalName::kLatencyP99, "latency_p99_ms"},
    {SignalName::kCpu, "cpu_utilization"},
    {SignalName::kMemory, "memory_utilization"},
    {SignalName::kOomKills, "oom_kills"},
    {SignalName::kRestarts, "restarts"},
    {SignalName::kReadyRatio, "ready_ratio"},
    {SignalName::kQueueLag, "queue_lag"},
    {SignalName::kQueueLagTrend, "queue_lag_trend"},
    {SignalName::kRequestRate, "request_rate"},
    {SignalName::kDependencyErrors, "dependency_errors"},
}};

}  // namespace

std::string_view to_string(ActionKind k) {
  return enum_name(kActions, k);
}
std::optional<ActionKind> parse_action_kind(std::string_view s) {
  return enum_from_name(kActions, s);
}
std::string_view to_string(SignalName s) {
  return enum_name(kSignals, s);
}
std::optional<SignalName> parse_signal_name(std::string_view s) {
  return enum_from_name(kSignals, s);
}

std::size_t ServiceRefHash::operator()(const ServiceRef& s) const noexcept {
  const std::size_t a = std::hash<std::string>{}(s.ns);
  const std::size_t b = std::hash<std::string>{}(s.name);
  return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
}

double signal_value(const ServiceSignals& v, SignalName s) {
  switch (s) {
    case SignalName::kErrorRate:
      return v.error_rate;
    case SignalName::kLatencyP99:
      return v.latency_p99_ms;
    case SignalName::kCpu:
      return v.cpu_utilization;
    case SignalName::kMemory:
      return v.memory_utilization;
    case SignalName::kOomKills:
      return v.oom_kills;
    case SignalName::kRestarts:
      return v.restarts;
    case SignalName::kReadyRatio:
      return v.desired_replicas > 0 ? v.ready_replicas / v.desired_replicas : 1.0;
    case SignalName::kQueueLag:
      return v.queue_lag;
    case SignalName::kQueueLagTrend:
      return v.queue_lag_trend;
    case SignalName::kRequestRate:
      return v.request_rate;
    case SignalName::kDependencyErrors:
      return v.dependency_errors;
  }
  return 0.0;
}

}  // namespace selfheal::engine
