#include "engine/signal_queries.hpp"

#include <algorithm>
#include <chrono>

#include "config/messages.hpp"

namespace selfheal::engine {

const std::vector<std::string>& signal_query_names() {
  static const std::vector<std::string> kNames{"request_rate",
                                               "request_rate_baseline",
                                               "error_rate",
                                               "error_rate_baseline",
                                               "latency_p99_ms",
                                               "latency_p99_baseline_ms",
                                               "cpu_utilization",
                                               "memory_utilization",
                                               "memory_growth_per_hour",
                                               "oom_kills",
                                               "restarts",
                                               "ready_replicas",
                                               "desired_replicas",
                                               "queue_lag",
                                               "queue_lag_trend",
                                               "dependency_errors",
                                               "seconds_since_last_deploy",
                                               "current_revision"};
  return kNames;
}

const SignalQueries& default_signal_queries() {
  // Selectors shared by the defaults.
  static const SignalQueries kDefaults = [] {
    const std::string http = R"q(namespace="{namespace}",service="{service}")q";
    const std::string pod = R"q(namespace="{namespace}",pod=~"{service}-.*")q";
    auto rate_all = [&](const std::string& offset) {
      return "sum(rate(http_requests_total{" + http + "}[{window}]" + offset + "))";
    };
    auto rate_5xx = [&](const std::string& offset) {
      return "sum(rate(http_requests_total{" + http + R"q(,code=~"5.."}[{window}])q" + offset +
             "))";
    };
    auto p99 = [&](const std::string& offset) {
      return "1000 * histogram_quantile(0.99, sum by (le) "
             "(rate(http_request_duration_seconds_bucket{" +
             http + "}[{window}]" + offset + ")))";
    };
    SignalQueries m;
    m["request_rate"] = rate_all("");
    m["request_rate_baseline"] = rate_all(" offset 1w");
    m["error_rate"] = rate_5xx("") + " / " + rate_all("");
    m["error_rate_baseline"] = rate_5xx(" offset 1w") + " / " + rate_all(" offset 1w");
    m["latency_p99_ms"] = p99("");
    m["latency_p99_baseline_ms"] = p99(" offset 1w");
    const std::string dep = "namespace=\"{namespace}\",deployment=\"{service}\"";
    const std::string limit_mem =
        "kube_pod_container_resource_limits{" + pod + ",resource=\"memory\"}";
    m["cpu_utilization"] = "sum(rate(container_cpu_usage_seconds_total{" + pod +
                           ",container!=\"\"}[{window}])) / "
                           "sum(kube_pod_container_resource_requests{" +
                           pod + ",resource=\"cpu\"})";
    m["memory_utilization"] = "max(container_memory_working_set_bytes{" + pod +
                              ",container!=\"\"} / on (namespace, pod, container) " + limit_mem +
                              ")";
    m["memory_growth_per_hour"] = "max(deriv(container_memory_working_set_bytes{" + pod +
                                  ",container!=\"\"}[{window}])) * 3600 / max(" + limit_mem + ")";
    m["oom_kills"] =
        "sum(increase(container_oom_events_total{" + pod + ",container!=\"\"}[{window}]))";
    m["restarts"] =
        "sum(increase(kube_pod_container_status_restarts_total{" + pod + "}[{window}]))";
    m["ready_replicas"] = "sum(kube_deployment_status_replicas_available{" + dep + "})";
    m["desired_replicas"] = "sum(kube_deployment_spec_replicas{" + dep + "})";
    // No common exporter for these: configure them for your queue / mesh.
    m["queue_lag"] = "";
    m["queue_lag_trend"] = "";
    m["dependency_errors"] = "";
    m["seconds_since_last_deploy"] = "";
    m["current_revision"] = "";
    return m;
  }();
  return kDefaults;
}

SignalQueries merged_signal_queries(const SignalQueries& overrides) {
  SignalQueries out = default_signal_queries();
  for (const auto& [name, tmpl] : overrides)
    out[name] = tmpl;
  return out;
}

SignalQueries read_signal_queries(
    const YAML::Node& n, config::YamlReader& r, const std::string& field,
    const std::function<std::optional<std::string>(const std::string& tmpl)>& check) {
  SignalQueries out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsMap()) {
    r.error(n, field, "must be a mapping of signal name to PromQL");
    return out;
  }
  const auto& names = signal_query_names();
  for (const auto& kv : n) {
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
    const std::string f = config::YamlReader::join(field, name);
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      r.error(kv.first, f, config::unknown_key(name, names));
      continue;
    }
    auto s = r.str(kv.second, f);
    if (!s) continue;
    if (check && !s->empty())
      if (auto message = check(*s)) r.error(kv.second, f, *message);
    out[name] = *s;
  }
  return out;
}

ServiceSignals signals_from_queries(
    const std::function<std::optional<double>(const std::string& name)>& value) {
  ServiceSignals s;
  auto get = [&](const char* name, double& field) {
    if (const auto v = value(name))
      field = *v;
    else
      s.missing.emplace_back(name);
  };
  get("request_rate", s.request_rate);
  get("request_rate_baseline", s.request_rate_baseline);
  get("error_rate", s.error_rate);
  get("error_rate_baseline", s.error_rate_baseline);
  get("latency_p99_ms", s.latency_p99_ms);
  get("latency_p99_baseline_ms", s.latency_p99_baseline_ms);
  get("cpu_utilization", s.cpu_utilization);
  get("memory_utilization", s.memory_utilization);
  get("memory_growth_per_hour", s.memory_growth_per_hour);
  get("oom_kills", s.oom_kills);
  get("restarts", s.restarts);
  get("ready_replicas", s.ready_replicas);
  get("desired_replicas", s.desired_replicas);
  get("queue_lag", s.queue_lag);
  get("queue_lag_trend", s.queue_lag_trend);
  get("dependency_errors", s.dependency_errors);
  double since = -1;
  get("seconds_since_last_deploy", since);
  if (since >= 0)
    s.since_last_deploy =
        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(since));
  double rev = 0;
  get("current_revision", rev);
  s.current_revision = static_cast<int>(rev);
  return s;
}

}  // namespace selfheal::engine
