// The inputs the engine-gate tests share (issue 20): the same policies, topology and health
// drive the engine over in-memory ports (tests/engine/gates_test.cpp) and `selfheal serve`
// over HTTP, Prometheus and SQLite (tests/live/gates_test.cpp), so the two must agree.
//
//   report-worker --depends_on--> orders-api --depends_on--> orders-db   (namespace prod)
//
// orders-db is down (error rate kDbErrorRate); orders-api and report-worker are healthy: a
// leak on report-worker is two hops from the outage, which a direct pre-check cannot see.
#pragma once

namespace selfheal::test_support::gates {

inline constexpr const char* kNamespace = "prod";
inline constexpr const char* kWorker = "report-worker";
inline constexpr const char* kApi = "orders-api";
inline constexpr const char* kDb = "orders-db";
inline constexpr double kDbErrorRate = 0.82;  ///< above every unhealthy bound (0.05)

/// A leak policy that restarts; `extra` is appended to the policy's fields.
#define SELFHEAL_GATES_LEAK_POLICY(extra) \
  "remediation_policies:\n"               \
  "  - incident_type: memory-leak\n"      \
  "    action: restart\n"                 \
  "    auto_execute: true\n"              \
  "    confidence_threshold: 0.9\n"       \
  "    max_attempts: 2\n"                 \
  "    cooldown_after_action: 10m\n"      \
  "    verification_window: 10m\n"        \
  "    escalation_channel: pagerduty-p1\n" extra

/// engine.freeze_when orders-db, every target in scope.
inline constexpr const char* kFreezePolicies =
    "engine:\n"
    "  freeze_when: {unhealthy: [orders-db], scope: all}\n" SELFHEAL_GATES_LEAK_POLICY("");

/// The same freeze, scoped to one other service: report-worker is outside it.
inline constexpr const char* kScopedFreezePolicies =
    "engine:\n"
    "  freeze_when: {unhealthy: orders-db, scope: {services: "
    "[orders-api]}}\n" SELFHEAL_GATES_LEAK_POLICY("");

/// Today's pre-check: direct upstreams only (orders-api is healthy: the restart runs).
inline constexpr const char* kDirectPolicies =
    SELFHEAL_GATES_LEAK_POLICY("    dependency_precheck: true\n");

/// The transitive pre-check: orders-db, two hops away, stops the restart.
inline constexpr const char* kTransitivePolicies =
    SELFHEAL_GATES_LEAK_POLICY("    dependency_precheck: {depth: transitive, max_depth: 3}\n");

/// The transitive pre-check bounded to one hop: the same as direct.
inline constexpr const char* kOneHopPolicies =
    SELFHEAL_GATES_LEAK_POLICY("    dependency_precheck: {depth: transitive, max_depth: 1}\n");

#undef SELFHEAL_GATES_LEAK_POLICY

/// What the freeze's and the pre-check's reasons must say, in both.
inline constexpr const char* kFreezeReason = "freeze: orders-db unhealthy";
inline constexpr const char* kTransitiveReason =
    "upstream prod/orders-db, 2 hops away (report-worker -> orders-api -> orders-db), is "
    "unhealthy";

}  // namespace selfheal::test_support::gates
