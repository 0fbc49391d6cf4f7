// JSON encodings of engine state and audit records for the durable store and the HTTP API:
// thin wrappers over the engine's documented serialisation (engine/audit_json.hpp,
// docs/audit.md), so the audit log served live reads exactly like `selfheal decide`'s.
//
//   nlohmann::json j = to_json(record);   // {"seq":7,"time":"2026-...","kind":"decision",...}
//   TargetState s = target_state_from_json(to_json(state));  // round-trips exactly
#pragma once

#include <nlohmann/json.hpp>

#include "engine/audit.hpp"
#include "engine/ports.hpp"

namespace selfheal::live {

nlohmann::json to_json(const engine::ActionSpec& a);
engine::ActionSpec action_from_json(const nlohmann::json& j);

nlohmann::json to_json(const engine::TargetState& s);
engine::TargetState target_state_from_json(const nlohmann::json& j);

nlohmann::json to_json(const engine::BreakerState& b);
engine::BreakerState breaker_from_json(const nlohmann::json& j);

nlohmann::json to_json(const engine::AuditRecord& r);
engine::AuditRecord audit_from_json(const nlohmann::json& j);

}  // namespace selfheal::live
