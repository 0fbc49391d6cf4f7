#include "config/names.hpp"

namespace selfheal::config {
namespace {

bool alnum_lower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string shown(char c) {
  if (c >= 0x20 && c < 0x7f) return std::string(1, c);
  static constexpr const char* kHex = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  return std::string{'\\', 'x', kHex[u >> 4], kHex[u & 0xf]};
}

}  // namespace

std::string dns1123_problem(std::string_view name, std::size_t max_len) {
  if (name.empty()) return "is empty";
  if (name.size() > max_len)
    return "is " + std::to_string(name.size()) + " characters long (max " +
           std::to_string(max_len) + ")";
  for (char c : name) {
    if (!alnum_lower(c) && c != '-')
      return "contains '" + shown(c) + "' (only a-z, 0-9 and '-' are allowed)";
  }
  if (!alnum_lower(name.front())) return "must start with a letter or digit";
  if (!alnum_lower(name.back())) return "must end with a letter or digit";
  return {};
}

bool is_dns1123_label(std::string_view name, std::size_t max_len) {
  return dns1123_problem(name, max_len).empty();
}

std::string dns1123_message(std::string_view name, const std::string& problem) {
  return "\"" + std::string(name) + "\" is not a DNS-1123 name: " + problem;
}

}  // namespace selfheal::config
