// The audit vocabulary's spellings (docs/audit.md): outcomes and record kinds.
#include "engine/audit.hpp"

#include <array>
#include <utility>

#include "core/enum_names.hpp"

namespace selfheal::engine {
namespace {

constexpr std::array<std::pair<Outcome, std::string_view>, 14> kOutcomes{{
    {Outcome::kExecuted, "executed"},
    {Outcome::kShadow, "shadow"},
    {Outcome::kRecommend, "recommend"},
    {Outcome::kLowConfidence, "low-confidence"},
    {Outcome::kNoPolicy, "no-policy"},
    {Outcome::kCooldownActive, "cooldown-active"},
    {Outcome::kMaxAttemptsReached, "max-attempts-reached"},
    {Outcome::kDependencyFailure, "dependency-failure"},
    {Outcome::kApprovalRequired, "approval-required"},
    {Outcome::kKillSwitch, "kill-switch"},
    {Outcome::kRateLimited, "rate-limited"},
    {Outcome::kOutOfScope, "out-of-scope"},
    {Outcome::kDuplicate, "duplicate"},
    {Outcome::kResolved, "resolved"},
}};

constexpr std::array<std::pair<AuditKind, std::string_view>, 6> kAuditKinds{{
    {AuditKind::kDecision, "decision"},
    {AuditKind::kActionResult, "action-result"},
    {AuditKind::kVerification, "verification"},
    {AuditKind::kRollback, "rollback"},
    {AuditKind::kEscalation, "escalation"},
    {AuditKind::kOperator, "operator"},
}};

}  // namespace

std::string_view to_string(Outcome o) {
  return core::enum_name(kOutcomes, o);
}
std::string_view to_string(AuditKind k) {
  return core::enum_name(kAuditKinds, k);
}

std::optional<Outcome> parse_outcome(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(Outcome::kResolved); ++i) {
    if (to_string(static_cast<Outcome>(i)) == s) return static_cast<Outcome>(i);
  }
  return std::nullopt;
}

std::optional<AuditKind> parse_audit_kind(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(AuditKind::kOperator); ++i) {
    if (to_string(static_cast<AuditKind>(i)) == s) return static_cast<AuditKind>(i);
  }
  return std::nullopt;
}

}  // namespace selfheal::engine
