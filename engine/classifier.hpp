// The built-in, transparent classifier: a naive-Bayes posterior over incident types from
// discretised evidence (Telemetry + Topology). Likelihood tables load from YAML
// (engine/classifier_model.yaml is the shipped default) so users can tune them.
#pragma once

#include <string>
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
  };
  std::vector<std::string> types;
  std::vector<double> priors;
  std::vector<Feature> features;

  /// The model shipped with selfheal (compiled in from classifier_model.yaml).
  static const ClassifierModel& builtin();
  static core::Result<ClassifierModel> load_file(const std::string& path);
  static core::Result<ClassifierModel> load_string(const std::string& yaml,
                                                   const std::string& source_name);
};

/// Evidence the classifier reads, gathered from Telemetry and Topology.
struct ClassifierInput {
  ServiceSignals signals;
  std::vector<DependencyHealth> upstreams;
  std::vector<PlannedEvent> planned_events;
};

/// Posterior over the model's types; the winner's type, its posterior as confidence, and
/// the evidence sorted by how much it moved the winner.
Classification classify(const ClassifierModel& model, const ClassifierInput& input);

}  // namespace selfheal::engine
