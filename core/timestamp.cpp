// One strict RFC 3339 reader for every timestamp selfheal accepts. The two it replaces read
// fields with std::from_chars, which takes a leading '-', and did not range-check offsets,
// so `2026-11-27T-1:-1:-1Z`, `-999-01-01T00:00:00Z` and `+-9:99` were accepted (found by
// fuzzing, issue 18). Here every field is read digit by digit at a fixed width.
#include "core/timestamp.hpp"

#include <chrono>
#include <string>

#include "core/quote.hpp"

namespace selfheal::core {
namespace {

constexpr std::size_t kDateLength = 10;      // YYYY-MM-DD
constexpr std::size_t kHourMinuteEnd = 16;   // YYYY-MM-DDTHH:MM
constexpr std::size_t kDateTimeLength = 19;  // YYYY-MM-DDTHH:MM:SS
constexpr std::size_t kOffsetLength = 6;     // +HH:MM
constexpr int kMaxFractionDigits = 9;        // nanoseconds
constexpr int kMillisDigits = 3;
constexpr int kMaxHour = 23;
constexpr int kMaxMinute = 59;
constexpr int kMaxSecond = 60;  // a leap second

// Exactly `n` ASCII digits at `pos` (no sign, no space).
bool fixed_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos > s.size() || n > s.size() - pos) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

Result<TimePoint> parse_rfc3339(std::string_view t, TimestampForms forms) {
  using namespace std::chrono;
  auto bad = [&](const char* why) {
    return Error("invalid RFC 3339 timestamp " + quote_input(t) + ": " + why +
                 "; expected e.g. 2026-11-27T18:00:00Z");
  };
  int y = 0, mo = 0, d = 0;
  if (!fixed_digits(t, 0, 4, y) || t.size() < kDateLength || t[4] != '-' ||
      !fixed_digits(t, 5, 2, mo) || t[7] != '-' || !fixed_digits(t, 8, 2, d)) {
    return bad("the date must be YYYY-MM-DD");
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return bad("no such date");
  TimePoint at = time_point_cast<Duration>(sys_days{ymd});
  if (t.size() == kDateLength) {
    if (forms.date_only) return at;
    return bad("the time of day is missing");
  }
  const char sep = t[kDateLength];
  if (sep != 'T' && sep != 't' && !(forms.space_separator && sep == ' ')) {
    return bad("the date and the time must be separated by 'T'");
  }
  int h = 0, mi = 0, s = 0;
  if (!fixed_digits(t, 11, 2, h) || t.size() < kHourMinuteEnd || t[13] != ':' ||
      !fixed_digits(t, 14, 2, mi)) {
    return bad("the time must be HH:MM:SS");
  }
  std::size_t pos = kDateTimeLength;
  if (forms.optional_seconds && (t.size() == kHourMinuteEnd || t[kHourMinuteEnd] != ':')) {
    pos = kHourMinuteEnd;
  } else if (t.size() < kDateTimeLength || t[16] != ':' || !fixed_digits(t, 17, 2, s)) {
    return bad("the time must be HH:MM:SS");
  }
  if (h > kMaxHour || mi > kMaxMinute || s > kMaxSecond) {
    return bad("the time of day is out of range (00:00:00 to 23:59:60)");
  }
  at += hours{h} + minutes{mi} + seconds{s};

  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    int digits = 0, millis = 0;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (digits < kMillisDigits) millis = millis * 10 + (t[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad("the fraction of a second is empty");
    if (digits > kMaxFractionDigits) return bad("the fraction has more than 9 digits");
    for (int k = digits; k < kMillisDigits; ++k)
      millis *= 10;
    at += milliseconds{millis};
  }

  if (pos >= t.size()) {
    return bad("the UTC offset (Z or +HH:MM) is missing; local times are not accepted");
  }
  if (t[pos] == 'Z' || t[pos] == 'z') {
    if (pos + 1 != t.size()) return bad("unexpected characters after the UTC offset");
    return at;
  }
  int oh = 0, om = 0;
  if ((t[pos] != '+' && t[pos] != '-') || !fixed_digits(t, pos + 1, 2, oh) || pos + 3 >= t.size() ||
      t[pos + 3] != ':' || !fixed_digits(t, pos + 4, 2, om)) {
    return bad("the UTC offset must be Z, +HH:MM or -HH:MM");
  }
  if (oh > kMaxHour || om > kMaxMinute) return bad("the UTC offset is out of range");
  if (t.size() != pos + kOffsetLength) return bad("unexpected characters after the UTC offset");
  const minutes offset = hours{oh} + minutes{om};
  return t[pos] == '+' ? at - offset : at + offset;
}

}  // namespace selfheal::core
