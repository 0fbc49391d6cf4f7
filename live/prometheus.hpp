// Prometheus HTTP API client and the live Telemetry / Topology built on it.
//
// `PrometheusClient::query` GETs /api/v1/query?query=<url-encoded PromQL> and reduces the
// result to one number: a scalar's value, or the MAXIMUM over an instant vector's series
// (conservative for "is it still broken" checks; write templates that aggregate to one
// series to avoid relying on it). An empty vector or NaN is "no data" (nullopt).
//
// Signal templates (PromQL with {namespace}, {service}, {window} placeholders; namespace and
// service are DNS-1123-validated before substitution, so they cannot inject PromQL). The
// defaults assume kube-state-metrics, cAdvisor and an http_requests_total /
// http_request_duration_seconds instrumented service labelled with namespace + service
// (docs/live.md#signals lists them); override per signal in the config's
// prometheus.queries. A signal whose template is empty or returns no data is reported in
// ServiceSignals::missing.
//
// All calls block the calling (engine) thread for at most the configured timeout per query.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "engine/ports.hpp"
#include "live/config.hpp"

namespace selfheal::live {

class PrometheusClient {
 public:
  PrometheusClient(std::string base_url, core::Duration timeout)
      : base_url_(std::move(base_url)), timeout_(timeout) {}
  /// The value, nullopt for no data, or an Error (transport, HTTP status, API error).
  core::Result<std::optional<double>> query(const std::string& promql) const;
  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
  core::Duration timeout_;
};

/// Parses a /api/v1/query response body (exposed for tests).
core::Result<std::optional<double>> parse_query_response(const std::string& body);

/// The default PromQL template per signal name.
const std::map<std::string, std::string>& default_signal_queries();

/// `tmpl` with {namespace}, {service} and {window} replaced.
std::string expand_template(const std::string& tmpl, const engine::ServiceRef& s,
                            core::Duration window);

class PrometheusTelemetry final : public engine::Telemetry {
 public:
  explicit PrometheusTelemetry(const PrometheusConfig& config);
  engine::ServiceSignals signals(const engine::ServiceRef& service, core::Duration window) override;
  /// Policy verification checks: `expr` may use the same placeholders.
  std::optional<double> query(const std::string& expr, const engine::ServiceRef& service) override;
  std::uint64_t queries_sent() const { return sent_; }
  std::uint64_t query_errors() const { return errors_; }

 private:
  std::optional<double> run(const std::string& name, const std::string& promql);
  PrometheusConfig config_;
  std::map<std::string, std::string> templates_;
  std::optional<PrometheusClient> client_;
  std::uint64_t sent_ = 0;
  std::uint64_t errors_ = 0;
};

/// Dependencies from the config's topology; health from the upstream's error rate (the
/// `error_rate` template) against prometheus.unhealthy_error_rate. An upstream without data
/// counts as healthy (with the reason saying so): no evidence is not evidence of an outage.
class ConfigTopology final : public engine::Topology {
 public:
  ConfigTopology(std::vector<TopologyService> services, engine::Telemetry& telemetry,
                 const PrometheusConfig& config);
  std::vector<engine::DependencyHealth> upstreams(const engine::ServiceRef& service) override;
  std::size_t services_in_namespace(const std::string& ns) override;

 private:
  std::vector<TopologyService> services_;
  engine::Telemetry& telemetry_;
  std::string error_template_;
  double unhealthy_;
};

}  // namespace selfheal::live
