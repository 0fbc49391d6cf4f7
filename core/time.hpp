// Time in selfheal: integer milliseconds, never floating point.
//
// `Duration` is a span (e.g. a cooldown of 10 minutes), `TimePoint` an instant. In the
// simulator a TimePoint is virtual (the scenario's start date plus elapsed virtual time);
// live it is the system clock. Both share one type so the engine code is identical.
#pragma once

#include <chrono>
#include <cstdint>

namespace selfheal::core {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Duration>;

using namespace std::chrono_literals;

/// Milliseconds since the Unix epoch, for serialisation.
inline std::int64_t to_unix_ms(TimePoint t) {
  return t.time_since_epoch().count();
}
inline TimePoint from_unix_ms(std::int64_t ms) {
  return TimePoint{Duration{ms}};
}

}  // namespace selfheal::core
