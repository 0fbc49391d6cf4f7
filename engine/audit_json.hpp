// JSON forms of the engine's records: the documented, stable serialisation used by the
// audit log, `selfheal decide`, the state file and reports. Field names are listed in
// docs/audit.md; they only ever grow (new optional fields), never change meaning.
//
// The functions are nlohmann ADL hooks, so `nlohmann::json j = record;` and
// `j.get<AuditRecord>()` work. from_json throws nlohmann::json::exception on a malformed
// document (wrong type, missing required field, unknown enum value); callers at an input
// boundary catch it and report the file.
//
//   AuditRecord r = ...;
//   nlohmann::json j = r;   // {"seq":1,"time":"2026-11-27T18:00:00.000Z","kind":"decision",...}
//   AuditRecord back = j.get<AuditRecord>();
//
// Times are ISO-8601 UTC strings (engine/time_text.hpp) with milliseconds
// ("2026-11-27T18:00:00.000Z"); durations are canonical duration strings ("10m", "1h30m").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/audit.hpp"
#include "engine/decision.hpp"
#include "engine/ports.hpp"
#include "engine/time_text.hpp"
#include "engine/types.hpp"

namespace selfheal::engine {

void to_json(nlohmann::json& j, const ServiceRef& s);  ///< {"namespace","name"}
void from_json(const nlohmann::json& j, ServiceRef& s);
void to_json(nlohmann::json& j, const ActionSpec& a);  ///< {"kind", parameters set}
void from_json(const nlohmann::json& j, ActionSpec& a);
void to_json(nlohmann::json& j, const Evidence& e);
void from_json(const nlohmann::json& j, Evidence& e);
void to_json(nlohmann::json& j, const Classification& c);
void from_json(const nlohmann::json& j, Classification& c);
void to_json(nlohmann::json& j, const AuditRecord& r);
void from_json(const nlohmann::json& j, AuditRecord& r);
/// The `selfheal decide` output: {"status","escalate","action"/"suggested_action" (the
/// command as one string),"argv",...}. See docs/audit.md#decision.
void to_json(nlohmann::json& j, const Decision& d);
void from_json(const nlohmann::json& j, Decision& d);
void to_json(nlohmann::json& j, const Escalation& e);
/// A before-action state: every non-zero number under its ServiceSignals member name
/// (NaN and infinities as "nan" / "inf" / "-inf"), `since_last_deploy_ms`,
/// `current_revision`, `missing`; reads back to the same values.
void to_json(nlohmann::json& j, const ServiceSignals& s);
void from_json(const nlohmann::json& j, ServiceSignals& s);
void to_json(nlohmann::json& j, const InFlightAction& a);
void from_json(const nlohmann::json& j, InFlightAction& a);
void to_json(nlohmann::json& j, const TargetState& s);
void from_json(const nlohmann::json& j, TargetState& s);
void to_json(nlohmann::json& j, const BreakerState& b);
void from_json(const nlohmann::json& j, BreakerState& b);

}  // namespace selfheal::engine
