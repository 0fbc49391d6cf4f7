// What one scenario run leaves for the report writers: the scenario's identity, the
// metrics, the expectation verdicts, and the chart data (per affected service: sampled
// error rate and replicas, plus the markers of everything that happened). The writers
// (json/markdown/html/junit) read only this, never the simulator directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "scenario/expectation.hpp"
#include "scenario/invariant.hpp"
#include "scenario/run_metrics.hpp"
#include "scenario/verdict.hpp"

namespace selfheal::scenario {

struct ChartPoint {
  Duration t{};
  double error_rate = 0.0;  ///< [0, 1]
  double ready = 0.0;       ///< ready replicas
  double desired = 0.0;     ///< desired replicas
};

enum class MarkerKind {
  kFault,
  kPlanned,
  kAlert,
  kDecision,
  kAction,
  kVerification,
  kPage,
  kApproval,
  kRecovery,
};
std::string_view to_string(MarkerKind k);

/// One thing that happened, drawn on a service's chart; `label` is the hover text.
struct Marker {
  Duration at{};
  std::string service;
  MarkerKind kind = MarkerKind::kDecision;
  std::string label;
  bool bad = false;               ///< failed verification, wrong action, ... (drawn emphasised)
  std::optional<Duration> until;  ///< faults and planned events: end of their span
};

struct ServiceChart {
  std::string service;
  double error_objective = 0.0;  ///< max error rate within objectives (a dashed line)
  std::vector<ChartPoint> points;
};

struct RunResult {
  std::string scenario;
  std::string description;
  std::string file;
  std::uint64_t seed = 0;
  Duration duration{};
  std::string mode;      ///< engine mode of the run
  std::string policies;  ///< policy file, or "inline"
  bool twin = false;     ///< the counterfactual twin ran
  RunMetrics metrics;
  std::vector<ExpectationResult> expectations;
  /// The scenario's invariants, checked over the run's timeline (empty: none stated). A
  /// broken invariant fails the run like a failed expectation.
  std::vector<InvariantResult> invariants;
  /// The rollout verdict every report puts first (scenario/verdict.hpp).
  Verdict verdict;
  std::vector<ServiceChart> charts;
  std::vector<Marker> markers;  ///< sorted by time, then service
  std::vector<std::string> notes;
  /// The baseline health check's problems (sim/baseline_health.hpp), when the run went ahead
  /// with --allow-unhealthy-baseline; empty for a healthy world. Every report warns.
  std::vector<std::string> baseline_warnings;

  bool passed() const {
    for (const auto& e : expectations)
      if (!e.passed) return false;
    return invariants_held();
  }
  bool invariants_held() const {
    for (const auto& i : invariants)
      if (!i.held) return false;
    return true;
  }
  int failed_expectations() const {
    int n = 0;
    for (const auto& e : expectations)
      n += e.passed ? 0 : 1;
    return n;
  }
};

}  // namespace selfheal::scenario
