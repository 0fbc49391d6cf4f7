// Typed reads of user-written YAML with precise diagnostics: every error names the file, the
// 1-based line and the dotted field path, in the words of config/messages.hpp; unknown keys
// get a did-you-mean suggestion.
//
//   core::Diagnostics diags;
//   YamlReader r{"scenarios/db.yaml", diags};
//   r.check_keys(node, "cluster", {"namespace", "services"});
//   auto d = r.duration(node["duration"], "duration");   // nullopt + diagnostic when bad
//
// Numbers must be plain scalars: a quoted '0.9' is a string, and is refused as a number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/result.hpp"
#include "core/time.hpp"

namespace selfheal::config {

/// 1-based line of a node (0 when the node has no position, e.g. a missing key).
int line_of(const YAML::Node& n);
/// 1-based column of a node (0 when unknown).
int column_of(const YAML::Node& n);
/// What a node is, for "got ..." in a message: a list, a map, nothing, or the quoted scalar.
std::string kind_of(const YAML::Node& n);
/// True for a single- or double-quoted scalar (a string, never a number or a boolean).
bool is_quoted(const YAML::Node& n);
/// Parses a plain scalar as a finite number ("+1" allowed); nullopt otherwise.
std::optional<double> parse_number(const YAML::Node& n);

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

  /// Records every key of map `n` not in `allowed` (with did-you-mean), and every key
  /// given twice. `field` is the path of `n` ("" at the top level).
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

}  // namespace selfheal::config
