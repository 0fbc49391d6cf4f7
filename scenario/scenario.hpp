// Scenarios: what a user writes to describe a simulated world, the policies under test
// and what must come out (docs/scenario.md has every field with its default and unit).
//
//   scenario: db-outage-restart-loop
//   description: payments-db goes down; payment-api starts returning 503s.
//   duration: 2h
//   seed: 7
//   cluster:
//     namespace: prod
//     services:
//       payment-api: {replicas: 3, depends_on: [payments-db], traffic: {rps: 150}}
//       payments-db: {kind: database}
//   policies: policies/naive-restart.yaml      # relative to this file, or inline
//   oncall: {response_time: 15m}
//   faults:
//     - {at: 10m, kind: dependency-outage, target: payments-db, duration: 45m}
//   expect:
//     - {metric: actions, where: {service: payment-api, action: restart}, max: 2}
//
// Loading collects EVERY problem, each with file, line and field (unknown keys with
// did-you-mean, unknown services, faults after the end of the run, a policy file that does
// not exist, unknown metrics, bad durations, and the cluster model's own validation), and
// returns no scenario when there is any (never a half-applied one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "engine/incident.hpp"
#include "engine/policy.hpp"
#include "engine/signal_queries.hpp"
#include "scenario/expectation.hpp"
#include "scenario/invariant.hpp"
#include "scenario/prom_rules.hpp"
#include "sim/cluster_spec.hpp"

namespace selfheal::scenario {

/// A classification supplied from outside (an AI service's verdict) for a fault's or a
/// calendar event's incidents: attached to every notification on `service` while that
/// incident is active (started, not yet recovered).
struct InjectedClassification {
  std::string fault;    ///< the fault's (or calendar event's) incident id
  std::string service;  ///< the service whose notifications carry it (default: the target)
  engine::ExternalClassification classification;
};

/// Randomisation for sweeps (`selfheal sweep`, scenario/variation.hpp). `selfheal run` applies
/// it only with an explicit `--seed` (to reproduce one run of a sweep); `check` never does.
struct Variation {
  std::optional<Duration> fault_start_jitter;  ///< each fault starts up to +- this
  std::optional<double> traffic_noise;         ///< replaces every service's traffic.noise
  std::optional<double> classifier_noise;      ///< std-dev added to injected confidences
  std::optional<double> classifier_accuracy;   ///< P(an injected verdict keeps its type)
  std::optional<Duration> responder_delay;     ///< on-call response time up to + this
  bool empty() const {
    return !fault_start_jitter && !traffic_noise && !classifier_noise && !classifier_accuracy &&
           !responder_delay;
  }
};

struct Scenario {
  std::string name;
  std::string description;
  std::string file;  ///< as given (for messages)
  Duration duration{};
  std::uint64_t seed = 1;
  sim::ClusterSpec cluster;  ///< faults named (ids final), validated
  engine::PolicySet policies;
  std::string policy_source;  ///< the policy file's path, or "inline"
  std::vector<std::string> policy_notes;
  std::vector<InjectedClassification> classifications;
  std::vector<Expectation> expectations;
  std::vector<Invariant> invariants;  ///< `invariants:` (scenario/invariant.hpp)
  Variation variation;
  std::vector<std::string> incident_ids;  ///< faults then planned events
  /// `alert_rules: {prometheus_rules: FILE}`: the rule file's alerts (scenario/prom_rules.hpp);
  /// cluster.alert_rules holds them as the world's external rules.
  std::vector<PromAlertRule> prometheus_rules;
  /// `signals: {serve_config: FILE}`: the PromQL template of every engine signal (live's
  /// defaults under the serve config's `prometheus.queries`), evaluated over the simulated
  /// series (scenario/serve_signals.hpp); nullopt: the model's own values.
  std::optional<engine::SignalQueries> signal_queries;
};

struct ScenarioLoad {
  std::optional<Scenario> scenario;  ///< set iff diagnostics is empty
  /// The text is a policy file (top-level `remediation_policies`), not a scenario: the one
  /// diagnostic says so; `selfheal check DIR` skips such a file with a note.
  bool policy_document = false;
  core::Diagnostics diagnostics;
};

/// Most services one scenario may declare. Memory grows with services (the YAML tree, the
/// world's pods and series): ~50 KB each, so 10,000 is ~0.5 GB; past that a run is not a
/// scenario but a fleet, and is refused with a clear error (docs/errors.md#limits).
inline constexpr std::size_t kMaxScenarioServices = 10'000;

/// Reads at most config::kMaxInputBytes (8 MiB); see docs/errors.md#limits.
ScenarioLoad load_scenario_file(const std::string& path);
/// `source_name` names the text in diagnostics; relative policy paths resolve against
/// `base_dir`.
ScenarioLoad load_scenario_string(const std::string& yaml, const std::string& source_name,
                                  const std::string& base_dir);

/// Every scenario file under `path`: the file itself, or a directory's `*.yaml`/`*.yml`
/// files (sorted by name, not descending into subdirectories such as policies/).
std::vector<std::string> scenario_files(const std::string& path, core::Diagnostics& diags);

}  // namespace selfheal::scenario
