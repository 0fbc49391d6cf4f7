// Strict JSON reading with source positions, for the incident and state files.
//
// parse_json keeps, for every value, the line and column where it starts, and refuses what
// nlohmann::json alone accepts or turns into an exception: a duplicate key (named, with the
// line of its first occurrence), a number that overflows a double (`1e400`, named by field),
// invalid UTF-8, trailing text, nesting deeper than kMaxJsonDepth. JsonReader then reads typed
// fields in the words of config/messages.hpp, each error located `file:line:col: field: message`.
//
//   core::Diagnostics diags;
//   auto doc = config::read_json_file("incident.json", diags);
//   if (!doc) return;                       // diags says why (missing file, syntax, ...)
//   config::JsonReader r(*doc, diags);
//   r.check_keys(doc->root, "", {"service", "confidence"});
//   auto c = r.num(doc->root, "", "confidence", config::kRequired, 0.0, 1.0);
//
// Field paths are dotted with list indices: `signals.error_rate`, `targets[0].attempts`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace selfheal::config {

/// Deepest nesting of objects and lists parse_json reads; deeper is an error. The deepest
/// input selfheal reads (a kubectl List) nests about 10 levels.
inline constexpr std::size_t kMaxJsonDepth = 128;

struct JsonDocument {
  nlohmann::json root;
  std::string file;
  /// 1-based (line, column) where each value starts, by field path ("" = the root).
  std::map<std::string, std::pair<int, int>> where;
};

/// Parses `text`; on any problem records it in `diags` and returns nullopt.
std::optional<JsonDocument> parse_json(const std::string& text, const std::string& file,
                                       core::Diagnostics& diags);
/// read_file (bounded, clear errors) then parse_json.
std::optional<JsonDocument> read_json_file(const std::string& path, core::Diagnostics& diags);

/// `j` as JSON text, `indent` as nlohmann's dump (-1: one line). A string that is not valid
/// UTF-8 (a file name from the command line: the one text no reader validates) gets U+FFFD
/// for each bad byte instead of an exception that would end the run in std::terminate.
/// Every document selfheal writes goes through this; `Json` is nlohmann::json or
/// nlohmann::ordered_json (whose key order is kept: a conversion would sort it).
template <class Json>
std::string json_text(const Json& j, int indent = 2) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

inline constexpr bool kRequired = true;
inline constexpr bool kOptional = false;

class JsonReader {
 public:
  JsonReader(const JsonDocument& doc, core::Diagnostics& diags) : doc_(doc), diags_(diags) {}

  /// Records an error for `field`, located at the field (or its nearest located parent).
  void error(const std::string& field, const std::string& message);

  /// Records every member of `obj` not in `known` (did-you-mean or the known list).
  void check_keys(const nlohmann::json& obj, const std::string& path,
                  const std::vector<std::string>& known);

  /// Typed members of `obj` (at `path`). Absent: nullopt, and an error when required.
  /// Present but wrong: nullopt and an error.
  std::optional<std::string> str(const nlohmann::json& obj, const std::string& path,
                                 const std::string& key, bool required, bool allow_empty = false);
  std::optional<double> num(const nlohmann::json& obj, const std::string& path,
                            const std::string& key, bool required, double lo, double hi);
  std::optional<std::int64_t> integer(const nlohmann::json& obj, const std::string& path,
                                      const std::string& key, bool required, std::int64_t lo,
                                      std::int64_t hi);
  std::optional<bool> boolean(const nlohmann::json& obj, const std::string& path,
                              const std::string& key);
  /// True when `obj[key]` is present and of `kind` ("an object", "a list"); else records
  /// wrong_type and returns false. Absent gives false without an error.
  bool is_object(const nlohmann::json& obj, const std::string& path, const std::string& key);
  bool is_list(const nlohmann::json& obj, const std::string& path, const std::string& key);

  static std::string join(const std::string& path, const std::string& key);
  static std::string index(const std::string& path, std::size_t i);
  /// What a JSON value is, for "got ...": a string "x", a number, a list, an object, ...
  static std::string kind_of(const nlohmann::json& v);

 private:
  const JsonDocument& doc_;
  core::Diagnostics& diags_;
};

}  // namespace selfheal::config
