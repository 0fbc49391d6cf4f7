#include "reports/yaml_util.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/duration.hpp"

namespace selfheal::reports {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // A typo changes a few characters; anything further is a different word.
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  return best_d <= limit ? best : std::string{};
}

int line_of(const YAML::Node& n) {
  if (!n.IsDefined()) return 0;
  const YAML::Mark m = n.Mark();
  return m.line >= 0 ? m.line + 1 : 0;
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
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string msg = "unknown key \"" + key + "\"";
    const std::string hint = did_you_mean(key, allowed);
    if (!hint.empty()) {
      msg += "; did you mean \"" + hint + "\"?";
    } else {
      msg += "; allowed keys:";
      for (std::size_t i = 0; i < allowed.size(); ++i)
        msg += (i ? ", " : " ") + allowed[i];
    }
    error(kv.first, join(field, key), msg);
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
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && errno == 0 && std::isfinite(v)) return v;
  }
  error(n, field,
        "expected a number, got \"" + (n.IsScalar() ? n.Scalar() : std::string{"?"}) + "\"");
  return std::nullopt;
}

std::optional<std::int64_t> YamlReader::integer(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end == s.c_str() + s.size() && errno == 0) return v;
  }
  error(n, field,
        "expected a whole number, got \"" + (n.IsScalar() ? n.Scalar() : std::string{"?"}) + "\"");
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

}  // namespace selfheal::reports
