// `selfheal serve` configuration: one YAML file (docs/live.md#configuration).
//
//   listen: {address: 127.0.0.1, port: 9095}
//   auth: {token_file: /etc/selfheal/token}      # or token: ... | token_env: NAME
//   policies: policies.yaml                      # path (relative to this file) or inline map
//   engine: {mode: auto, max_concurrent_actions: 3}   # overrides the policy file's engine:
//   dry_run: true                                # --execute on the command line acts
//   prometheus: {url: http://127.0.0.1:9090, timeout: 5s, window: 5m, queries: {...}}
//   kubernetes: {kubectl: kubectl, helm: helm, context: prod, timeout: 2m}
//   allowed_namespaces: [prod]
//   labels: {service: [service, app, deployment], namespace: [namespace]}
//   notifiers:
//     - {name: pd, type: pagerduty, url: ..., routing_key_env: PD_KEY, channels: [pagerduty-p1]}
//     - {name: chat, type: webhook, url: http://127.0.0.1:8080/hook}
//   state: {path: /var/lib/selfheal/state.db, audit_max_age: 90d, audit_max_rows: 500000,
//           max_open_targets: 10000}
//   kill_switch_file: /run/selfheal/kill
//   body_limit: 1048576                          # bytes
//   max_connections: 256                         # clamped below the descriptor limit
//   request_timeout: 10s                         # to read one request; idle keep-alive too
//   topology: {services: {payment-api: {namespace: prod, depends_on: [payments-db],
//                                       slo: {error_rate: 0.01, latency_p99_ms: 300}}}}
//   calendar: planned-events.yaml
//
// Every problem is reported (file, line, field), unknown keys included; a config with any
// error is not returned. Relative paths resolve against the config file's directory.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "engine/policy.hpp"
#include "live/alertmanager.hpp"

namespace selfheal::live {

struct NotifierConfig {
  enum class Type { kPagerDuty, kWebhook };
  std::string name;
  Type type = Type::kWebhook;
  std::string url;                    ///< http:// only (see docs/live.md#tls)
  std::string routing_key;            ///< PagerDuty integration key (resolved from *_env / *_file)
  std::vector<std::string> channels;  ///< escalation channels it serves; empty = every one
  int source_line = 0;                ///< where it was defined in the serve config
  int max_attempts = 5;               ///< delivery attempts before giving up
  core::Duration backoff{std::chrono::seconds{1}};  ///< first retry delay, doubled each time
  core::Duration timeout{std::chrono::seconds{5}};  ///< per attempt
};

struct PrometheusConfig {
  std::string url;  ///< empty = no Prometheus (signals missing; promql checks skipped)
  core::Duration timeout{std::chrono::seconds{5}};
  core::Duration window{std::chrono::minutes{5}};  ///< default window for signal queries
  double unhealthy_error_rate = 0.05;  ///< an upstream above this error rate is unhealthy
  /// Signal name (types.hpp SignalName spelling, plus the *_baseline, ready/desired replica
  /// and growth names) -> PromQL template. Overrides the defaults (live/prometheus.hpp).
  std::map<std::string, std::string> queries;
};

struct KubeConfig {
  std::string kubectl = "kubectl";
  std::string helm = "helm";
  std::string context;  ///< kubeconfig context; empty = current
  core::Duration timeout{std::chrono::minutes{2}};
};

/// A service's objectives (SLO), as a scenario's `slo:` states them; 0 = none for that
/// signal. The live Telemetry hands them to the engine in ServiceSignals::*_objective, so a
/// verification check that misses its bound passes when the signal is within them
/// (docs/pipeline.md#verification). Example: `slo: {error_rate: 0.01, latency_p99_ms: 300}`.
struct ServiceObjectives {
  double error_rate = 0.0;      ///< share of requests failing, [0, 1]
  double latency_p99_ms = 0.0;  ///< p99 latency in ms, >= 0
  double queue_lag = 0.0;       ///< messages waiting, >= 0
  bool any() const { return error_rate > 0.0 || latency_p99_ms > 0.0 || queue_lag > 0.0; }
};

struct TopologyService {
  std::string ns;
  std::string name;
  std::vector<std::string> depends_on;  ///< same namespace unless written ns/name
};

/// Per service, the objectives its topology entry states (only those with an `slo:`).
using ServiceObjectivesMap = std::map<engine::ServiceRef, ServiceObjectives>;

struct EngineOverrides {
  std::optional<engine::Mode> mode;
  std::optional<int> max_concurrent_actions;
  std::optional<int> max_actions_per_window;
  std::optional<core::Duration> rate_window;
  std::optional<double> blast_radius;
};

struct ServeConfig {
  std::string source_file;
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 9095;
  std::string token;          ///< resolved bearer token (never logged)
  std::string policies_file;  ///< set when `policies:` is a path
  std::string policies_yaml;  ///< set when `policies:` is inline (re-emitted YAML)
  EngineOverrides engine;
  bool dry_run = true;
  PrometheusConfig prometheus;
  KubeConfig kube;
  LabelMapping labels;  ///< allowed_namespaces lives here too
  std::vector<NotifierConfig> notifiers;
  std::string state_path = "selfheal-state.db";
  std::string kill_switch_file;
  std::size_t body_limit = 1 << 20;
  int max_connections = 256;  ///< concurrent HTTP connections (docs/security.md#limits)
  core::Duration request_timeout{std::chrono::seconds{10}};  ///< per request read / idle wait
  std::vector<TopologyService> topology;
  ServiceObjectivesMap objectives;  ///< topology.services.<name>.slo, keyed by namespace/name
  std::string calendar_file;
  int io_threads = 1;

  // State safety and retention (docs/live.md#state-safety); keys under `state:`.
  /// Audit records older than this are pruned (0 = kept by age forever).
  core::Duration audit_max_age{std::chrono::hours{24 * 90}};
  /// At most this many audit records are kept, the oldest pruned first (0 = no limit).
  std::size_t audit_max_rows = 500'000;
  /// Targets with unresolved alerts the service tracks at once; an alert for a new target
  /// past it is refused (audited, paged once, never acted on). 0 = no cap.
  std::size_t max_open_targets = 10'000;
  /// Set by `serve --reset-state` only, never from the file: a bad state database is moved
  /// aside and replaced by an empty one instead of stopping start-up.
  bool reset_state = false;
};

struct ConfigLoad {
  std::optional<ServeConfig> config;  ///< set iff diagnostics is empty
  core::Diagnostics diagnostics;
};

ConfigLoad load_serve_config(const std::string& path);
/// `source_name` names the file in errors; relative paths resolve against `base_dir`.
ConfigLoad load_serve_config_string(const std::string& yaml, const std::string& source_name,
                                    const std::string& base_dir);

/// Every page must reach a notifier meant for it (docs/live.md#escalation). When at least one
/// notifier lists `channels` (the config routes by channel), every `escalation_channel` a
/// policy names must be listed by some notifier: a channel listed by none is an error naming
/// the policy file, line and field (a typo such as `pagerduty-p3` would otherwise page only
/// the catch-all notifiers, or nobody). Pages without a policy use the default channel
/// (engine::defaults::kDefaultChannel); when every notifier lists channels and none lists it,
/// that is an error at the first notifier. `policy_file` names the policies in errors.
/// Empty when every page has somewhere to go; call it at start-up, after both files load.
core::Diagnostics check_escalation_channels(const ServeConfig& config,
                                            const engine::PolicySet& policies,
                                            const std::string& policy_file);

/// Applies the overrides to policy-file settings.
void apply_overrides(const EngineOverrides& o, engine::EngineSettings& s);

}  // namespace selfheal::live
