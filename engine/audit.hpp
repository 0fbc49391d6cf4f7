// Audit records: every decision with its inputs, the guardrail that decided, and the
// outcome. Field names are stable; `to_json` is the documented serialisation
// (docs/audit.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/types.hpp"

namespace selfheal::engine {

/// Decision outcomes: every way one pass through the pipeline can end (docs/audit.md).
enum class Outcome : std::uint8_t {
  kExecuted,
  kShadow,     ///< would have executed (mode shadow)
  kRecommend,  ///< recommend-only: the action is suggested to a person
  kLowConfidence,
  kNoPolicy,
  kCooldownActive,
  kMaxAttemptsReached,
  kDependencyFailure,
  kApprovalRequired,
  kKillSwitch,
  kRateLimited,
  kOutOfScope,
  kDuplicate,  ///< same alert already being handled; nothing done
  kResolved,   ///< resolved notification; nothing done
};
std::string_view to_string(Outcome o);
/// The inverse of to_string(Outcome); nullopt for an unknown spelling.
std::optional<Outcome> parse_outcome(std::string_view s);

/// Why the classifier chose what it chose: one line per piece of evidence.
struct Evidence {
  std::string signal;  ///< e.g. "oom_kills"
  double value = 0.0;
  std::string bucket;                 ///< e.g. "high", "recent"
  double log_likelihood_ratio = 0.0;  ///< how much it moved the winning type
};

struct Classification {
  std::string incident_type;
  double confidence = 0.0;
  std::string source;  ///< "external" | "builtin"
  std::vector<Evidence> evidence;
};

enum class AuditKind : std::uint8_t {
  kDecision,      ///< the pipeline decided an outcome for an incident
  kActionResult,  ///< the actuator reported back
  kVerification,  ///< verification after the window: passed or failed
  kRollback,      ///< undo of a failed action
  kEscalation,    ///< a page / approval request went out
  kOperator,      ///< kill switch, breaker reset, target reset, approval answer
};
std::string_view to_string(AuditKind k);
/// The inverse of to_string(AuditKind); nullopt for an unknown spelling.
std::optional<AuditKind> parse_audit_kind(std::string_view s);

struct AuditRecord {
  std::uint64_t seq = 0;  ///< assigned by the engine, monotonically increasing
  TimePoint time{};
  AuditKind kind = AuditKind::kDecision;
  std::string incident;  ///< fingerprint
  ServiceRef target;
  std::optional<Classification> classification;
  std::string policy;  ///< incident_type of the policy used, or empty
  std::optional<Outcome> outcome;
  std::string guardrail;  ///< which step decided, e.g. "cooldown"
  std::string reason;     ///< human-readable why
  std::optional<ActionSpec> action;
  std::vector<std::string> argv;  ///< the exact command, e.g. {"kubectl","rollout",...}
  bool escalate = false;
  std::optional<bool> success;  ///< action result / verification verdict
  std::string detail;           ///< actuator output, failed checks, ...
};

}  // namespace selfheal::engine
