// Locale-free, allocation-light number formatting for the texts the engine and the simulator
// write on their hot paths (audit reasons, alert descriptions). Same digits as printf's
// "%.*f" / "%.*g" in the C locale (std::to_chars is specified that way), several times
// faster, and never affected by the process locale.
//
//   format_fixed(0.125, 2)     -> "0.12"   (like %.2f)
//   format_general(0.05, 3)    -> "0.05"   (like %.3g)
//   format_decimals(-0.0001, 3) -> "0.000"  (reports: never "-0.000"; NaN/inf -> "null")
#pragma once

#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

namespace selfheal::core {

inline std::string format_fixed(double v, int precision) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, precision);
  if (r.ec != std::errc{}) return "?";  // beyond 1e63: not a value we print
  return std::string(buf, r.ptr);
}

inline std::string format_general(double v, int precision) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, precision);
  if (r.ec != std::errc{}) return "?";
  return std::string(buf, r.ptr);
}

/// A number formatted again and again with the same value (a reason repeated on every
/// re-delivery of an alert while nothing changes) is formatted once: the last value's text
/// is kept and appended while the value, the precision and the format stay the same. Same
/// digits as format_fixed / format_general. One per text that repeats; not thread-safe.
///   RepeatedNumber rate;  rate.append_fixed(why, error_rate, 2);
class RepeatedNumber {
 public:
  void append_fixed(std::string& out, double v, int precision) {
    append(out, v, precision, std::chars_format::fixed);
  }
  void append_general(std::string& out, double v, int precision) {
    append(out, v, precision, std::chars_format::general);
  }

 private:
  void append(std::string& out, double v, int precision, std::chars_format f) {
    const auto bits = std::bit_cast<std::uint64_t>(v);  // -0.0 and 0.0 print differently
    if (len_ == 0 || bits != bits_ || precision != precision_ || f != format_) {
      const auto r = std::to_chars(buf_, buf_ + sizeof buf_, v, f, precision);
      if (r.ec != std::errc{}) {
        buf_[0] = '?';
        len_ = 1;
      } else {
        len_ = static_cast<std::size_t>(r.ptr - buf_);
      }
      bits_ = bits;
      precision_ = precision;
      format_ = f;
    }
    out.append(buf_, len_);
  }

  static constexpr std::size_t kBuffer = 64;
  char buf_[kBuffer] = {};
  std::size_t len_ = 0;  // 0: nothing formatted yet
  std::uint64_t bits_ = 0;
  int precision_ = 0;
  std::chars_format format_ = std::chars_format::fixed;
};

/// `v` with exactly `decimals` digits after the point, as every report prints numbers: a
/// negative zero ("-0.000") is printed without its sign, and a non-finite value is "null"
/// (JSON's word for "no number"). Used by the report writers (reports/format.hpp `fixed`)
/// and by the expectation verdicts (scenario/expectation.cpp), which sit below the writers.
inline std::string format_decimals(double v, int decimals) {
  if (!std::isfinite(v)) return "null";
  std::string s = format_fixed(v, decimals);
  if (s.size() > 1 && s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

}  // namespace selfheal::core
