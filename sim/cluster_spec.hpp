// The configuration of a whole simulated world: services, faults, planned events, alert
// rules and the on-call human. Plain structs; the scenario loader (reports/) fills them from
// YAML, tests fill them in code. Every time in a spec is an OFFSET from the scenario start
// (`ClusterSpec::start`), never an absolute instant. Nothing here allocates per tick.
//
//   ClusterSpec c;
//   c.ns = "prod";
//   c.services.push_back({.name = "payment-api", .replicas = 3, .depends_on = {"payments-db"}});
//   c.services.push_back({.name = "payments-db", .kind = ServiceKind::kDatabase});
//   c.faults.push_back({.at = 10min, .kind = FaultKind::kDependencyOutage,
//                       .target = "payments-db", .duration = 45min});
//   core::Diagnostics d = validate(c);   // empty: World accepts it
//
// Ground truth: every fault and planned event, once instantiated against its ClusterSpec
// (`ground_truth(spec, i)`), knows its root-cause service, the services it can affect, the
// actions that genuinely help and why any other action does not (`judge`). Metrics use it
// to count helpful and wrong actions; the on-call responder uses it to fix things and to
// answer approval requests.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "engine/types.hpp"
#include "sim/prom_series.hpp"

namespace selfheal::sim {

using core::Duration;
using core::TimePoint;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------
// Services

enum class ServiceKind : std::uint8_t {
  kApi,       ///< stateless HTTP service: requests/s in, 5xx out
  kWorker,    ///< queue consumer: `traffic.rps` is messages/s produced; has queue lag
  kDatabase,  ///< stateful upstream; unavailability shows as its callers' connection errors
  kCache,     ///< in-memory cache; a purge sends its misses to its own upstreams
};
std::string_view to_string(ServiceKind k);  ///< "api" | "worker" | "database" | "cache"
std::optional<ServiceKind> parse_service_kind(std::string_view s);

/// Traffic a service receives from outside the cluster (its callers inside the cluster add
/// one call per request they serve).
struct TrafficSpec {
  double rps = 100.0;  ///< mean requests/s (messages/s for a worker) over a day
  bool daily_shape =
      true;  ///< diurnal curve 1 + 0.45 sin: peak 1.45x at 14:00, trough 0.55x at 02:00 UTC
  double noise = 0.05;  ///< relative std-dev of the seeded, autocorrelated noise, in [0, 1]
};

/// Kubernetes int-or-percent (maxSurge / maxUnavailable).
struct IntOrPercent {
  int value = 25;
  bool percent = true;
  /// Resolves against `replicas`; percentages round up (surge) or down (unavailable).
  int resolve(int replicas, bool round_up) const {
    if (!percent) return value;
    const long num = static_cast<long>(value) * replicas;
    return static_cast<int>(round_up ? (num + 99) / 100 : num / 100);
  }
};

/// One entry of `helm history`. The last entry of ServiceSpec::releases is current.
struct ReleaseSpec {
  int revision = 1;
  std::string version = "1.0.0";  ///< chart/image version, shown in messages
  bool bad = false;
  double error_rate = 0.0;      ///< bad release: share of requests failing (0 = use 0.3)
  bool crash_loop = false;      ///< bad release: pods crash `crash_after` after starting
  Duration crash_after = 90s;   ///< (passes readiness, then dies under real traffic)
  Duration deployed_ago = 72h;  ///< when it was rolled out, before the scenario start
};

struct SloSpec {
  double error_rate = 0.01;     ///< objective: share of requests failing <= this
  double latency_p99_ms = 0.0;  ///< objective on p99; 0 = none
  double queue_lag = 0.0;       ///< workers: messages waiting <= this; 0 = none
};

struct ServiceSpec {
  std::string name;  ///< DNS-1123 label, unique in the cluster
  ServiceKind kind = ServiceKind::kApi;
  int replicas = 3;                         ///< desired replicas at start, >= 1
  double capacity_rps_per_replica = 100.0;  ///< a warm Running pod serves this many requests/s
  double base_latency_ms = 50.0;            ///< p99 at low utilisation, without upstreams
  double base_error_rate = 0.001;           ///< background share of failing requests
  TrafficSpec traffic;
  std::vector<std::string> depends_on;  ///< direct upstreams (names of other services)
  double memory_per_pod_mb = 256.0;     ///< working set of a healthy pod
  double memory_limit_mb = 512.0;       ///< the container limit: above it the pod is OOMKilled
  Duration startup_delay = 30s;         ///< container start -> ready
  Duration warmup = 60s;                ///< after ready, the pod serves at half capacity
  Duration termination_grace = 30s;     ///< Terminating -> gone
  IntOrPercent max_surge{25, true};
  IntOrPercent max_unavailable{25, true};
  std::vector<ReleaseSpec> releases;       ///< oldest first; empty = one good release, revision 1
  std::vector<std::string> feature_flags;  ///< flags that exist (enabled); faults may add one
  bool critical = false;                   ///< alerts get severity=critical
  SloSpec slo;
};

/// A ServiceSpec with the defaults for `kind` (the struct's own defaults are an API's):
///   api:      3 replicas x 100 rps, p99 50 ms, 256/512 MB, 100 rps external traffic
///   worker:   3 replicas x 40 msg/s, 50 msg/s produced, SLO queue lag 5000
///   database: 2 replicas x 2000 rps, p99 5 ms, 2048/4096 MB, no external traffic,
///             startup 60 s
///   cache:    2 replicas x 5000 rps, p99 1 ms, 1024/2048 MB, no external traffic
/// Loaders start from this and apply what the user wrote.
ServiceSpec service_defaults(ServiceKind kind);

// ---------------------------------------------------------------------------------------
// Faults

enum class FaultKind : std::uint8_t {
  kMemoryLeak,             ///< every running container leaks `rate` MB/min until OOMKilled
  kCpuHog,                 ///< runaway threads in the pods running at `at`: CPU up, capacity down
  kBadDeploy,              ///< a new bad release is rolled out at `at` (errors or crash-loop)
  kDependencyOutage,       ///< `target` serves nothing for `duration`
  kDependencyDegradation,  ///< `target` fails `severity` of calls and adds `latency_ms`
  kTrafficSpike,           ///< unplanned: external traffic x `multiplier`
  kPodLoss,                ///< node failure: `pods` pods vanish; replaced after `replace_after`
  kConsumerStall,          ///< worker pods running at `at` stop consuming: queue lag grows
  kBadFeatureFlag,         ///< flag `flag` switched on: `severity` of requests fail
  kPoisonedCache,          ///< the service's cache serves bad entries: `severity` fail
};
std::string_view to_string(FaultKind k);  ///< "memory-leak", "cpu-hog", ...
std::optional<FaultKind> parse_fault_kind(std::string_view s);

/// Parameters; each kind reads only its own, the rest keep their defaults.
struct FaultParams {
  double rate = 0.0;        ///< memory-leak: MB/min per container (0 = OOM ~20 min after start)
  double severity = 0.0;    ///< share in [0,1]; 0 = the kind's default (see docs/model.md)
  double multiplier = 3.0;  ///< traffic-spike: external traffic factor, > 0
  int pods = 1;             ///< pod-loss: pods lost (capped at the pods that exist)
  int capacity_loss = 0;    ///< pod-loss: cluster capacity (pods) lost with the node
  Duration replace_after = 5min + 40s;  ///< pod-loss: node NotReady + eviction toleration
  std::string flag;         ///< bad-feature-flag: the flag's name (default "new-<target>-flow")
  double latency_ms = 0.0;  ///< dependency-degradation: added p99 (0 = 400 ms)
  bool crash_loop = false;  ///< bad-deploy: the release crash-loops instead of erroring
  std::string version;      ///< bad-deploy: version of the new release (default "<prev>-bad")
};

/// An intermittent fault (docs/scenario.md#intermittent-faults): from its start the fault's
/// effect is on for `on`, off for `off`, on again ..., until the fault ends (its duration,
/// or a fix). Each phase is lengthened or shortened by a draw in [-jitter, +jitter], where
/// jitter is `jitter` or, when `jitter_fraction` > 0, that share of the phase; draws come
/// from the seeded stream "fault/<incident id>/intermittent". Supported for
/// dependency-outage and dependency-degradation (their effect switches cleanly).
struct IntermittentSpec {
  Duration on{0};                ///< > 0
  Duration off{0};               ///< > 0
  double jitter_fraction = 0.0;  ///< in [0, 1)
  Duration jitter{0};            ///< >= 0, below both phases
};

struct FaultSpec {
  std::string name;  ///< incident id in reports; empty = "<kind>-<target>" (+ "-N" if repeated)
  Duration at{0};    ///< offset from the scenario start
  FaultKind kind = FaultKind::kMemoryLeak;
  std::string target;                ///< the service where the fault lives (the root cause)
  std::optional<Duration> duration;  ///< ends by itself after this; nullopt = until fixed
  FaultParams params;
  std::optional<IntermittentSpec> intermittent;  ///< nullopt = on for its whole life
};

// ---------------------------------------------------------------------------------------
// Planned events (the calendar)

enum class PlannedKind : std::uint8_t {
  kMarketingCampaign,  ///< external traffic x traffic_multiplier on `service`
  kDeployWindow,       ///< `release` is rolled out on `service` at `start`
  kMaintenance,        ///< `service` fails `severity` of requests between start and end
};
std::string_view to_string(PlannedKind k);  ///< "marketing-campaign" | "deploy-window" | ...
std::optional<PlannedKind> parse_planned_kind(std::string_view s);

struct PlannedEventSpec {
  std::string name;
  PlannedKind kind = PlannedKind::kMarketingCampaign;
  Duration start{0};    ///< offset from the scenario start
  Duration end{0};      ///< offset; > start
  std::string service;  ///< the service it applies to; empty = every service (calendar only)
  double traffic_multiplier = 1.0;     ///< marketing-campaign
  std::optional<ReleaseSpec> release;  ///< deploy-window: the release rolled out (revision
                                       ///< 0 = next free one)
  double severity = 1.0;               ///< maintenance: share of requests failing
};

// ---------------------------------------------------------------------------------------
// Detection

enum class CompareOp : std::uint8_t { kGt, kGe, kLt, kLe };
std::string_view to_string(CompareOp op);  ///< ">" ">=" "<" "<="
std::optional<CompareOp> parse_compare_op(std::string_view s);

/// A Prometheus-style alert rule, evaluated per service at every scrape tick:
/// `signal op threshold` held for `for_` fires; false again for `keep_firing_for` resolves
/// (Prometheus' keep_firing_for; 0 = resolves on the first false evaluation).
/// Gauges (error rate, cpu, p99, memory, ready ratio, queue lag, dependency errors, request
/// rate) use the tick's value; counters (oom_kills, restarts) use their increase over
/// `window` (like `increase(x[10m]) > 0`); queue_lag_trend is per minute over `window`.
struct AlertRuleSpec {
  std::string name;  ///< alertname, e.g. "HighErrorRate"
  engine::SignalName signal = engine::SignalName::kErrorRate;
  CompareOp op = CompareOp::kGt;
  double threshold = 0.0;
  Duration for_{0};
  Duration keep_firing_for{0};  ///< keeps firing this long after the condition clears
  Duration window = 10min;
  std::map<std::string, std::string> labels;  ///< e.g. severity=warning (added to alert labels)
  std::vector<ServiceKind> kinds;  ///< evaluated only for these kinds; empty = every kind
  bool enabled = true;             ///< an override with enabled=false removes a default rule
  /// An external rule: a Prometheus rule file's alert (scenario/prom_rules.hpp), whose
  /// condition the world does not compute but asks World::set_external_rule_evaluator for.
  /// `expr` is its PromQL text (messages), `interval` its group's evaluation interval (> 0,
  /// a multiple of the scrape interval); signal, op, threshold, window and kinds are unused.
  std::string expr;
  Duration interval{0};
  bool external() const { return !expr.empty(); }
};

/// The defaults: OOMKilled, HighErrorRate, HighCPU, PodCountDrop, HighLatency, QueueLag,
/// PodCrashLooping (thresholds in docs/model.md).
std::vector<AlertRuleSpec> default_alert_rules();

/// Alertmanager routing for the sim: alerts grouped per service (group_by: [namespace,
/// service]). The repeat interval is short by default so that the engine's own cooldown,
/// not the notifier, paces re-triggers (Alertmanager's own default is 4h: set it to model
/// that).
struct RoutingSpec {
  Duration group_wait = 30s;
  Duration group_interval = 1min;
  Duration repeat_interval = 2min;
};

// ---------------------------------------------------------------------------------------
// On-call

struct OnCallSpec {
  Duration response_time = 15min;               ///< page -> acknowledged
  std::optional<Duration> night_response_time;  ///< outside business hours, when set
  int business_hours_start = 9;                 ///< hour of day (UTC), [0, 24)
  int business_hours_end = 18;                  ///< exclusive, > start
  bool weekends_are_night = true;               ///< Sat/Sun use night_response_time
  Duration fix_time = 10min;  ///< ack -> a fix with no actuator (restore an upstream) lands
  /// When set, an alert labelled severity=critical pages the on-call directly, without the
  /// engine (Alertmanager's own PagerDuty route), once it has been firing longer than this
  /// in one episode. Flapping adds up; an episode ends after 30 min without firing. Use it
  /// for the counterfactual twin or a team that still pages on alerts.
  std::optional<Duration> direct_page_after;
};

// ---------------------------------------------------------------------------------------
// The world

struct ClusterSpec {
  std::string ns = "default";
  TimePoint start = TimePoint{std::chrono::duration_cast<Duration>(
      std::chrono::sys_days{std::chrono::year{2026} / 1 / 5}.time_since_epoch())};
  Duration scrape_interval = 15s;
  std::optional<int> capacity_pods;  ///< cluster-wide pod slots; nullopt = unbounded
  std::vector<ServiceSpec> services;
  std::vector<FaultSpec> faults;
  std::vector<PlannedEventSpec> planned;
  bool default_rules = true;               ///< start from default_alert_rules()
  std::vector<AlertRuleSpec> alert_rules;  ///< added; same name as a default replaces it
  RoutingSpec routing;
  OnCallSpec oncall;
  /// Exporter metric name -> the name published instead (sim/prom_series.hpp).
  MetricNames metric_names;
};

/// Every problem in `spec` at once (unknown/duplicate services, dependency cycles, bad
/// numbers, fault targets that do not exist, end <= start ...). Field paths look like
/// `services[2].depends_on[0]`, `faults[1].target`.
core::Diagnostics validate(const ClusterSpec& spec);

/// The rules in force: defaults (unless disabled) with overrides by name, then additions.
std::vector<AlertRuleSpec> effective_alert_rules(const ClusterSpec& spec);

// ---------------------------------------------------------------------------------------
// Ground truth

/// An action on a service.
struct ActionTarget {
  engine::ActionKind kind = engine::ActionKind::kRestart;
  std::string service;
  friend bool operator==(const ActionTarget&, const ActionTarget&) = default;
};

/// What an incident really is. For a planned event `planned` is true.
struct GroundTruth {
  std::string id;    ///< fault/event name (unique in the run)
  std::string kind;  ///< fault kind or planned kind, e.g. "dependency-outage"
  bool planned = false;
  std::string root_service;     ///< where the cause lives
  std::string incident_type;    ///< engine::incident_types spelling, e.g. "dependency-failure"
  Duration start{0};            ///< offset from scenario start
  std::optional<Duration> end;  ///< when the cause stops by itself, if it does
  std::vector<std::string> affected;  ///< root + every transitive dependent, spec order
  std::vector<ActionTarget> helpful;  ///< actions that genuinely help
  /// Notable wrong actions, each with the reason (for reports); any action not in
  /// `helpful` is wrong, see judge().
  std::vector<std::pair<ActionTarget, std::string>> wrong;
  /// What the on-call does after acknowledging: an action, or nothing (wait).
  std::optional<engine::ActionSpec> human_fix;
  std::string human_fix_service;
  bool human_fix_ends_cause = false;  ///< e.g. a hotfix for a leak, restoring a dead upstream
  std::string human_note;             ///< e.g. "wait for payments-db to recover"
};

/// Ground truth for faults[i] (`planned == false`) or planned[i] (`planned == true`).
/// Precondition: validate(spec) is empty.
GroundTruth ground_truth(const ClusterSpec& spec, std::size_t index, bool planned);
/// All of them: faults first, then planned events, in spec order.
std::vector<GroundTruth> ground_truths(const ClusterSpec& spec);

struct ActionVerdict {
  bool helpful = false;
  std::string
      reason;  ///< why; e.g. "restart during an upstream outage (payments-db) does not help"
};
/// Judges `kind` on `service` against `truth`.
ActionVerdict judge(const GroundTruth& truth, engine::ActionKind kind, std::string_view service);

}  // namespace selfheal::sim
