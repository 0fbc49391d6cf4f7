// Text that came from the network, made safe to print: one helper for every stderr line and
// every error body that quotes user input, and a rate limiter for lines an attacker can
// trigger at will (accept errors, rejected alerts).
//
// `log_escape` keeps printable ASCII (except the backslash) and writes everything else as an
// escape — `\n`, `\r`, `\t`, `\\`, or `\xHH` for any other byte, UTF-8 included — so a value
// can neither start a new log line nor carry bytes that break a JSON encoder. Inputs longer
// than `max_bytes` are cut and say how much was left out:
//
//   log_escape("a\nb")                   -> "a\\nb"
//   log_escape(std::string(200000, 'x')) -> "xxx...x...(+199744 bytes)"   (256 x kept)
//
//   LogRateLimiter limit(5, std::chrono::seconds{10});
//   if (auto dropped = limit.admit(now)) std::cerr << "... (" << *dropped << " suppressed)\n";
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace selfheal::live {

/// Input bytes kept by default before the rest is replaced by "...(+N bytes)".
inline constexpr std::size_t kMaxLoggedValue = 256;

/// Pure ASCII, no control characters; at most ~4 * max_bytes + 24 characters long.
std::string log_escape(std::string_view text, std::size_t max_bytes = kMaxLoggedValue);

/// Admits at most `burst` lines per `interval` (thread-safe). Time is passed in so tests
/// need no clock.
class LogRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  LogRateLimiter(int burst, Clock::duration interval) : burst_(burst), interval_(interval) {}

  /// nullopt: drop this line. Otherwise print it; the value is how many lines were dropped
  /// since the last admitted one (to be said on the line).
  std::optional<std::uint64_t> admit(Clock::time_point now);

 private:
  std::mutex mu_;
  int burst_;
  Clock::duration interval_;
  Clock::time_point window_start_{};
  int in_window_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace selfheal::live
