// The words every reader uses for the same mistake (docs/errors.md lists them). Each returns
// the message part of `file:line:col: field: message`; the location comes from the reader.
//
//   unknown_key("confidnece", {"confidence", "service"})
//       -> unknown key "confidnece"; did you mean "confidence"?
//   unknown_key("owner", {"incident_type"})  -> unknown key "owner"; known keys: incident_type
//   wrong_type("a number", "\"high\"")      -> expected a number, got "high"
//   missing_required("a string")            -> missing: a string is required
//   out_of_range("0", "1", "1.5")           -> must be between 0 and 1, got 1.5
//   duplicate_key("service", 3)             -> duplicate key "service" (first given at line 3)
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace selfheal::config {

/// `"x"` — how every message quotes a user's word or a name.
std::string quoted(std::string_view s);
/// `; did you mean "x"?` when `word` is close to a candidate, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
std::string did_you_mean(std::string_view word, std::initializer_list<std::string_view> candidates);
/// `a, b, c`
std::string list_names(const std::vector<std::string_view>& names);

std::string unknown_key(std::string_view key, const std::vector<std::string_view>& known);
std::string unknown_key(std::string_view key, const std::vector<std::string>& known);
std::string unknown_key(std::string_view key, std::initializer_list<std::string_view> known);
/// `unknown <what> "x"; did you mean "y"?` / `...; one of a, b` (actions, signals, kinds).
std::string unknown_name(std::string_view what, std::string_view name,
                         const std::vector<std::string_view>& known);
std::string wrong_type(std::string_view expected, std::string_view got);
std::string missing_required(std::string_view what);
std::string out_of_range(std::string_view lo, std::string_view hi, std::string_view got);
std::string duplicate_key(std::string_view key, int first_line);

/// Shortest decimal text that reads back as exactly `v` (so 0.8499999999999999 is not
/// shown as 0.85 next to a threshold of 0.85).
std::string exact_number(double v);

}  // namespace selfheal::config
