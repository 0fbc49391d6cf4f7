// UTF-8 validity, as nlohmann::json checks it when it encodes a string (it throws on any
// byte that is not part of a valid sequence): no overlong forms, no surrogates, nothing
// above U+10FFFF. Readers refuse such input up front (config::load_yaml); writers that
// must not fail replace it (live::utf8_sanitize).
//
//   utf8_sequence_length("\xC3\xA9", 0)  -> 2
//   utf8_sequence_length("\xFF", 0)      -> 0
//   first_invalid_utf8("ab\xFF")         -> 2
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace selfheal::core {

/// Length of the valid UTF-8 sequence starting at `s[i]` (1..4), or 0 when none starts there.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  // Sequence length and the allowed range of the second byte.
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c < 0x80)
    len = 1;
  else if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c == 0xE0)
    len = 3, lo = 0xA0;
  else if (c == 0xED)
    len = 3, hi = 0x9F;
  else if (c >= 0xE1 && c <= 0xEF)
    len = 3;
  else if (c == 0xF0)
    len = 4, lo = 0x90;
  else if (c == 0xF4)
    len = 4, hi = 0x8F;
  else if (c >= 0xF1 && c <= 0xF3)
    len = 4;
  if (len == 0 || i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
  }
  return len;
}

/// Offset of the first byte that starts no valid UTF-8 sequence, or nullopt.
inline std::optional<std::size_t> first_invalid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence_length(s, i);
    if (len == 0) return i;
    i += len;
  }
  return std::nullopt;
}

}  // namespace selfheal::core
