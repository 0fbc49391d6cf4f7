#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "config/messages.hpp"
#include "config/names.hpp"
#include "core/duration.hpp"
#include "core/utf8.hpp"

namespace selfheal::config {

YAML::Node load_yaml(const std::string& text) {
  // yaml-cpp detects UTF-16/32 by a byte-order mark or by zero bytes among the first four.
  const bool wide = text.starts_with("\xFE\xFF") || text.starts_with("\xFF\xFE") ||
                    text.substr(0, 4).find('\0') != std::string::npos;
  if (const auto bad = core::first_invalid_utf8(text); bad && !wide) {
    const std::size_t line_start = text.rfind('\n', *bad);
    YAML::Mark mark;
    mark.pos = static_cast<int>(*bad);
    mark.line = static_cast<int>(std::count(text.begin(), text.begin() + *bad, '\n'));
    mark.column = static_cast<int>(line_start == std::string::npos ? *bad : *bad - line_start - 1);
    static constexpr char kHex[] = "0123456789ABCDEF";
    const auto byte = static_cast<unsigned char>(text[*bad]);
    throw YAML::ParserException(mark, std::string("invalid UTF-8 (byte 0x") + kHex[byte >> 4] +
                                          kHex[byte & 0xF] + "); save the file as UTF-8");
  }
  return YAML::Load(text);
}

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

const Entry* Fields::find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

void YamlReader::error(const YAML::Node& n, const std::string& field, const std::string& message) {
  diags_.add(core::Error{message, file_, line_of(n), column_of(n), field});
}

void YamlReader::error_at(int line, const std::string& field, const std::string& message) {
  diags_.add(core::Error{message, file_, line, 0, field});
}

bool YamlReader::expect_map(const YAML::Node& n, const std::string& field) {
  if (n.IsMap()) return true;
  error(n, field, wrong_type("a mapping (key: value pairs)", kind_of(n)));
  return false;
}

bool YamlReader::expect_seq(const YAML::Node& n, const std::string& field) {
  if (n.IsSequence()) return true;
  error(n, field, wrong_type("a list", kind_of(n)));
  return false;
}

Fields YamlReader::fields(const YAML::Node& n, const std::string& field,
                          const std::vector<std::string_view>& known) {
  std::vector<Entry> out;
  if (!n.IsMap()) return Fields{};
  std::vector<YAML::Node> merges;  // values of `<<` keys, in order
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node k = it->first;
    if (!k.IsScalar()) {
      error(k, field, "a key must be a plain name, not " + kind_of(k));
      continue;
    }
    const std::string key = k.Scalar();
    if (key == "<<") {
      merges.push_back(it->second);
      continue;
    }
    if (field.empty() && key.starts_with("x-")) continue;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      error(k, join(field, key), unknown_key(key, known));
      continue;
    }
    const auto first =
        std::find_if(out.begin(), out.end(), [&](const Entry& e) { return e.key == key; });
    if (first != out.end()) {
      error(k, join(field, key), duplicate_key(key, line_of(first->key_node)));
      continue;
    }
    out.push_back(Entry{key, k, it->second});
  }
  for (const auto& m : merges)
    merge_into(out, m, field, known);
  return Fields(std::move(out));
}

std::vector<Entry> YamlReader::named_entries(const YAML::Node& n, const std::string& field,
                                             std::string_view what) {
  std::vector<Entry> out;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node k = it->first;
    const std::string noun = what.empty() ? std::string() : std::string(what) + " ";
    if (!k.IsScalar() || k.Scalar().empty()) {
      error(k, field, "a " + noun + "name must be a plain name, not " + kind_of(k));
      continue;
    }
    const std::string key = k.Scalar();
    if (std::any_of(out.begin(), out.end(), [&](const Entry& e) { return e.key == key; })) {
      error(k, join(field, key), noun + "\"" + key + "\" is given twice");
      continue;
    }
    out.push_back(Entry{key, k, it->second});
  }
  return out;
}

// YAML merge keys (`<<: *defaults`, which yaml-cpp leaves to its users): the map's own keys
// win, then earlier merges over later ones. Problems point at the merged text.
void YamlReader::merge_into(std::vector<Entry>& out, const YAML::Node& merge,
                            const std::string& field, const std::vector<std::string_view>& known) {
  const std::string merge_field = join(field, "<<");
  std::vector<YAML::Node> sources;
  if (merge.IsMap()) {
    sources.push_back(merge);
  } else if (merge.IsSequence()) {
    for (std::size_t i = 0; i < merge.size(); ++i) {
      if (merge[i].IsMap()) {
        sources.push_back(merge[i]);
      } else {
        error(merge[i], merge_field, "a merge key takes maps, got " + kind_of(merge[i]));
      }
    }
  } else {
    error(merge, merge_field,
          "a merge key takes a map or a list of maps (e.g. an alias such as *defaults), got " +
              kind_of(merge));
  }
  for (const auto& src : sources) {
    for (auto it = src.begin(); it != src.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string{};
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        error(it->first, join(field, key), unknown_key(key, known) + " (merged in with <<)");
        continue;
      }
      const bool present =
          std::any_of(out.begin(), out.end(), [&](const Entry& e) { return e.key == key; });
      if (!present) out.push_back(Entry{key, it->first, it->second});
    }
  }
}

