#include "config/messages.hpp"

#include <charconv>

#include "config/suggest.hpp"

namespace selfheal::config {

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  const std::string c = closest(word, candidates);
  return c.empty() ? std::string{} : "; did you mean " + config::quoted(c) + "?";
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  return did_you_mean(word, std::vector<std::string_view>(candidates.begin(), candidates.end()));
}

std::string did_you_mean(std::string_view word,
                         std::initializer_list<std::string_view> candidates) {
  return did_you_mean(word, std::vector<std::string_view>(candidates));
}

std::string list_names(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

std::string unknown_key(std::string_view key, const std::vector<std::string_view>& known) {
  // A suggestion says enough; without one, list what is allowed here.
  const std::string hint = did_you_mean(key, known);
  return "unknown key " + config::quoted(key) +
         (hint.empty() ? "; known keys: " + list_names(known) : hint);
}

std::string unknown_key(std::string_view key, const std::vector<std::string>& known) {
  return unknown_key(key, std::vector<std::string_view>(known.begin(), known.end()));
}

std::string unknown_key(std::string_view key, std::initializer_list<std::string_view> known) {
  return unknown_key(key, std::vector<std::string_view>(known));
}

std::string unknown_name(std::string_view what, std::string_view name,
                         const std::vector<std::string_view>& known) {
  const std::string hint = did_you_mean(name, known);
  return "unknown " + std::string(what) + " " + config::quoted(name) +
         (hint.empty() ? "; one of " + list_names(known) : hint);
}

std::string wrong_type(std::string_view expected, std::string_view got) {
  return "expected " + std::string(expected) + ", got " + std::string(got);
}

std::string missing_required(std::string_view what) {
  return "missing: " + std::string(what) + " is required";
}

std::string out_of_range(std::string_view lo, std::string_view hi, std::string_view got) {
  return "must be between " + std::string(lo) + " and " + std::string(hi) + ", got " +
         std::string(got);
}

std::string duplicate_key(std::string_view key, int first_line) {
  return "duplicate key " + config::quoted(key) + " (first given at line " +
         std::to_string(first_line) + ")";
}

std::string exact_number(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace selfheal::config
