// ISO-8601 UTC text for engine times: what the audit log, reasons and state files write.
#include "engine/time_text.hpp"

#include <array>
#include <chrono>
#include <cstdio>

#include "core/timestamp.hpp"

namespace selfheal::engine {
std::string format_time(TimePoint t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{t - day};
  std::array<char, 40> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                static_cast<int>(tod.subseconds().count()));
  return buf.data();
}

// One strict RFC 3339 reader for every input (core/timestamp.hpp); the engine's inputs
// also take a date alone (midnight UTC) and a space instead of the `T`.
std::optional<TimePoint> parse_time(std::string_view s) {
  auto t = core::parse_rfc3339(s, {.date_only = true, .space_separator = true});
  if (!t) return std::nullopt;
  return *t;
}

}  // namespace selfheal::engine
