// The inputs the verification tests share (issue 15, "verification as an operator would"):
// the same rollout, as `kubectl get deployment -o json` prints it, drives the engine over
// in-memory ports (tests/engine/completion_test.cpp, as parsed DeploymentStatus values) and
// over the live actuator and Deployment reader with a stand-in kubectl
// (tests/live/verification_test.cpp), so the two must decide alike.
//
// A restart of payment-api (4 replicas) reports done at once (`kubectl rollout restart`
// returns before the rollout); the controller then rolls it out over three more looks.
#pragma once

#include <array>

#include "engine/ports.hpp"

namespace selfheal::test_support::verification {

inline constexpr const char* kNamespace = "prod";
inline constexpr const char* kService = "payment-api";

/// The policy: restart, verified by the default checks, at most 2 attempts.
inline constexpr const char* kPolicy =
    "remediation_policies:\n"
    "  - incident_type: memory-leak\n"
    "    action: restart\n"
    "    auto_execute: true\n"
    "    confidence_threshold: 0.9\n"
    "    max_attempts: 2\n"
    "    verification_window: 5m\n"
    "    completion_timeout: 2m\n";

/// The Deployment at each look, oldest first; the last one repeats.
inline constexpr std::array<const char*, 4> kRollout{
    // the spec change is not observed yet
    R"({"kind":"Deployment","metadata":{"name":"payment-api","generation":8},)"
    R"("spec":{"replicas":4},"status":{"observedGeneration":7,"replicas":4,)"
    R"("updatedReplicas":0,"availableReplicas":4}})",
    // 2 of 4 new replicas
    R"({"kind":"Deployment","metadata":{"name":"payment-api","generation":8},)"
    R"("spec":{"replicas":4},"status":{"observedGeneration":8,"replicas":5,)"
    R"("updatedReplicas":2,"availableReplicas":4}})",
    // every replica updated, one old pending termination
    R"({"kind":"Deployment","metadata":{"name":"payment-api","generation":8},)"
    R"("spec":{"replicas":4},"status":{"observedGeneration":8,"replicas":5,)"
    R"("updatedReplicas":4,"availableReplicas":4}})",
    // complete
    R"({"kind":"Deployment","metadata":{"name":"payment-api","generation":8},)"
    R"("spec":{"replicas":4},"status":{"observedGeneration":8,"replicas":4,)"
    R"("updatedReplicas":4,"availableReplicas":4}})",
};

/// kRollout as the engine's port returns it: {observed, error, generation, observed
/// generation, desired, replicas, updated, available}.
inline const std::array<engine::DeploymentStatus, 4> kRolloutStatus{{
    {true, "", 8, 7, 4, 4, 0, 4},
    {true, "", 8, 8, 4, 5, 2, 4},
    {true, "", 8, 8, 4, 5, 4, 4},
    {true, "", 8, 8, 4, 4, 4, 4},
}};
inline const engine::DeploymentStatus kStuckStatus{true, "", 8, 8, 4, 6, 2, 4};

/// A rollout that never completes: new pods crash (2 of 4 updated, none of them available).
inline constexpr const char* kStuck =
    R"({"kind":"Deployment","metadata":{"name":"payment-api","generation":8},)"
    R"("spec":{"replicas":4},"status":{"observedGeneration":8,"replicas":6,)"
    R"("updatedReplicas":2,"availableReplicas":4}})";

/// What both must audit: the action took effect after three polls; the verification is one
/// window later. Stuck: the verification fails at the completion timeout.
inline constexpr const char* kTookEffect = "took effect after 45s (rollout complete)";
inline constexpr const char* kDidNotComplete = "action did not complete within 2m";
inline constexpr const char* kStuckDetail = "FAIL: rollout: 2 of 4 new replicas have been updated";

}  // namespace selfheal::test_support::verification
