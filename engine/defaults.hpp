// Every default the engine applies when nothing else says, in one place. Policy fields
// default to these (engine/policy.hpp), the pipeline falls back to them when a policy is no
// longer loaded, and live/ learns them through engine::DataNeeds (engine/data_needs.hpp),
// never by copying them. docs/policy.md lists the policy defaults for users.
//
//   Duration w = p != nullptr ? p->verification_window : defaults::kVerificationWindow;
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

#include "core/time.hpp"

namespace selfheal::engine::defaults {

/// How long after an action reports done the engine verifies it (policy
/// `verification_window`; also the window for a policy no longer loaded). Five minutes:
/// long enough for a restarted pod to pass readiness and serve, short enough to try the
/// next rung while the incident is young.
inline constexpr core::Duration kVerificationWindow = std::chrono::minutes{5};

/// Policy `completion_timeout`: how long verification waits for an action to take effect
/// (a rollout complete as `kubectl rollout status` defines it, a scale's replicas ready)
/// before it judges the window; past it the verification fails with "action did not
/// complete within <d>". Ten minutes: twice the default action timeout, time for a rolling
/// update of a few dozen pods at the default surge.
inline constexpr core::Duration kCompletionTimeout = std::chrono::minutes{10};

/// While an action has not taken effect, the engine looks again this often (each look is
/// one Actuator::deployment read: one `kubectl get deployment` live).
inline constexpr core::Duration kCompletionPoll = std::chrono::seconds{15};

/// Policy `improvement_margin`: a verification check on a signal where lower is better
/// (error rate, latency, queue lag, ...) that misses its bound still passes when the signal
/// fell by at least this share of its value when the action was taken (0.5: halved). An
/// operator reads "error rate 6.8%, down from 31%" as a fix still draining the window, not a
/// failure. 0 turns the rule off.
inline constexpr double kImprovementMargin = 0.5;

/// The window the classifier, the dependency pre-check, factor-scale rendering and the
/// health check of a resolved alert read signals over ("OOMKilled 3 times in 10 minutes").
inline constexpr core::Duration kClassificationWindow = std::chrono::minutes{10};

/// Policy `cooldown`: the least time between two actions on one target.
inline constexpr core::Duration kCooldown = std::chrono::minutes{10};

/// How long the Actuator may take before an action counts as failed (ActionRequest::timeout).
inline constexpr core::Duration kActionTimeout = std::chrono::minutes{5};

/// How long the re-deliveries of a verified firing are held while its checks still pass
/// (RecoveredFiring::until = verified-at + this).
inline constexpr core::Duration kRecoveredHold = std::chrono::hours{24};

/// Engine `rate_window`: the circuit breaker's window.
inline constexpr core::Duration kRateWindow = std::chrono::hours{1};

/// Policy `recurrence.max`: this many verified remediations of one incident type on one
/// target inside `recurrence.window` and the next one pages instead of acting. Three in six
/// hours: a leak restarted three times in a morning is a bug report, not a chore; a leak
/// that recurs once a day (or a weekly deploy rollback) stays automated.
inline constexpr int kRecurrenceMax = 3;
/// Policy `recurrence.window`.
inline constexpr core::Duration kRecurrenceWindow = std::chrono::hours{6};
/// At most this many verified remediations are kept per target (TargetState::remediations).
inline constexpr std::size_t kMaxRemediationHistory = 32;

/// Policy `dependency_precheck.max_depth` with `depth: transitive`: upstreams this many hops
/// away are checked. Four covers a front end -> API -> service -> database chain and then
/// one more; deeper chains are rare and each hop is one more Topology read per decision.
inline constexpr int kPrecheckMaxDepth = 4;
/// The largest `max_depth` a policy may ask for (a bound on the reads of one decision).
inline constexpr int kPrecheckDepthLimit = 16;

/// The channel of an escalation without a policy (no-policy pages, service-level pages) and
/// of a policy that names none (docs/policy.md). The serve config routes it like any other.
inline constexpr std::string_view kDefaultChannel = "default";

/// Correlation: how often a caller whose page joined its upstream's incident looks again
/// whether that incident is still open; once it is closed and the caller's alert is still
/// firing, the caller is decided as its own incident (docs/pipeline.md#correlation).
inline constexpr core::Duration kCorrelationRecheck = std::chrono::minutes{5};
/// Flapping (settings.flap_window): 0 = off, every firing after a resolve is a new incident.
/// Off by default so a policy file that does not name it decides exactly as before.
inline constexpr core::Duration kFlapWindow = core::Duration::zero();

/// At most this many audit records are kept per episode for pages (oldest dropped).
inline constexpr std::size_t kMaxHistory = 200;

}  // namespace selfheal::engine::defaults
