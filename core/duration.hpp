// Durations as users write them in YAML and on the command line.
//
// Grammar: one or more `<digits><unit>` parts, units in descending order and each used at
// most once: `d` (24h), `h`, `m`, `s`, `ms`. Examples: `30s`, `5m`, `2h`, `1d`, `1h30m`,
// `250ms`, `0s`. A bare `0` is accepted. Rejected with an actionable message: empty text,
// spaces (`5 minutes`), signs (`-1m`), unknown units (`10x`), a missing unit (`10`),
// repeated or out-of-order units (`5m1h`), and values above kMaxDuration (3650d, ten
// years). The bound keeps every `start + duration` far inside the 64-bit millisecond range
// (`106751991167d` overflowed it: signed overflow) and a simulated run finite
// (`106751991d` is 292,000 years of virtual time and never ended); no cooldown, window,
// timeout, retention or run length anyone means is longer.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace selfheal::core {

/// The longest duration parse_duration accepts: 3650 days.
inline constexpr Duration kMaxDuration = std::chrono::days{3650};

/// Parses `text`; the error message quotes the text and says what a valid one looks like.
Result<Duration> parse_duration(std::string_view text);

/// The shortest canonical form that parse_duration reads back to the same value:
/// 90000ms -> "1m30s", 0 -> "0s", 1500ms -> "1s500ms". Negative values get a leading '-'
/// (for display only; parse_duration rejects them).
std::string format_duration(Duration d);

}  // namespace selfheal::core
