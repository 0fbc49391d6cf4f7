// Backtest: what would this policy have done over what really fired? The history's
// firings become the notifications Alertmanager would have sent (one when a firing starts,
// a re-delivery every `repeat_interval` while it fires, a resolved one when it ends), fed
// in time order to the real engine on a virtual clock (engine/fixed_ports.hpp). Open loop:
//
// - every guardrail runs as in `serve` (duplicates, kill switch, scope, cooldown, max
//   attempts, rate limits and circuit breaker, blast radius, calendar, modes), with the
//   engine's own in-memory state;
// - actions are recorded, never run: the actuator reports each one done at once;
// - verification cannot be known: the telemetry answers "no data" for every signal, so the
//   engine's verification says "not verified" (its real behaviour without data). Every
//   action or page that follows a verification on the same target, until that target's
//   alerts have all resolved, is marked `conditional`: it happens only if the real
//   verification would also have failed.
// - classification: an alert's `incident_type`/`confidence` annotations, as in `serve`;
//   without them the built-in classifier runs on no data (usually low confidence: a page).
//
//   auto result = backtest::run(history, policies, {});
//   backtest::write_text(std::cout, result);
//
// Deterministic: the same history and policy give the same result, byte for byte.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/audit.hpp"
#include "engine/policy.hpp"
#include "engine/types.hpp"
#include "history/history.hpp"

namespace selfheal::backtest {

/// Alertmanager's default repeat_interval: how often a firing alert is re-sent.
inline constexpr engine::Duration kDefaultRepeatInterval = std::chrono::hours{4};
/// The namespace size assumed when none is given: large enough that no blast radius bites.
inline constexpr std::size_t kUnknownServicesInNamespace = 1'000'000;

struct Options {
  engine::Duration repeat_interval = kDefaultRepeatInterval;
  /// Services per namespace for the blast-radius guardrail. A history names only the
  /// services that alerted, so without this the namespace is taken as large
  /// (kUnknownServicesInNamespace) and the result says the blast radius was not evaluated,
  /// as `selfheal decide` does.
  std::optional<std::size_t> services_in_namespace;
  std::optional<engine::Mode> mode;  ///< overrides the policy file's mode
  /// Called with (notifications replayed, notifications in all) after each one, on the
  /// calling thread; may be empty. For a progress display only: it changes nothing.
  std::function<void(std::size_t, std::size_t)> on_progress;
};

struct DecisionRow {
  engine::TimePoint at{};
  engine::AuditKind kind = engine::AuditKind::kDecision;
  std::optional<engine::Outcome> outcome;
  std::string guardrail;
  std::string reason;
  bool conditional = false;
};

struct ActionRow {
  engine::TimePoint at{};
  engine::ServiceRef target;
  std::string command;  ///< the argv joined with spaces
  bool conditional = false;
};

struct PageRow {
  engine::TimePoint at{};
  engine::ServiceRef target;
  std::string channel;
  std::string severity;
  engine::Outcome reason = engine::Outcome::kLowConfidence;
  bool approval = false;  ///< an approval request rather than a page
  bool conditional = false;
};

/// One firing of one alert and everything the engine did about it.
struct IncidentResult {
  std::string fingerprint;
  std::string alertname;
  engine::ServiceRef target;
  engine::TimePoint start{};
  std::optional<engine::TimePoint> end;
  std::size_t notifications = 0;
  /// Re-deliveries the engine refused as duplicates: counted, not listed (most of a long
  /// firing's notifications are).
  std::size_t duplicates = 0;
  std::vector<DecisionRow> decisions;  ///< every other decision, action result, verification
  std::vector<ActionRow> actions;
  std::vector<PageRow> pages;
};

struct Totals {
  std::size_t notifications = 0;
  std::size_t incidents = 0;
  std::size_t actions = 0, actions_conditional = 0;
  std::size_t pages = 0, pages_conditional = 0;
  std::size_t approvals = 0;
  std::map<std::string, std::size_t> outcomes;  ///< decision outcome -> count
  /// Most actions on one target within any hour, and where (for --max-actions-per-target-hour).
  std::size_t max_actions_per_target_hour = 0;
  std::string max_actions_target;
  engine::TimePoint max_actions_at{};
  std::size_t timers_pending_at_end = 0;  ///< verifications etc. due after `until`
};

struct Result {
  std::string policy_file;
  std::string mode;
  engine::TimePoint from{}, until{};
  engine::Duration repeat_interval{};
  std::vector<IncidentResult> incidents;  ///< by start, then fingerprint
  /// Alerts the engine never saw: no service/namespace label, or a bad classification
  /// annotation (fingerprint: why). `serve` rejects the same alerts.
  std::vector<std::string> unrouted;
  std::vector<std::string> notes;  ///< what the replay could not evaluate
  Totals totals;
};

/// Replays `h` through an engine built on `policies`.
Result run(const history::History& h, const engine::PolicySet& policies, const Options& opts);

/// What changes from `before` (old policy) to `after` (new), per alert name.
struct AlertChange {
  std::string alertname;
  std::size_t actions_before = 0, actions_after = 0;
  std::size_t pages_before = 0, pages_after = 0;
  std::vector<ActionRow> actions_added, actions_removed;
  std::vector<PageRow> pages_added, pages_removed;
};
std::vector<AlertChange> compare(const Result& before, const Result& after);

}  // namespace selfheal::backtest
