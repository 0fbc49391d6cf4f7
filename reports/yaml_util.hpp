// Small helpers for reading user-written YAML with precise diagnostics: every error names
// the file, the 1-based line and the dotted field path, and unknown keys get a
// did-you-mean suggestion.
//
//   YamlReader r{"scenarios/db.yaml", diags};
//   r.check_keys(node, "cluster", {"namespace", "services"});
//   auto d = r.duration(node["duration"], "duration");   // nullopt + diagnostic when bad
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/result.hpp"
#include "core/time.hpp"

namespace selfheal::reports {

/// Levenshtein distance (byte-wise), for did-you-mean suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The closest candidate to `word` when it is plausibly a typo of it, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// 1-based line of a node (0 when the node has no position, e.g. a missing key).
int line_of(const YAML::Node& n);

class YamlReader {
 public:
  YamlReader(std::string file, core::Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  const std::string& file() const { return file_; }
  core::Diagnostics& diagnostics() { return diags_; }

  /// Records an error at `n`'s line for `field`.
  void error(const YAML::Node& n, const std::string& field, const std::string& message);
  /// Records an error at an explicit line.
  void error_at(int line, const std::string& field, const std::string& message);

  /// True if `n` is a map; otherwise records "expected a mapping".
  bool expect_map(const YAML::Node& n, const std::string& field);
  bool expect_seq(const YAML::Node& n, const std::string& field);

  /// Records every key of map `n` not in `allowed` (with did-you-mean). `field` is the
  /// path of `n` ("" at the top level).
  void check_keys(const YAML::Node& n, const std::string& field,
                  const std::vector<std::string>& allowed);

  /// Typed scalar reads. Missing (undefined/null) nodes give nullopt without an error;
  /// malformed ones give nullopt and an error.
  std::optional<std::string> str(const YAML::Node& n, const std::string& field);
  std::optional<double> number(const YAML::Node& n, const std::string& field);
  std::optional<std::int64_t> integer(const YAML::Node& n, const std::string& field);
  std::optional<bool> boolean(const YAML::Node& n, const std::string& field);
  std::optional<core::Duration> duration(const YAML::Node& n, const std::string& field);
  /// A list of strings, or a single string taken as a one-element list.
  std::optional<std::vector<std::string>> str_list(const YAML::Node& n, const std::string& field);

  /// `field` joined with `key` by a dot (no dot when `field` is empty).
  static std::string join(const std::string& field, const std::string& key);
  static std::string index(const std::string& field, std::size_t i);

 private:
  std::string file_;
  core::Diagnostics& diags_;
};

}  // namespace selfheal::reports
