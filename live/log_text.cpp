#include "live/log_text.hpp"

#include <algorithm>

namespace selfheal::live {

std::string log_escape(std::string_view text, std::size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t kept = std::min(text.size(), max_bytes);
  std::string out;
  out.reserve(kept + 16);
  for (std::size_t i = 0; i < kept; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        // Bytes >= 0x80 are escaped too: the output must stay valid in any JSON encoder,
        // and a cut may have split a UTF-8 sequence.
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        }
    }
  }
  if (kept < text.size()) out += "...(+" + std::to_string(text.size() - kept) + " bytes)";
  return out;
}

std::optional<std::uint64_t> LogRateLimiter::admit(Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (now - window_start_ >= interval_) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= burst_) {
    ++dropped_;
    return std::nullopt;
  }
  ++in_window_;
  const auto dropped = dropped_;
  dropped_ = 0;
  return dropped;
}

}  // namespace selfheal::live
