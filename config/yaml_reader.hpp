// The one tree-walker for user-written YAML (policy, classifier model, scenario, serve
// config): typed reads with precise diagnostics. Every error names the file, the 1-based line
// and column and the dotted field path, in the words of config/messages.hpp, so the same
// mistake reads the same in every file; unknown keys get a did-you-mean suggestion.
//
//   core::Diagnostics diags;
//   YamlReader r{"scenarios/db.yaml", diags};
//   Fields f = r.fields(node, "cluster", {"namespace", "services"});
//   if (const Entry* e = f.find("namespace")) auto ns = r.str(e->value, "cluster.namespace");
//   auto d = r.duration(node["duration"], "duration");   // nullopt + diagnostic when bad
//
// Reading rules, the same for every reader:
// - An absent node (`node["missing"]`) reads as nullopt without an error: the caller decides
//   whether the field is required. A key given without a value (`duration:`) is present and
//   wrong: "expected a duration such as 10m, got nothing".
// - Numbers must be plain scalars: a quoted '0.9' is a string, and is refused as a number.
// - Booleans are true/false/yes/no/on/off in any case.
// - A map's keys: unknown ones and ones given twice are errors; YAML merge keys
//   (`<<: *defaults`) are honoured (the map's own keys win, then earlier merges); top-level
//   `x-...` keys are the user's own (a home for anchors, as in OpenAPI and Compose files).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/result.hpp"
#include "core/time.hpp"

namespace selfheal::config {

/// YAML::Load for every reader of a user's YAML: text that is not UTF-8 is refused as a
/// YAML::ParserException at the first bad byte ("invalid UTF-8 (byte 0xFF); save the file as
/// UTF-8"), as yaml-cpp itself refuses a syntax error, instead of loading bytes that make
/// every JSON writer throw later. Text yaml-cpp decodes as UTF-16 or UTF-32 (a byte-order
/// mark or a zero byte up front) is left to yaml-cpp, which converts it.
YAML::Node load_yaml(const std::string& text);

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

/// One key of a map that passed YamlReader::fields: its name, key node (for positions) and
/// value. Values merged in with `<<` point at the merged text.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

/// A map's accepted entries, in document order (own keys, then merged ones).
class Fields {
 public:
  Fields() = default;
  explicit Fields(std::vector<Entry> e) : entries_(std::move(e)) {}
  /// The entry for `key`, or nullptr when the map does not give it.
  const Entry* find(std::string_view key) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

/// Which durations a field accepts.
enum class DurationMin { kZero, kPositive };

class YamlReader {
 public:
  YamlReader(std::string file, core::Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  const std::string& file() const { return file_; }
  core::Diagnostics& diagnostics() { return diags_; }

  /// Records an error at `n`'s line and column for `field`.
  void error(const YAML::Node& n, const std::string& field, const std::string& message);
  /// Records an error at an explicit line (column unknown).
  void error_at(int line, const std::string& field, const std::string& message);

  /// True if `n` is a map; otherwise records "expected a mapping (key: value pairs), got X".
  bool expect_map(const YAML::Node& n, const std::string& field);
  /// True if `n` is a list; otherwise records "expected a list, got X".
  bool expect_seq(const YAML::Node& n, const std::string& field);

  /// The entries of map `n` whose keys are in `known`; records every other key (with
  /// did-you-mean), every key given twice and every non-scalar key. `field` is the path of
  /// `n` ("" at the top level, where `x-...` keys are skipped). `n` must be a map.
  Fields fields(const YAML::Node& n, const std::string& field,
                const std::vector<std::string_view>& known);
  /// The entries of a free-form map `n` (names chosen by the user: labels, services by
  /// name), in document order. Records every key that is not a non-empty plain name, and
  /// every key given again (`<what> "key" is given twice`, at `field`.key: yaml-cpp would
  /// keep both silently), and leaves them out. `what` names a key ("label"; "" for none).
  /// `n` must be a map.
  std::vector<Entry> named_entries(const YAML::Node& n, const std::string& field,
                                   std::string_view what);
  /// fields() for its diagnostics only.
  void check_keys(const YAML::Node& n, const std::string& field,
                  const std::vector<std::string_view>& known);
  void check_keys(const YAML::Node& n, const std::string& field,
                  const std::vector<std::string>& known);
  void check_keys(const YAML::Node& n, const std::string& field,
                  std::initializer_list<std::string_view> known);

  /// Typed scalar reads. Absent nodes give nullopt without an error; anything else that is
  /// not the type (a key without a value included) gives nullopt and an error.
  std::optional<std::string> str(const YAML::Node& n, const std::string& field);
  std::optional<double> number(const YAML::Node& n, const std::string& field);
  /// A number in [lo, hi]: "must be between lo and hi, got v" otherwise.
  std::optional<double> number_in(const YAML::Node& n, const std::string& field, double lo,
                                  double hi);
  /// A share in [0, 1]; -0 is refused with the negatives (a sign slip, not a value).
  std::optional<double> share(const YAML::Node& n, const std::string& field);
  /// A whole number in [lo, hi]: "must be at least lo, got v" / "must be at most hi, got v".
  std::optional<std::int64_t> integer(const YAML::Node& n, const std::string& field,
                                      std::int64_t lo = std::numeric_limits<std::int64_t>::min(),
                                      std::int64_t hi = std::numeric_limits<std::int64_t>::max());
  std::optional<bool> boolean(const YAML::Node& n, const std::string& field);
  /// A duration such as 90s, 10m, 1h30m; kPositive refuses 0s.
  std::optional<core::Duration> duration(const YAML::Node& n, const std::string& field,
                                         DurationMin min = DurationMin::kZero);
  /// A list of strings. With `scalar_is_list`, a single string is a one-element list.
  std::optional<std::vector<std::string>> str_list(const YAML::Node& n, const std::string& field,
                                                   bool scalar_is_list = true);
  /// A list of DNS-1123 names (namespaces, services: they reach kubectl/helm argv); bad
  /// items are reported by config/names.hpp's one check and left out. `what` is "namespace",
  /// "service", ... for the message.
  std::vector<std::string> name_list(const YAML::Node& n, const std::string& field,
                                     std::string_view what);

  /// `field` joined with `key` by a dot (no dot when `field` is empty).
  static std::string join(const std::string& field, const std::string& key);
  static std::string index(const std::string& field, std::size_t i);

 private:
  void merge_into(std::vector<Entry>& out, const YAML::Node& merge, const std::string& field,
                  const std::vector<std::string_view>& known);

  std::string file_;
  core::Diagnostics& diags_;
};

}  // namespace selfheal::config