void YamlReader::check_keys(const YAML::Node& n, const std::string& field,
                            const std::vector<std::string_view>& known) {
  (void)fields(n, field, known);
}

void YamlReader::check_keys(const YAML::Node& n, const std::string& field,
                            const std::vector<std::string>& known) {
  check_keys(n, field, std::vector<std::string_view>(known.begin(), known.end()));
}

void YamlReader::check_keys(const YAML::Node& n, const std::string& field,
                            std::initializer_list<std::string_view> known) {
  check_keys(n, field, std::vector<std::string_view>(known));
}

std::optional<std::string> YamlReader::str(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined()) return std::nullopt;
  if (!n.IsScalar()) {
    error(n, field, wrong_type("a string", kind_of(n)));
    return std::nullopt;
  }
  return n.Scalar();
}

namespace {
// " (a quoted value is a string; remove the quotes)" for a quoted scalar, else "".
std::string quoted_hint(const YAML::Node& n) {
  return is_quoted(n) ? " (a quoted value is a string; remove the quotes)" : "";
}
}  // namespace

std::optional<double> YamlReader::number(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined()) return std::nullopt;
  if (auto v = parse_number(n)) return v;
  error(n, field, wrong_type("a number", kind_of(n)) + quoted_hint(n));
  return std::nullopt;
}

std::optional<double> YamlReader::number_in(const YAML::Node& n, const std::string& field,
                                            double lo, double hi) {
  auto v = number(n, field);
  if (v && !(*v >= lo && *v <= hi)) {
    error(n, field, out_of_range(exact_number(lo), exact_number(hi), n.Scalar()));
    return std::nullopt;
  }
  return v;
}

std::optional<double> YamlReader::share(const YAML::Node& n, const std::string& field) {
  auto v = number(n, field);
  if (v && (std::signbit(*v) || *v > 1.0)) {
    error(n, field, out_of_range("0", "1", n.Scalar()));
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> YamlReader::integer(const YAML::Node& n, const std::string& field,
                                                std::int64_t lo, std::int64_t hi) {
  if (!n.IsDefined()) return std::nullopt;
  std::int64_t v = 0;
  std::errc ec = std::errc::invalid_argument;
  if (n.IsScalar() && !is_quoted(n) && !n.Scalar().empty()) {
    const std::string& s = n.Scalar();
    const char* begin = s.data() + (s.front() == '+' ? 1 : 0);
    const auto r = std::from_chars(begin, s.data() + s.size(), v);
    ec = r.ptr == s.data() + s.size() ? r.ec : std::errc::invalid_argument;
  }
  if (ec == std::errc::result_out_of_range) {
    error(n, field, "the number " + n.Scalar() + " is too large");
    return std::nullopt;
  }
  if (ec != std::errc{}) {
    error(n, field, wrong_type("a whole number", kind_of(n)) + quoted_hint(n));
    return std::nullopt;
  }
  // One side at a time: "at least 1" says what to write; "between 1 and 1000000000" does not.
  if (v < lo) {
    error(n, field, "must be at least " + std::to_string(lo) + ", got " + n.Scalar());
    return std::nullopt;
  }
  if (v > hi) {
    error(n, field, "must be at most " + std::to_string(hi) + ", got " + n.Scalar());
    return std::nullopt;
  }
  return v;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined()) return std::nullopt;
  if (n.IsScalar() && !is_quoted(n)) {
    std::string s = n.Scalar();
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  error(n, field, wrong_type("true or false", kind_of(n)) + quoted_hint(n));
  return std::nullopt;
}

std::optional<core::Duration> YamlReader::duration(const YAML::Node& n, const std::string& field,
                                                   DurationMin min) {
  if (!n.IsDefined()) return std::nullopt;
  if (!n.IsScalar()) {
    error(n, field, wrong_type("a duration such as 10m", kind_of(n)));
    return std::nullopt;
  }
  auto d = core::parse_duration(n.Scalar());
  if (!d) {
    error(n, field, d.error().message);
    return std::nullopt;
  }
  if (min == DurationMin::kPositive && d->count() <= 0) {
    error(n, field, "must be longer than 0s");
    return std::nullopt;
  }
  return *d;
}

std::optional<std::vector<std::string>> YamlReader::str_list(const YAML::Node& n,
                                                             const std::string& field,
                                                             bool scalar_is_list) {
  if (!n.IsDefined()) return std::nullopt;
  std::vector<std::string> out;
  if (scalar_is_list && n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) {
    error(n, field, wrong_type("a list such as [a, b]", kind_of(n)));
    return std::nullopt;
  }
  bool ok = true;
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (auto s = str(n[i], index(field, i))) {
      out.push_back(*s);
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::vector<std::string> YamlReader::name_list(const YAML::Node& n, const std::string& field,
                                               std::string_view what) {
  std::vector<std::string> out;
  if (!n.IsDefined()) return out;
  if (!n.IsSequence()) {
    error(n, field,
          wrong_type("a list of " + std::string(what) + " names such as [prod]", kind_of(n)));
    return out;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string f = index(field, i);
    auto s = str(n[i], f);
    if (!s) continue;
    if (const std::string problem = dns1123_problem(*s); !problem.empty()) {
      error(n[i], f, dns1123_message(*s, problem));
      continue;
    }
    out.push_back(*s);
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
