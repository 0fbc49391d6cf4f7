// label_replace(v, dst, replacement, src, regex): Prometheus anchors the regex and expands
// the replacement with Go's regexp.Expand rules — `$1`, `${1}`, `$$`; `$name` takes the
// longest run of letters, digits and '_' as the name (so `$1x` is the group named "1x",
// which does not exist, and expands to nothing); a `$` not followed by a name is literal;
// a name that is not a number is a named group, `(?P<name>...)`.
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "promql/eval.hpp"

namespace selfheal::promql::detail {
namespace {

constexpr int kMaxGroupNumber = 100000000;

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

/// The groups of one match: [0] the whole value, [i] group i (data() null when unmatched).
struct Match {
  const re2::RE2& re;
  std::vector<re2::StringPiece> groups;
  std::string_view group(std::string_view name) const {
    int num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= kMaxGroupNumber) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') num = -1;
    if (num < 0) {
      const auto& named = re.NamedCapturingGroups();
      auto it = named.find(std::string(name));
      if (it == named.end()) return {};
      num = it->second;
    }
    if (static_cast<std::size_t>(num) >= groups.size()) return {};
    const auto& g = groups[static_cast<std::size_t>(num)];
    return g.data() ? std::string_view(g.data(), g.size()) : std::string_view{};
  }
};

std::string expand(std::string_view tmpl, const Match& m) {
  std::string out;
  while (!tmpl.empty()) {
    std::size_t d = tmpl.find('$');
    if (d == std::string_view::npos) break;
    out += tmpl.substr(0, d);
    tmpl.remove_prefix(d + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out += '$';
      tmpl.remove_prefix(1);
      continue;
    }
    bool brace = !tmpl.empty() && tmpl[0] == '{';
    std::string_view s = brace ? tmpl.substr(1) : tmpl;
    std::size_t i = 0;
    while (i < s.size() && name_char(s[i]))
      ++i;
    if (i == 0 || (brace && (i >= s.size() || s[i] != '}'))) {
      out += '$';
      continue;
    }
    std::string_view name = s.substr(0, i);
    tmpl = s.substr(brace ? i + 1 : i);
    out += m.group(name);
  }
  out += tmpl;
  return out;
}

bool valid_label_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Vec label_replace(Vec v, LabelTable& table, const std::string& dst, const std::string& repl,
                  const std::string& src, const std::string& regex) {
  std::string err;
  auto re = compile_regex(regex, &err);
  if (!re) eval_fail("invalid regular expression in label_replace(): " + regex);
  if (!valid_label_name(dst))
    eval_fail("invalid destination label name in label_replace(): " + dst);
  Match m{*re, std::vector<re2::StringPiece>(
                   static_cast<std::size_t>(re->NumberOfCapturingGroups()) + 1)};
  for (auto& s : v) {
    std::string value(label_value(table[s.labels], src));
    if (!re->Match(value, 0, value.size(), re2::RE2::ANCHOR_BOTH, m.groups.data(),
                   static_cast<int>(m.groups.size())))
      continue;
    std::string res = expand(repl, m);
    Labels labels = table[s.labels];
    std::erase_if(labels, [&](const Label& l) { return l.name == dst; });
    if (!res.empty()) {
      labels.push_back({dst, std::move(res)});
      sort_labels(labels);
    }
    s.labels = table.intern(std::move(labels));
  }
  return v;
}

}  // namespace selfheal::promql::detail
