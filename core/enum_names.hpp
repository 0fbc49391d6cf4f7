// Spelling tables for enums: one constexpr array of {value, name} per enum, shared by the
// parse and print directions so they cannot drift apart.
//
//   constexpr std::array<std::pair<Mode, std::string_view>, 2> kModes{{{Mode::kA, "a"}, ...}};
//   std::optional<Mode> m = core::enum_from_name(kModes, "a");
//   std::string_view s = core::enum_name(kModes, Mode::kA);   // "?" if not in the table
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace selfheal::core {

template <typename E, std::size_t N>
constexpr std::optional<E> enum_from_name(
    const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) {
  for (const auto& [e, name] : table) {
    if (name == s) return e;
  }
  return std::nullopt;
}

template <typename E, std::size_t N>
constexpr std::string_view enum_name(const std::array<std::pair<E, std::string_view>, N>& table,
                                     E e) {
  for (const auto& [k, name] : table) {
    if (k == e) return name;
  }
  return "?";
}

}  // namespace selfheal::core
