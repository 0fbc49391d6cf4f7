// The built-in, transparent classifier: a naive-Bayes posterior over incident types from
// discretised evidence (Telemetry + Topology). Likelihood tables load from YAML
// (engine/classifier_model.yaml is the shipped default) so users can tune them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "engine/audit.hpp"
#include "engine/types.hpp"

namespace selfheal::engine {

/// Likelihood tables: for each evidence feature, its buckets (thresholds) and, per incident
/// type, P(bucket | type). Plus priors per type.
struct ClassifierModel {
  struct Feature {
    std::string name;                       ///< e.g. "oom_kills"
    std::vector<double> thresholds;         ///< ascending; bucket i = value < thresholds[i]
    std::vector<std::string> bucket_names;  ///< thresholds.size() + 1 names
    /// likelihood[type index][bucket index]
    std::vector<std::vector<double>> likelihood;
    /// ln(likelihood), filled by load_* and prepare(); classify computes it on the fly when
    /// its shape does not match `likelihood` (a hand-built model).
    std::vector<std::vector<double>> log_likelihood;
  };
  std::vector<std::string> types;
  std::vector<double> priors;
  std::vector<Feature> features;
  /// ln(priors normalised to sum 1), filled by load_* and prepare().
  std::vector<double> log_priors;

  /// Recomputes the log tables; call after editing `priors` or `likelihood` by hand.
  void prepare();

  /// The model shipped with selfheal (compiled in from classifier_model.yaml).
  static const ClassifierModel& builtin();
  static core::Result<ClassifierModel> load_file(const std::string& path);
  static core::Result<ClassifierModel> load_string(const std::string& yaml,
                                                   const std::string& source_name);
};

/// The incident types selfheal knows: the one list docs/policy.md ("Incident types") mirrors
/// (tests/cli/docs_test.cpp compares them). `builtin` types are the ones the shipped
/// classifier model produces (exactly ClassifierModel::builtin().types); the others come
/// only from an external classification (an AI service's verdict), e.g.
/// {"poisoned-cache", false}. A policy may still name any other type; `lint` notes it with a
/// did-you-mean.
struct KnownIncidentType {
  std::string_view name;
  bool builtin = false;
};
const std::vector<KnownIncidentType>& known_incident_types();

/// Evidence the classifier reads, gathered from Telemetry and Topology.
struct ClassifierInput {
  ServiceSignals signals;
  std::vector<DependencyHealth> upstreams;
  std::vector<PlannedEvent> planned_events;
};

/// The features a model may use, in the order docs/classifier.md describes them:
/// oom_kills, memory_growth_per_hour, memory_utilization, cpu_utilization, error_rate,
/// latency_ratio, since_last_deploy, dependency_errors, upstream_error_rate, ready_ratio,
/// traffic_ratio, queue_lag_trend.
const std::vector<std::string>& classifier_features();

/// The value of feature `name` for `input`, or nullopt when it is unknown (its signal is
/// listed in ServiceSignals::missing, a ratio has no baseline, there is no release history or
/// no upstream) and so is left out of the posterior. Example: latency_ratio = p99 / p99
/// baseline; since_last_deploy is in minutes.
std::optional<double> feature_value(std::string_view name, const ClassifierInput& input);

/// Posterior over the model's types; the winner's type, its posterior as confidence, and
/// the evidence sorted by how much it moved the winner: one Evidence per known feature with
/// its bucket and ln P(bucket | winner) - ln P(bucket | runner-up), largest |ratio| first.
/// `input.planned_events` is not evidence (the pipeline applies the planned-event penalty).
/// Deterministic: the same model and input give the same result; ties go to the type listed
/// first in the model. Source is "builtin".
Classification classify(const ClassifierModel& model, const ClassifierInput& input);

/// The whole posterior behind classify(): one (type, probability) per model type, in the
/// model's order, summing to 1; empty for a model without types. classify's confidence is
/// the largest of these. For showing the evidence (`selfheal decide` without a type).
std::vector<std::pair<std::string, double>> posterior(const ClassifierModel& model,
                                                      const ClassifierInput& input);

}  // namespace selfheal::engine
