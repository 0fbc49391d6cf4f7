// The evidence for promoting an incident type from shadow / recommend to auto: for each
// (incident type, service), how often the engine would have acted, and what happened
// afterwards — the alert resolved on its own, a person did the same action, a person did
// something else — with the time the engine would have saved. From it, a recommendation
// per row, never on fewer than `min_observations` (docs/promote.md).
//
//   auto obs = promote::observations_from_audit(records);   // serve's audit
//   auto table = promote::build_table(obs, person_actions, promote::Options{});
//   for (const auto& row : table.rows) std::cout << row.recommendation_text << "\n";
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "engine/audit.hpp"
#include "promote/k8s_audit.hpp"

namespace selfheal::promote {

/// One firing the engine would have acted on (a shadow or recommend decision).
struct Observation {
  core::TimePoint time{};
  std::string incident;  ///< the alert's fingerprint
  std::string incident_type;
  engine::ServiceRef target;
  engine::ActionKind action = engine::ActionKind::kRestart;
  std::string mode;  ///< "shadow" | "recommend"
  /// When the alert resolved (a `resolved` record for the same fingerprint), if it did.
  std::optional<core::TimePoint> resolved_at;
};

/// Shadow and recommend decisions of an audit log (serve's, or a simulated run's), each
/// with the time its alert resolved. Follow-ups, duplicates and held-back decisions are not
/// observations: only the first would-act decision of each firing counts.
std::vector<Observation> observations_from_audit(const std::vector<engine::AuditRecord>& records);

struct Options {
  /// A person's action counts when it completes within this long after the decision.
  core::Duration match_window = std::chrono::minutes{30};
  /// Fewer observations than this: no recommendation, and the row says so.
  std::size_t min_observations = 5;
  /// Promote when at least this share of observations had a person do the same action...
  double promote_share = 0.8;
  /// ...and at most this share resolved on its own or had a person do something else.
  double max_contrary_share = 0.1;
};

enum class Verdict { kPromote, kKeep, kTooFewObservations, kDoNotAutomate };
std::string_view to_string(Verdict v);

struct Row {
  std::string incident_type;
  engine::ServiceRef target;
  engine::ActionKind action = engine::ActionKind::kRestart;  ///< the most frequent one
  std::size_t would_act = 0;                                 ///< observations
  std::size_t person_same = 0;      ///< a person did the same kind of action in the window
  std::size_t person_other = 0;     ///< a person changed the workload otherwise, not the same
  std::size_t resolved_on_own = 0;  ///< resolved in the window with no person action
  std::size_t no_signal = 0;        ///< none of the above within the window
  /// Median of (person's action − decision) over person_same: what auto would have saved.
  std::optional<core::Duration> median_saved;
  Verdict verdict = Verdict::kKeep;
  std::string reason;  ///< the evidence in one sentence
};

struct Table {
  std::vector<Row> rows;  ///< sorted by incident type, namespace, name
  Options options;
};

Table build_table(const std::vector<Observation>& observations,
                  const std::vector<PersonAction>& person_actions, const Options& options);

}  // namespace selfheal::promote
