#include "core/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>

#include "core/quote.hpp"

namespace selfheal::core {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};

// Descending order of size.
constexpr std::array<Unit, 5> kUnits{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

Error bad(std::string_view text, const std::string& why) {
  return Error{"invalid duration " + quote_input(text) + ": " + why +
               "; write e.g. 30s, 5m, 1h30m, 2d or 250ms"};
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return bad(text, "it is empty");
  if (text == "0") return Duration{0};
  if (text.find_first_of(" \t\n") != std::string_view::npos) {
    return bad(text, "spaces are not allowed");
  }

  std::int64_t total = 0;
  std::size_t i = 0;
  int last_unit = -1;  // index into kUnits of the previous part, to enforce order
  while (i < text.size()) {
    const char c = text[i];
    if (c == '-' || c == '+') return bad(text, "durations cannot carry a sign");
    if (c < '0' || c > '9') {
      return bad(text, "unexpected character " + quote_input(text.substr(i, 1)) + " at offset " +
                           std::to_string(i) + " (expected a digit)");
    }
    std::int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      const int digit = text[i] - '0';
      if (n > (std::numeric_limits<std::int64_t>::max() - digit) / 10) {
        return bad(text, "the number is too large");
      }
      n = n * 10 + digit;
      ++i;
    }
    if (i == text.size()) return bad(text, "the number " + std::to_string(n) + " has no unit");
    if (text[i] == '.' || text[i] == ',') {
      return bad(text, "fractions are not allowed (write 1h30m rather than 1.5h)");
    }
    // The unit is the whole run of letters, so "5min" is reported as unit "min".
    std::size_t j = i;
    while (j < text.size() &&
           ((text[j] >= 'a' && text[j] <= 'z') || (text[j] >= 'A' && text[j] <= 'Z')))
      ++j;
    const std::string_view name = text.substr(i, j - i);
    if (name.empty()) {
      return bad(text, "unexpected character " + quote_input(text.substr(i, 1)) + " at offset " +
                           std::to_string(i) + " (expected a unit)");
    }
    int unit = -1;
    for (int u = 0; u < static_cast<int>(kUnits.size()); ++u) {
      if (kUnits[u].name == name) unit = u;
    }
    if (unit < 0) {
      return bad(text, "unknown unit \"" + std::string(name) + "\" (units: d, h, m, s, ms)");
    }
    if (unit <= last_unit) {
      return bad(text, "unit \"" + std::string(kUnits[unit].name) +
                           "\" repeated or out of order (largest unit first)");
    }
    last_unit = unit;
    i += kUnits[unit].name.size();
    const std::int64_t scale = kUnits[unit].ms;
    if (n > std::numeric_limits<std::int64_t>::max() / scale ||
        total > std::numeric_limits<std::int64_t>::max() - n * scale) {
      return bad(text, "the value overflows");
    }
    total += n * scale;
  }
  if (Duration{total} > kMaxDuration) {
    return bad(
        text, "it is longer than the maximum of " + format_duration(kMaxDuration) + " (ten years)");
  }
  return Duration{total};
}

std::string format_duration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    // Avoid overflow on INT64_MIN by working in unsigned.
  }
  std::uint64_t rest = ms < 0 ? static_cast<std::uint64_t>(-(ms + 1)) + 1 : ms;
  for (const auto& u : kUnits) {
    const auto scale = static_cast<std::uint64_t>(u.ms);
    if (rest >= scale) {
      out += std::to_string(rest / scale);
      out += u.name;
      rest %= scale;
    }
  }
  return out;
}

}  // namespace selfheal::core
