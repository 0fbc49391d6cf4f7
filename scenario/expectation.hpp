// Expectations: the `expect:` block of a scenario, and their verdicts against a run.
//
//   expect:
//     - {metric: actions, where: {service: payment-api, action: restart}, max: 2}
//     - {metric: time_to_escalate, where: {service: payment-api}, max: 20m}
//     - {metric: wrongly_acted_incidents, equals: 0}
//
// Each metric has a kind (count, number, ratio, duration, bool, text) that decides how the
// bound is read, and the `where` keys it accepts. The catalogue is `metric_catalog()`;
// docs/metrics.md lists it for users.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "scenario/run_metrics.hpp"
#include "scenario/yaml_util.hpp"

namespace selfheal::scenario {

enum class MetricKind { kCount, kNumber, kRatio, kDuration, kBool, kText };

struct MetricInfo {
  std::string name;
  MetricKind kind;
  std::vector<std::string> where;  ///< filters it accepts
  std::string description;
};

const std::vector<MetricInfo>& metric_catalog();
const MetricInfo* find_metric(const std::string& name);

struct Where {
  std::string service;
  std::string action;
  std::string incident;
  std::string outcome;
  bool empty() const {
    return service.empty() && action.empty() && incident.empty() && outcome.empty();
  }
};

/// A bound value: number (counts, ratios, durations in ms), bool, or text.
struct Bound {
  double number = 0.0;
  bool flag = false;
  std::string text;
};

struct Expectation {
  std::string metric;
  Where where;
  std::optional<Bound> max;
  std::optional<Bound> min;
  std::optional<Bound> equals;
  int line = 0;          ///< in the scenario file
  std::string describe;  ///< "actions{service=payment-api,action=restart} <= 2"
};

struct ExpectationResult {
  Expectation expectation;
  bool passed = false;
  std::string expected;  ///< "<= 2"
  std::string actual;    ///< "12", or "none (never happened)"
};

/// Parses the `expect` list. Problems go to the reader's diagnostics; invalid entries are
/// skipped. `known_services`/`known_incidents` validate `where` values.
std::vector<Expectation> parse_expectations(const YAML::Node& node, YamlReader& reader,
                                            const std::vector<std::string>& known_services,
                                            const std::vector<std::string>& known_incidents);

/// The metric's value for a run under `where`, formatted for people; nullopt when it never
/// happened (e.g. time_to_escalate with no page). Numbers: `value_out` receives it.
struct MetricValue {
  std::optional<double> number;  ///< counts, numbers, ratios; durations in ms
  std::optional<bool> flag;
  std::optional<std::string> text;
  std::string display;  ///< "12", "4m30s", "0.880", "true", "none (never happened)"
};
MetricValue metric_value(const RunMetrics& m, const std::string& metric, const Where& where);

ExpectationResult evaluate(const Expectation& e, const RunMetrics& m);
std::vector<ExpectationResult> evaluate_all(const std::vector<Expectation>& es,
                                            const RunMetrics& m);

}  // namespace selfheal::scenario
