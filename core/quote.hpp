// Quoting user input inside an error message.
//
// An error message is printed to a terminal, written to a log and encoded into a JSON error
// body, so the input it quotes must be safe for all three: bytes outside printable ASCII
// (a newline that would forge a log line, invalid UTF-8 that makes JSON encoding throw) are
// written as \xHH, '"' and '\' are escaped, and at most `max_bytes` of the input are shown.
//
//   quote_input("5\nm")  -> "\"5\\x0Am\""          (printed: "5\x0Am")
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace selfheal::core {

inline constexpr std::size_t kMaxQuotedBytes = 64;

inline std::string quote_input(std::string_view text, std::size_t max_bytes = kMaxQuotedBytes) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  const std::size_t shown = text.size() < max_bytes ? text.size() : max_bytes;
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c > 0x7E) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (shown < text.size())
    out += " (first " + std::to_string(shown) + " of " + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace selfheal::core
