// Locale-free, allocation-light number formatting for the texts the engine and the simulator
// write on their hot paths (audit reasons, alert descriptions). Same digits as printf's
// "%.*f" / "%.*g" in the C locale (std::to_chars is specified that way), several times
// faster, and never affected by the process locale.
//
//   format_fixed(0.125, 2)     -> "0.12"   (like %.2f)
//   format_general(0.05, 3)    -> "0.05"   (like %.3g)
#pragma once

#include <charconv>
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

}  // namespace selfheal::core
