// Engine times as text: ISO-8601 UTC with milliseconds, as the audit log, decision reasons
// and the state file write them.
//
//   format_time(t)                           // "2026-11-27T18:00:00.000Z"
//   parse_time("2026-11-27T19:00:00+01:00")  // the same instant
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/types.hpp"

namespace selfheal::engine {

/// "2026-11-27T18:00:00.000Z" (always UTC, always milliseconds).
std::string format_time(TimePoint t);
/// Reads ISO-8601 / RFC 3339: "2026-11-27T18:00:00Z", "...T18:00:00.5Z",
/// "...T19:00:00+01:00", "2026-11-27 18:00:00Z"; a date alone is midnight UTC. nullopt when
/// malformed (including a missing offset on a date-time: times are never local).
std::optional<TimePoint> parse_time(std::string_view text);

}  // namespace selfheal::engine
