// Timestamps as users, scenario files and Alertmanager write them: RFC 3339 date-times,
// read strictly.
//
// Grammar (RFC 3339 section 5.6): `YYYY-MM-DDTHH:MM:SS[.F](Z|+HH:MM|-HH:MM)`, where every
// numeric field is exactly its width of ASCII digits (no sign, no space: `T-1:-1:-1` and
// `-999-01-01` are refused), the date exists (leap years counted), the hour is 00-23, the
// minute 00-59, the second 00-60 (a leap second reads as the next minute's :00), the
// fraction has 1 to 9 digits (nanoseconds, as Go and Alertmanager write it; truncated to
// milliseconds) and the offset's hours are 00-23 and minutes 00-59. Local times (no offset)
// are refused: a time without its zone means different instants on different machines.
//
//   parse_rfc3339("2026-11-27T19:00:00.5+01:00")  -> 2026-11-27 18:00:00.500 UTC
//   parse_rfc3339("2026-11-27T18:00:00")          -> error "... missing the UTC offset ..."
//   parse_rfc3339("2026-11-27", {.date_only = true}) -> midnight UTC
#pragma once

#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace selfheal::core {

/// Relaxations of the strict grammar some inputs allow (all off: exactly RFC 3339).
struct TimestampForms {
  bool date_only = false;         ///< `2026-11-27` alone is midnight UTC
  bool space_separator = false;   ///< `2026-11-27 18:00:00Z` (RFC 3339's own note allows it)
  bool optional_seconds = false;  ///< `2026-11-27T18:00Z` is 18:00:00
};

/// Parses `text`; the error message quotes the text (core::quote_input), says which
/// part is wrong and shows a valid example. Never throws.
Result<TimePoint> parse_rfc3339(std::string_view text, TimestampForms forms = {});

}  // namespace selfheal::core
