#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "config/messages.hpp"
#include "core/duration.hpp"

namespace selfheal::config {

int line_of(const YAML::Node& n) {
  if (!n.IsDefined()) return 0;
  const YAML::Mark m = n.Mark();
  return m.line >= 0 ? m.line + 1 : 0;
}

int column_of(const YAML::Node& n) {
  if (!n.IsDefined()) return 0;
  const YAML::Mark m = n.Mark();
  return m.column >= 0 ? m.column + 1 : 0;
}

std::string kind_of(const YAML::Node& n) {
  if (!n.IsDefined()) return "nothing";
  switch (n.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
    default:
      return config::quoted(n.Scalar());
  }
}

bool is_quoted(const YAML::Node& n) {
  // yaml-cpp tags a quoted scalar "!" (non-specific) and a plain one "?".
  return n.IsScalar() && n.Tag() == "!";
}

std::optional<double> parse_number(const YAML::Node& n) {
  if (!n.IsScalar() || is_quoted(n)) return std::nullopt;
  const std::string& s = n.Scalar();
  if (s.empty()) return std::nullopt;
  double v = 0;
  const char* begin = s.data() + (s.front() == '+' ? 1 : 0);
  const auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

void YamlReader::error(const YAML::Node& n, const std::string& field, const std::string& message) {
  error_at(line_of(n), field, message);
}

void YamlReader::error_at(int line, const std::string& field, const std::string& message) {
  diags_.add(core::Error{message, file_, line, 0, field});
}

bool YamlReader::expect_map(const YAML::Node& n, const std::string& field) {
  if (n.IsMap()) return true;
  error(n, field, "expected a mapping (key: value pairs)");
  return false;
}

bool YamlReader::expect_seq(const YAML::Node& n, const std::string& field) {
  if (n.IsSequence()) return true;
  error(n, field, "expected a list");
  return false;
}

void YamlReader::check_keys(const YAML::Node& n, const std::string& field,
                            const std::vector<std::string>& allowed) {
  if (!n.IsMap()) return;
  std::vector<std::pair<std::string, int>> seen;  // yaml-cpp keeps duplicates silently
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      error(kv.first, join(field, key), unknown_key(key, allowed));
      continue;
    }
    const auto first =
        std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == key; });
    if (first != seen.end()) {
      error(kv.first, join(field, key), duplicate_key(key, first->second));
    } else {
      seen.emplace_back(key, line_of(kv.first));
    }
  }
}

std::optional<std::string> YamlReader::str(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!n.IsScalar()) {
    error(n, field, "expected a string");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<double> YamlReader::number(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (auto v = parse_number(n)) return v;
  error(n, field,
        wrong_type("a number", n.IsScalar() ? config::quoted(n.Scalar()) : kind_of(n)) +
            (is_quoted(n) ? " (a quoted value is a string; remove the quotes)" : ""));
  return std::nullopt;
}

std::optional<std::int64_t> YamlReader::integer(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (n.IsScalar() && !is_quoted(n)) {
    const std::string& s = n.Scalar();
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end == s.c_str() + s.size() && errno == 0) return v;
  }
  error(n, field,
        wrong_type("a whole number", n.IsScalar() ? config::quoted(n.Scalar()) : kind_of(n)) +
            (is_quoted(n) ? " (a quoted value is a string; remove the quotes)" : ""));
  return std::nullopt;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  error(n, field, "expected true or false");
  return std::nullopt;
}

std::optional<core::Duration> YamlReader::duration(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!n.IsScalar()) {
    error(n, field, "expected a duration such as 10m");
    return std::nullopt;
  }
  auto d = core::parse_duration(n.Scalar());
  if (!d) {
    error(n, field, d.error().message);
    return std::nullopt;
  }
  return *d;
}

std::optional<std::vector<std::string>> YamlReader::str_list(const YAML::Node& n,
                                                             const std::string& field) {
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) {
    error(n, field, "expected a list of names");
    return std::nullopt;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      error(n[i], index(field, i), "expected a name");
      return std::nullopt;
    }
    out.push_back(n[i].Scalar());
  }
  return out;
}

std::string YamlReader::join(const std::string& field, const std::string& key) {
  return field.empty() ? key : field + '.' + key;
}

std::string YamlReader::index(const std::string& field, std::size_t i) {
  return field + '[' + std::to_string(i) + ']';
}

}  // namespace selfheal::config
