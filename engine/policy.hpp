// The policy model: what a remediation policy file says, after loading and validation.
//
// The seed format loads verbatim (`remediation_policy:` with one policy), and so does the
// list form (`remediation_policies:`), optionally beside an `engine:` block of engine-wide
// settings. See docs/policy.md for every field, its default and its unit.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/defaults.hpp"
#include "engine/types.hpp"

namespace selfheal::engine {

enum class Mode : std::uint8_t {
  kShadow,     ///< decide and audit; never call the Actuator
  kRecommend,  ///< suggest to a person; never call the Actuator
  kAuto,       ///< execute when every guardrail passes
};
std::string_view to_string(Mode m);
std::optional<Mode> parse_mode(std::string_view s);

enum class RiskClass : std::uint8_t { kLow, kMedium, kHigh };
std::string_view to_string(RiskClass r);

/// One verification check after the window. Built-in checks read Telemetry signals;
/// `promql` checks go to Telemetry::query (live only; the simulator marks them skipped).
struct VerificationCheck {
  std::optional<SignalName> signal;
  std::string promql;
  std::optional<double> max;      ///< pass when value <= max
  std::optional<double> min;      ///< pass when value >= min
  bool back_to_baseline = false;  ///< error rate / latency within 1.5x of baseline
  std::string description;        ///< for audit and reports
};

struct PlannedEventHandling {
  double confidence_penalty = 0.4;  ///< subtracted while a planned event is active
  /// Actions that need a person's approval while a planned event is active.
  std::vector<ActionKind> approval_required_for{ActionKind::kScale};
  /// Which event kinds count ("" = all).
  std::vector<std::string> kinds;
};

struct DependencyPrecheck {
  bool enabled = false;
  double max_upstream_error_rate = 0.05;  ///< an upstream above this is unhealthy
  /// false (`depth: direct`, the default): the target's own upstreams only. true (`depth:
  /// transitive`): their upstreams too, breadth first, up to `max_depth` hops, each service
  /// visited once (a dependency cycle ends there); the nearest unhealthy hop is blamed.
  bool transitive = false;
  int max_depth = defaults::kPrecheckMaxDepth;  ///< hops, with transitive; direct = 1
  /// How many hops are checked: 1 when direct.
  int depth() const { return transitive ? max_depth : 1; }
};

/// The recurrence guardrail: `max` verified remediations of this incident type on one target
/// inside `window` and the next action is a page instead ("automation is masking a fault
/// that needs a fix"). max 0 = off.
struct Recurrence {
  int max = defaults::kRecurrenceMax;
  Duration window{defaults::kRecurrenceWindow};
};

struct Scope {
  std::vector<std::string> namespaces;  ///< empty = any
  std::vector<std::string> services;    ///< empty = any
  std::vector<std::string> exclude_services;
};

struct Policy {
  std::string incident_type;        ///< e.g. "memory-leak"; unique within a set
  std::string detection_signal;     ///< e.g. "OOMKilled" (documentation + sim detection)
  std::vector<ActionSpec> actions;  ///< ordered escalating ladder; [0] is the first action
  bool action_defaulted = false;    ///< no action was named; the type's default applied
  bool auto_execute = false;        ///< false = recommend-only even in auto mode
  double confidence_threshold = 0.9;
  int max_attempts = 1;
  Duration cooldown{defaults::kCooldown};
  Duration verification_window{defaults::kVerificationWindow};
  /// The longest verification waits for the action to take effect before judging
  /// (docs/pipeline.md#verification); past it the action counts as failed.
  Duration completion_timeout{defaults::kCompletionTimeout};
  /// A check on a lower-is-better signal also passes when the signal fell by at least this
  /// share of its before-action value; 0 = off.
  double improvement_margin = defaults::kImprovementMargin;
  bool rollback_if_failed = false;
  std::string escalation_channel = "default";  ///< defaults::kDefaultChannel when not written
  int escalation_channel_line = 0;  ///< where escalation_channel was written; 0 = not written
  RiskClass risk = RiskClass::kLow;
  Scope scope;
  DependencyPrecheck dependency_precheck;
  Recurrence recurrence;
  PlannedEventHandling planned_events;
  std::vector<VerificationCheck> verification;  ///< empty = defaults for the action
  int source_line = 0;                          ///< where it was defined (for lint and audit)
};

struct GlobalLimits {
  int max_concurrent_actions = 0;  ///< 0 = unlimited
  int max_actions_per_window = 0;  ///< circuit breaker; 0 = off
  Duration rate_window{defaults::kRateWindow};
  double blast_radius = 1.0;  ///< max share of a namespace's services in flight
};

/// `engine.freeze_when`: while any of `unhealthy` is unhealthy (Topology::health), no
/// automated action is started for a target in scope; the decision is refused with
/// outcome kill-switch, guardrail "freeze", and pages ("freeze: orders-db unhealthy (...)").
/// Example: `freeze_when: {unhealthy: [orders-db], scope: {namespaces: [orders]}}`.
struct Freeze {
  /// The services watched: "name" (in the namespace of the incident's target) or "ns/name".
  std::vector<std::string> unhealthy;
  /// The scope frozen: every target when both lists are empty (`scope: all`, the default),
  /// else a target whose namespace is in `namespaces` or whose name is in `services`.
  std::vector<std::string> namespaces;
  std::vector<std::string> services;
  bool enabled() const { return !unhealthy.empty(); }
  /// The watched service `entry` resolved for a target in namespace `ns`.
  static ServiceRef resolve(const std::string& entry, const std::string& ns);
  bool covers(const ServiceRef& target) const;
};

struct EngineSettings {
  Mode mode = Mode::kAuto;
  bool kill_switch = false;
  GlobalLimits limits;
  std::vector<std::string> allowed_namespaces;  ///< empty = any
  Freeze freeze;                                ///< off unless `freeze_when:` names services
  /// Flapping (docs/pipeline.md#flapping): an alert that fires again on the same target
  /// within this long of resolving continues the incident it resolved: it shares that
  /// incident's attempt budget and page. 0 (the default) = off: every firing is new.
  Duration flap_window{defaults::kFlapWindow};
};

struct PolicySet {
  std::vector<Policy> policies;
  EngineSettings settings;
  std::string source_file;
  /// The policy for `incident_type` (canonicalised first, see canonical_incident_type),
  /// or nullptr.
  const Policy* find(std::string_view incident_type) const;
};

/// The default first action for an incident type, or nullopt when the type has none (a
/// policy for it must name its action). Aliases are canonicalised first. The table
/// (docs/policy.md#default-actions):
///   memory-leak -> restart            cpu-spike -> scale to 6 replicas (the seed's)
///   bad-deployment -> rollback to the previous release
///   traffic-spike -> scale by 2x, at most 20 replicas
///   consumer-stall -> restart         poisoned-cache -> cache-purge
///   pod-loss, dependency-failure, unknown -> page (no automated change)
///   bad-feature-flag -> nullopt (the flag must be named)
std::optional<ActionSpec> default_action_for(std::string_view incident_type);

/// The canonical spelling of an incident type: `high-memory-leak` (the seed's name) ->
/// `memory-leak`; any other text is returned unchanged. Policies store canonical types and
/// PolicySet::find canonicalises its argument, so either spelling finds the policy.
std::string_view canonical_incident_type(std::string_view incident_type);

}  // namespace selfheal::engine
