// label_replace(v, dst, replacement, src, regex): Prometheus anchors the regex and expands
// the replacement with Go's regexp.Expand rules — `$1`, `${1}`, `$$`; `$name` takes the
// longest run of letters, digits and '_' as the name (so `$1x` is the group named "1x",
// which does not exist, and expands to nothing); a `$` not followed by a name is literal.
// std::regex has no named groups, so every non-numeric name expands to nothing.
#include <algorithm>
#include <cctype>

#include "promql/eval.hpp"

namespace selfheal::promql::detail {
namespace {

constexpr int kMaxGroupNumber = 100000000;

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::string expand(std::string_view tmpl, const std::cmatch& m) {
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
    int num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= kMaxGroupNumber) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') num = -1;
    if (num >= 0 && static_cast<std::size_t>(num) < m.size() &&
        m[static_cast<std::size_t>(num)].matched)
      out += m[static_cast<std::size_t>(num)].str();
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

Vec label_replace(Vec v, const std::string& dst, const std::string& repl, const std::string& src,
                  const std::string& regex) {
  std::string err;
  auto re = compile_regex(regex, &err);
  if (!re) eval_fail("invalid regular expression in label_replace(): " + regex);
  if (!valid_label_name(dst))
    eval_fail("invalid destination label name in label_replace(): " + dst);
  for (auto& s : v) {
    std::string value(label_value(s.labels, src));
    std::cmatch m;
    if (!std::regex_match(value.c_str(), value.c_str() + value.size(), m, *re)) continue;
    std::string res = expand(repl, m);
    std::erase_if(s.labels, [&](const Label& l) { return l.name == dst; });
    if (!res.empty()) {
      s.labels.push_back({dst, std::move(res)});
      sort_labels(s.labels);
    }
  }
  return v;
}

}  // namespace selfheal::promql::detail
