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
// A call the engine makes blocks its thread for at most the configured timeout per query,
// unless the answers were prefetched: PrefetchScheduler (live/prefetch.hpp) sends the
// queries of a verification / follow-up on worker threads first (fetch() is thread-safe)
// and installs them with set_prefetched() around the engine callback, so the engine reads
// them without waiting. A query not prefetched is still sent, blocking (counted in
// blocking_queries()).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "engine/ports.hpp"
#include "engine/signal_queries.hpp"
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

/// The default PromQL template per signal name (engine/signal_queries.hpp: the simulator
/// evaluates the same ones).
using engine::default_signal_queries;

/// `tmpl` with {namespace}, {service} and {window} replaced.
std::string expand_template(const std::string& tmpl, const engine::ServiceRef& s,
                            core::Duration window);

class PrometheusTelemetry final : public engine::Telemetry {
 public:
  /// `objectives` (the serve config's `slo:` per service) are what signals() reports.
  explicit PrometheusTelemetry(const PrometheusConfig& config,
                               ServiceObjectivesMap objectives = {});
  /// The queried signals plus the service's configured objectives (ServiceSignals::
  /// *_objective; 0 for a service without `slo:`), as the simulator reports a scenario's.
  engine::ServiceSignals signals(const engine::ServiceRef& service, core::Duration window) override;
  /// Policy verification checks: `expr` may use the same placeholders.
  std::optional<double> query(const std::string& expr, const engine::ServiceRef& service) override;

  /// False without a Prometheus URL (every answer is "no data", nothing is sent).
  bool enabled() const { return client_.has_value(); }
  /// The PromQL signals(service, window) sends (the non-empty templates, expanded).
  std::vector<std::string> signal_queries(const engine::ServiceRef& service,
                                          core::Duration window) const;
  /// The PromQL query(expr, service) sends.
  std::string check_query(const std::string& expr, const engine::ServiceRef& service) const;

  struct Answer {
    std::optional<double> value;  ///< nullopt: no data (or an error)
    std::string error;            ///< non-empty when the query failed
  };
  using Answers = std::map<std::string, Answer>;  ///< PromQL -> answer
  /// Sends one query now. Thread-safe; ignores the prefetched answers.
  Answer fetch(const std::string& promql);
  /// Engine thread: answers signals()/query() use instead of sending, until cleared.
  void set_prefetched(std::shared_ptr<const Answers> answers) { prefetched_ = std::move(answers); }
  void clear_prefetched() { prefetched_.reset(); }

  std::uint64_t queries_sent() const { return sent_; }
  std::uint64_t query_errors() const { return errors_; }
  /// Engine reads answered from prefetched answers / sent while the engine waited.
  std::uint64_t prefetch_hits() const { return hits_; }
  std::uint64_t blocking_queries() const { return blocking_; }

 private:
  std::optional<double> run(const std::string& name, const std::string& promql);
  PrometheusConfig config_;
  ServiceObjectivesMap objectives_;  ///< services with an `slo:`
  std::map<std::string, std::string> templates_;
  std::optional<PrometheusClient> client_;
  std::shared_ptr<const Answers> prefetched_;
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> blocking_{0};
};

/// Dependencies from the config's topology; health from the upstream's error rate (the
/// `error_rate` template) against prometheus.unhealthy_error_rate. An upstream without data
/// counts as healthy (with the reason saying so): no evidence is not evidence of an outage.
class ConfigTopology final : public engine::Topology {
 public:
  ConfigTopology(std::vector<TopologyService> services, engine::Telemetry& telemetry,
                 const PrometheusConfig& config);
  std::vector<engine::DependencyHealth> upstreams(const engine::ServiceRef& service) override;
  /// `service`'s own error_rate query against prometheus.unhealthy_error_rate (whether or
  /// not the config's topology lists it).
  engine::DependencyHealth health(const engine::ServiceRef& service) override;
  std::size_t services_in_namespace(const std::string& ns) override;
  /// The upstreams configured for `service` (whose health upstreams() queries).
  std::vector<engine::ServiceRef> upstream_refs(const engine::ServiceRef& service) const;
  /// The PromQL template upstreams() sends per upstream (through Telemetry::query).
  const std::string& error_template() const { return error_template_; }

 private:
  std::vector<TopologyService> services_;
  engine::Telemetry& telemetry_;
  std::string error_template_;
  double unhealthy_;
};

}  // namespace selfheal::live
