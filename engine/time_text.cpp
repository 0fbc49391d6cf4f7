// ISO-8601 UTC text for engine times: what the audit log, reasons and state files write.
#include "engine/time_text.hpp"

#include <array>
#include <chrono>
#include <cstdio>

namespace selfheal::engine {
namespace {

// Parses exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

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

std::optional<TimePoint> parse_time(std::string_view s) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d)) {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  TimePoint t = time_point_cast<Duration>(sys_days{ymd});
  if (s.size() == 10) return t;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  int h = 0, mi = 0, sec = 0;
  if (!digits(s, 11, 2, h) || s.size() < 19 || s[13] != ':' || !digits(s, 14, 2, mi) ||
      s[16] != ':' || !digits(s, 17, 2, sec) || h > 23 || mi > 59 || sec > 60) {
    return std::nullopt;
  }
  t += hours{h} + minutes{mi} + seconds{sec};
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int ms = 0, n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) ms = ms * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (int i = n; i < 3; ++i)
      ms *= 10;
    t += milliseconds{ms};
  }
  if (pos >= s.size()) return std::nullopt;  // no offset: refuse local time
  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size() ? std::optional{t} : std::nullopt;
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  int oh = 0, om = 0;
  if (!digits(s, pos + 1, 2, oh) || s.size() != pos + 6 || s[pos + 3] != ':' ||
      !digits(s, pos + 4, 2, om)) {
    return std::nullopt;
  }
  const auto offset = hours{oh} + minutes{om};
  return s[pos] == '+' ? t - offset : t + offset;
}

}  // namespace selfheal::engine
