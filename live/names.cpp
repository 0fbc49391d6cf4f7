#include "live/names.hpp"

namespace selfheal::live {
namespace {

bool alnum_lower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string dns1123_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > 63) return "is " + std::to_string(name.size()) + " characters long (max 63)";
  for (char c : name) {
    if (!alnum_lower(c) && c != '-') {
      std::string shown = (c >= 0x20 && c < 0x7f) ? std::string(1, c) : "\\x" + [c] {
        static const char* kHex = "0123456789abcdef";
        const auto u = static_cast<unsigned char>(c);
        return std::string{kHex[u >> 4], kHex[u & 0xf]};
      }();
      return "contains '" + shown + "' (only a-z, 0-9 and '-' are allowed)";
    }
  }
  if (!alnum_lower(name.front())) return "must start with a letter or digit";
  if (!alnum_lower(name.back())) return "must end with a letter or digit";
  return {};
}

bool is_dns1123_label(std::string_view name) {
  return dns1123_problem(name).empty();
}

}  // namespace selfheal::live
