// What a run measures (every definition, unit and
// tolerance is in docs/metrics.md).
//
// The metrics are computed from a run's sim::Timeline (and, when the counterfactual twin
// ran, the twin's timeline) by `compute_metrics`. They keep the facts they were computed
// from (every decision, action, verification, page, attributed to its incident), so an
// expectation can filter them (`where: {service, action, incident, outcome}`) and the
// report can show them. All times are offsets from the scenario start.
//
//   RunMetrics m = compute_metrics(run.timeline, &twin.timeline, options);
//   m.mttr_mean;            // optional: no recovered incident -> nullopt
//   m.unrecovered;          // counted, never dropped
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "engine/audit.hpp"
#include "engine/types.hpp"

namespace selfheal::sim {
struct Timeline;
}

namespace selfheal::scenario {

using core::Duration;

/// How many of the classifier's features a decision keeps (report.json `evidence`).
inline constexpr std::size_t kDecisionEvidence = 5;

/// One decision of the engine (an audit record of kind decision).
struct DecisionFact {
  Duration at{};
  std::string service;
  std::string incident;  ///< attributed incident id, "" when none matched
  std::string outcome;   ///< engine::to_string(Outcome)
  std::string policy;
  std::string incident_type;  ///< classification the engine used
  double confidence = 0.0;
  std::string classification_source;  ///< "external" | "builtin", "" when none
  /// Why the built-in classifier chose incident_type: its features, largest contribution
  /// first (engine::classify), at most kDecisionEvidence of them; empty for external verdicts.
  std::vector<engine::Evidence> evidence;
  std::string action;  ///< action executed / shadowed / suggested, "" if none
  std::string guardrail;
  std::string reason;
};

/// One automated action the engine executed (not shadowed, not recommended).
struct ActionFact {
  Duration at{};
  std::string service;
  std::string incident;
  std::string action;   ///< engine::to_string(ActionKind)
  std::string command;  ///< rendered argv
  /// Whether it helped: measured by counterfactual branches when they ran for its
  /// decision (`measured`), else the declared table's verdict (`declared_helpful`).
  bool helpful = false;
  std::optional<bool> verified;   ///< verification verdict, nullopt when none happened
  bool ok = true;                 ///< the actuator reported success
  bool declared_helpful = false;  ///< the declared table: it addresses the root cause
  bool measured = false;          ///< `helpful` comes from branches (scenario/counterfactuals)
};

/// What one branch of a decision measured over the decision's window [at, window_end]
/// (docs/metrics.md "Counterfactual branches").
struct BranchOutcome {
  std::string alternative;            ///< "as decided" (the run itself), "none", or an action kind
  double error_budget_minutes = 0.0;  ///< affected services plus the target, in the window
  bool breached = false;        ///< SLO breach: the incident pushed a service out of objectives
  bool recovered = false;       ///< the incident recovered inside the window
  std::optional<Duration> ttr;  ///< recovery - incident start, when recovered
  int pages = 0;                ///< pages in the window on the target or the incident
  int actions_after = 0;        ///< automated actions in the window (the intervention excluded)
};

/// The measured truth of one engine decision where acting was possible.
struct DecisionTruth {
  std::size_t decision = 0;  ///< index into RunMetrics::decisions
  Duration at{};
  Duration window_end{};  ///< the incident over in every branch; at most at + horizon, run end
  std::string service;
  std::string incident;
  std::string outcome;                  ///< the engine's outcome at the decision
  std::string action;                   ///< action executed or that would have been, "" if none
  bool acted = false;                   ///< outcome executed
  std::vector<BranchOutcome> branches;  ///< [0] is "as decided"
  /// acted: "helped" | "no effect" | "hurt" (the chosen action vs not acting, both held);
  /// held back: "missed" | "held back" (the best action vs the run as decided).
  std::string verdict;
  /// acted: none - action; held back: as decided - best action. In error-budget minutes,
  /// or — when those are within the tolerance — in minutes of time to recover (`basis`).
  double minutes_saved = 0.0;
  std::string basis;          ///< "error budget" | "time to recover" | "" (no difference)
  Duration incident_start{};  ///< the incident's start (the decision's time without one)
  std::string best;           ///< the branch with the fewest minutes (first on a tie)
  double best_minutes = 0.0;
  double regret_minutes = 0.0;           ///< as decided - best, >= 0
  std::optional<bool> declared_helpful;  ///< acted: what the declared table says
};

struct VerificationFact {
  Duration at{};
  std::string service;
  std::string incident;
  bool passed = false;
  std::string detail;
};

/// A page or an approval request to a person.
struct EscalationFact {
  Duration at{};
  std::string service;
  std::string incident;
  bool approval = false;  ///< an approval request rather than a page
  std::string channel;
  std::string reason;  ///< outcome that caused it
  std::string summary;
  /// What the page told: one line per step automation took, then the next step
  /// (engine::escalation_story).
  std::vector<std::string> story;
  /// Correlation: callers whose alerts joined this page's incident ("ns/name"), as of the
  /// page or its latest update (an update is not a new page; it refreshes summary and story).
  std::vector<std::string> affected;
  int updates = 0;          ///< how many times the open page was updated as services joined
  std::string fingerprint;  ///< the engine incident (PagerDuty dedup) the page is for
};

struct LoopFact {
  std::string service;
  Duration first{};
  Duration last{};
  int actions = 0;  ///< automated actions in the episode
};

struct IncidentMetrics {
  std::string id;    ///< fault/event name from the scenario
  std::string kind;  ///< fault kind, or the planned event's kind
  std::string root_service;
  std::vector<std::string> affected;  ///< services whose objectives it broke
  Duration start{};
  std::optional<Duration> end;               ///< when the fault itself stopped, if it does
  std::string true_type;                     ///< ground-truth incident type
  std::vector<std::string> helpful_actions;  ///< "service:action" per ground truth
  std::optional<Duration> detection;         ///< first alert on an affected service - start
  std::string classified_as;                 ///< first classification the engine made, "" if none
  std::optional<double> confidence;
  std::string classification_source;
  std::optional<bool> classification_correct;
  int decisions = 0;
  std::map<std::string, int> outcomes;  ///< decisions by outcome
  int actions = 0;
  int helpful = 0;
  int wrong = 0;
  int verifications = 0;
  int verifications_passed = 0;
  int pages = 0;
  int approval_requests = 0;
  std::optional<Duration> time_to_escalate;  ///< first page/approval request - start
  bool recovered = false;
  std::optional<Duration> ttr;      ///< recovery - start
  bool automated_recovery = false;  ///< recovered after a verified automated action, no page
  bool wrongly_acted = false;
  double error_budget_minutes = 0.0;
  std::optional<double> twin_error_budget_minutes;
  std::optional<bool> made_worse;
  // Measured by counterfactual branches (unset when they did not run):
  std::optional<bool> missed;            ///< a held-back decision was "missed"
  std::optional<double> regret_minutes;  ///< the largest regret of its decisions
  std::optional<bool> measured_worse;    ///< an action of it measured "hurt"
};

struct RunMetrics {
  Duration duration{};
  std::vector<IncidentMetrics> incidents;
  std::vector<DecisionFact> decisions;
  std::vector<ActionFact> actions;
  std::vector<VerificationFact> verifications;
  std::vector<EscalationFact> escalations;
  std::vector<LoopFact> loops;

