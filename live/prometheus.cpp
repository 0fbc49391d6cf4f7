#include "live/prometheus.hpp"

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/duration.hpp"
#include "engine/promql_template.hpp"
#include "engine/signal_queries.hpp"
#include "live/http_client.hpp"

namespace selfheal::live {

using json = nlohmann::json;

core::Result<std::optional<double>> parse_query_response(const std::string& body) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    return core::Error(std::string("Prometheus answered malformed JSON: ") + e.what());
  }
  if (!j.is_object()) return core::Error("Prometheus answer is not an object");
  if (j.value("status", "") != "success")
    return core::Error("Prometheus query failed: " + j.value("errorType", std::string("?")) + ": " +
                       j.value("error", std::string("?")));
  const auto& data = j.value("data", json::object());
  const auto type = data.value("resultType", "");
  const auto& result = data.value("result", json());
  auto sample = [](const json& pair) -> std::optional<double> {
    // [ <unix seconds>, "<value>" ]; values are strings so NaN/Inf survive JSON.
    if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string()) return std::nullopt;
    const auto s = pair[1].get<std::string>();
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || std::isnan(v)) return std::nullopt;
    return v;
  };
  if (type == "scalar") return sample(result);
  if (type == "vector") {
    if (!result.is_array()) return core::Error("Prometheus vector result is not an array");
    std::optional<double> best;
    for (const auto& series : result) {
      if (!series.is_object() || !series.contains("value")) continue;
      auto v = sample(series["value"]);
      if (v && (!best || *v > *best)) best = v;
    }
    return best;
  }
  return core::Error("unsupported Prometheus result type \"" + type +
                     "\" (an instant query must return a vector or scalar)");
}

core::Result<std::optional<double>> PrometheusClient::query(const std::string& promql) const {
  std::string base = base_url_;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  auto r =
      http_request({"GET", base + "/api/v1/query?query=" + url_encode(promql), {}, {}}, timeout_);
  if (!r) return r.error();
  // 400/422 carry an API error body worth reporting; other statuses are transport trouble.
  if (r->status == 200 || r->status == 400 || r->status == 422) {
    auto v = parse_query_response(r->body);
    if (!v && r->status != 200)
      return core::Error("Prometheus returned HTTP " + std::to_string(r->status) + ": " +
                         v.error().message + " (query: " + promql + ")");
    return v;
  }
  return core::Error("Prometheus returned HTTP " + std::to_string(r->status));
}

std::string expand_template(const std::string& tmpl, const engine::ServiceRef& s,
                            core::Duration window) {
  return engine::expand_promql_template(tmpl, s, window);
}

PrometheusTelemetry::PrometheusTelemetry(const PrometheusConfig& config,
                                         ServiceObjectivesMap objectives)
    : config_(config),
      objectives_(std::move(objectives)),
      templates_(engine::merged_signal_queries(config.queries)) {
  if (!config.url.empty()) client_.emplace(config.url, config.timeout);
}

PrometheusTelemetry::Answer PrometheusTelemetry::fetch(const std::string& promql) {
  Answer a;
  if (!client_ || promql.empty()) return a;
  ++sent_;
  auto r = client_->query(promql);
  if (!r) {
    ++errors_;
    a.error = r.error().message;
    return a;
  }
  a.value = *r;
  return a;
}

std::optional<double> PrometheusTelemetry::run(const std::string& name, const std::string& promql) {
  if (!client_ || promql.empty()) return std::nullopt;
  const Answer* known = nullptr;
  if (prefetched_) {
    if (auto it = prefetched_->find(promql); it != prefetched_->end()) known = &it->second;
  }
  Answer sent;
  if (known != nullptr) {
    ++hits_;
  } else {
    ++blocking_;
    sent = fetch(promql);
    known = &sent;
  }
  if (!known->error.empty())
    std::cerr << "selfheal: prometheus " << name << ": " << known->error << "\n";
  return known->value;
}

std::vector<std::string> PrometheusTelemetry::signal_queries(const engine::ServiceRef& service,
                                                             core::Duration window) const {
  std::vector<std::string> out;
  // Exactly the names signals() reads, in its order.
  for (const auto& name : engine::signal_query_names()) {
    auto it = templates_.find(name);
    if (it != templates_.end() && !it->second.empty())
      out.push_back(expand_template(it->second, service, window));
  }
  return out;
}

std::string PrometheusTelemetry::check_query(const std::string& expr,
                                             const engine::ServiceRef& service) const {
  return expand_template(expr, service, config_.window);
}

engine::ServiceSignals PrometheusTelemetry::signals(const engine::ServiceRef& service,
                                                    core::Duration window) {
  auto s = engine::signals_from_queries([&](const std::string& name) -> std::optional<double> {
    auto it = templates_.find(name);
    if (it == templates_.end()) return std::nullopt;
    return run(name, expand_template(it->second, service, window));
  });
  if (auto it = objectives_.find(service); it != objectives_.end()) {
    s.error_rate_objective = it->second.error_rate;
    s.latency_p99_objective_ms = it->second.latency_p99_ms;
    s.queue_lag_objective = it->second.queue_lag;
  }
  return s;
}

std::optional<double> PrometheusTelemetry::query(const std::string& expr,
                                                 const engine::ServiceRef& service) {
  return run("verification", check_query(expr, service));
}

ConfigTopology::ConfigTopology(std::vector<TopologyService> services, engine::Telemetry& telemetry,
                               const PrometheusConfig& config)
    : services_(std::move(services)),
      telemetry_(telemetry),
      unhealthy_(config.unhealthy_error_rate) {
  auto it = config.queries.find("error_rate");
  error_template_ =
      it != config.queries.end() ? it->second : default_signal_queries().at("error_rate");
}

std::vector<engine::DependencyHealth> ConfigTopology::upstreams(const engine::ServiceRef& service) {
  std::vector<engine::DependencyHealth> out;
  for (const auto& ref : upstream_refs(service))
    out.push_back(health(ref));
  return out;
}

engine::DependencyHealth ConfigTopology::health(const engine::ServiceRef& service) {
  engine::DependencyHealth h;
  h.service = service;
  auto v = telemetry_.query(error_template_, h.service);
  if (!v) {
    h.healthy = true;
    h.reason = "no error-rate data for " + h.service.key();
  } else {
    h.error_rate = *v;
    h.healthy = *v <= unhealthy_;
    h.reason = "error_rate " + std::to_string(*v) + (h.healthy ? " <= " : " > ") +
               std::to_string(unhealthy_);
  }
  return h;
}

std::vector<engine::ServiceRef> ConfigTopology::upstream_refs(
    const engine::ServiceRef& service) const {
  std::vector<engine::ServiceRef> out;
  for (const auto& s : services_) {
    if (s.ns != service.ns || s.name != service.name) continue;
    for (const auto& dep : s.depends_on) {
      const auto slash = dep.find('/');
      out.push_back(slash == std::string::npos
                        ? engine::ServiceRef{service.ns, dep}
                        : engine::ServiceRef{dep.substr(0, slash), dep.substr(slash + 1)});
    }
  }
  return out;
}

std::size_t ConfigTopology::services_in_namespace(const std::string& ns) {
  std::set<std::string> names;
  for (const auto& s : services_)
    if (s.ns == ns) names.insert(s.name);
  return names.size();
}

}  // namespace selfheal::live
