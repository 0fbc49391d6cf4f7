#include "reports/format.hpp"

#include <cmath>
#include <cstdio>

#include "core/duration.hpp"
#include "core/number_format.hpp"

namespace selfheal::reports {

std::string fixed(double v, int decimals) {
  return core::format_decimals(v, decimals);
}

double round_to(double v, int decimals) {
  if (!std::isfinite(v)) return 0.0;
  const double scale = std::pow(10.0, decimals);
  const double r = std::round(v * scale) / scale;
  return r == 0.0 ? 0.0 : r;  // no negative zero
}

std::string minutes(core::Duration d) {
  return fixed(static_cast<double>(d.count()) / 60000.0, 3);
}

namespace {
constexpr long long kMsPerSecond = 1000;
constexpr long long kSecondsPerMinute = 60;
constexpr long long kSecondsPerHour = 3600;
constexpr long long kMinutesPerHour = 60;
constexpr long long kMsPerMinute = kMsPerSecond * kSecondsPerMinute;

// "<big><unit><small, two digits><unit>", the small part left out when zero.
std::string two_units(long long big, const char* big_unit, long long small,
                      const char* small_unit) {
  std::string out = std::to_string(big) + big_unit;
  if (small == 0) return out;
  if (small < 10) out += '0';
  return out + std::to_string(small) + small_unit;
}
}  // namespace

std::string human_duration(core::Duration d) {
  const long long ms = d.count();
  if (ms < 0) return "-" + human_duration(-d);
  if (ms == 0) return "0s";
  // Half up: 6m42.5s reads 6m43s.
  const long long secs = (ms + kMsPerSecond / 2) / kMsPerSecond;
  if (secs == 0) return "<1s";
  if (secs < kSecondsPerMinute) return std::to_string(secs) + "s";
  if (secs < kSecondsPerHour)
    return two_units(secs / kSecondsPerMinute, "m", secs % kSecondsPerMinute, "s");
  const long long mins = (ms + kMsPerMinute / 2) / kMsPerMinute;
  return two_units(mins / kMinutesPerHour, "h", mins % kMinutesPerHour, "m");
}

std::string offset(core::Duration d) {
  if (d.count() < 0) return "-" + core::format_duration(-d);
  return "+" + core::format_duration(d);
}

std::string md_cell(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out.empty() ? "-" : out;
}

}  // namespace selfheal::reports