  int recovered = 0;
  int unrecovered = 0;
  std::optional<Duration> mttr_mean;
  std::optional<Duration> mttr_p50;
  std::optional<Duration> mttr_p90;
  int remediation_loops = 0;
  int max_actions_per_target_hour = 0;
  std::string max_actions_target;
  int wrongly_acted = 0;
  std::optional<int> made_worse;                  ///< nullopt without the twin
  std::optional<double> automated_recovery_rate;  ///< nullopt with no incident
  std::optional<double> verification_pass_rate;   ///< nullopt with no verification
  std::optional<double> pages_per_incident;
  std::optional<Duration> time_to_escalate_mean;
  double error_budget_minutes = 0.0;
  std::optional<double> twin_error_budget_minutes;
  int pages = 0;
  int approval_requests = 0;

  // Counterfactual branches (scenario/counterfactuals.hpp); unset when they did not run.
  std::vector<DecisionTruth> truths;
  /// Declared table vs measured verdict, one line per disagreement.
  std::vector<std::string> disagreements;
  std::optional<int> missed_incidents;
  std::optional<double> regret_minutes;            ///< sum over incidents of their regret
  std::optional<int> harmful_decisions;            ///< executed decisions measured "hurt"
  std::optional<int> verification_false_failures;  ///< failed although the action helped
  std::optional<int> verification_false_passes;    ///< passed although it did not help
  std::optional<int> branches;                     ///< branch runs played
};

/// Tunables of the definitions (documented in docs/metrics.md).
struct MetricsOptions {
  Duration loop_window{std::chrono::hours{1}};
  int loop_min_actions = 3;
  /// Made worse: automation burned more than the twin by more than this many minutes
  /// and this share of the twin's burn.
  double made_worse_abs_minutes = 0.5;
  double made_worse_rel = 0.05;
};

/// The metrics of a run from its timeline; `twin` is the same scenario and seed run with the
/// engine in shadow mode (nullptr: made-worse and the budget comparison stay unset).
RunMetrics compute_metrics(const sim::Timeline& run, const sim::Timeline* twin,
                           const MetricsOptions& options = {});

/// The p-th percentile (0..100) by the nearest-rank method over sorted `v`; v non-empty.
Duration percentile(std::vector<Duration> v, int p);

/// When an incident that never pushed a service out of its objectives was over: the time
/// its last alert resolved with none of its alerts still firing, counting only events at
/// or before `until` (the end of the run; a counterfactual branch passes its horizon).
/// A resolution is matched by the alert, not the incident: a campaign's alert may resolve
/// the instant the campaign ends, after the incident's attribution. nullopt while one still
/// fires, or when none resolved.
std::optional<core::TimePoint> quiet_again(const sim::Timeline& t, const std::string& incident,
                                           core::TimePoint until = core::TimePoint::max());

}  // namespace selfheal::scenario
