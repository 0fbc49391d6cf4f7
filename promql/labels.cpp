// Labels, matchers and the small vocabulary shared by the parser and the evaluator.
// Regexes: Prometheus anchors every label regex as ^(?:re)$ and uses RE2; we use std::regex
// (ECMAScript) with std::regex_match, which is anchored at both ends. A leading `(?i)` (the
// one RE2 flag seen in alert rules) becomes std::regex::icase. Patterns are capped in length
// because std::regex compiles and matches recursively (docs/promql.md).
#include <algorithm>
#include <string>
#include <unordered_map>

#include "promql/ast.hpp"

namespace selfheal::promql {
namespace detail {

namespace {
constexpr std::size_t kMaxRegexBytes = 4096;
constexpr std::size_t kRegexCacheEntries = 256;
}  // namespace

std::string_view type_name(Type t) {
  switch (t) {
    case Type::kScalar:
      return "scalar";
    case Type::kVector:
      return "instant vector";
    case Type::kMatrix:
      return "range vector";
    case Type::kString:
      return "string";
  }
  return "?";
}

bool is_comparison(BinOp op) {
  return op == BinOp::kEq || op == BinOp::kNe || op == BinOp::kGt || op == BinOp::kLt ||
         op == BinOp::kGe || op == BinOp::kLe;
}

bool is_set_op(BinOp op) {
  return op == BinOp::kAnd || op == BinOp::kOr || op == BinOp::kUnless;
}

std::string_view op_text(BinOp op) {
  switch (op) {
    case BinOp::kAdd:
      return "+";
    case BinOp::kSub:
      return "-";
    case BinOp::kMul:
      return "*";
    case BinOp::kDiv:
      return "/";
    case BinOp::kMod:
      return "%";
    case BinOp::kPow:
      return "^";
    case BinOp::kEq:
      return "==";
    case BinOp::kNe:
      return "!=";
    case BinOp::kGt:
      return ">";
    case BinOp::kLt:
      return "<";
    case BinOp::kGe:
      return ">=";
    case BinOp::kLe:
      return "<=";
    case BinOp::kAnd:
      return "and";
    case BinOp::kOr:
      return "or";
    case BinOp::kUnless:
      return "unless";
  }
  return "?";
}

std::shared_ptr<const std::regex> compile_regex(std::string_view pattern, std::string* error) {
  if (pattern.size() > kMaxRegexBytes) {
    *error = "longer than " + std::to_string(kMaxRegexBytes) + " bytes";
    return nullptr;
  }
  auto flags = std::regex::ECMAScript;
  constexpr std::string_view kCaseInsensitive = "(?i)";
  if (pattern.substr(0, kCaseInsensitive.size()) == kCaseInsensitive) {
    flags |= std::regex::icase;
    pattern.remove_prefix(kCaseInsensitive.size());
  }
  try {
    return std::make_shared<const std::regex>("(?:" + std::string(pattern) + ")", flags);
  } catch (const std::regex_error& e) {
    *error = e.what();
    return nullptr;
  }
}

}  // namespace detail

std::string_view label_value(const Labels& labels, std::string_view name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != labels.end() && it->name == name) return it->value;
  return {};
}

void sort_labels(Labels& labels) {
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
}

std::string format_labels(const Labels& labels) {
  std::string out(label_value(labels, "__name__"));
  out += '{';
  bool first = true;
  for (const auto& l : labels) {
    if (l.name == "__name__") continue;
    if (!first) out += ", ";
    first = false;
    out += l.name;
    out += "=\"";
    for (char c : l.value) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    out += '"';
  }
  out += '}';
  return out;
}

bool matches(const Matcher& m, std::string_view value) {
  switch (m.op) {
    case Matcher::Op::kEq:
      return value == m.value;
    case Matcher::Op::kNe:
      return value != m.value;
    case Matcher::Op::kRe:
    case Matcher::Op::kNre:
      break;
  }
  // One cache per thread: no locking, and results do not depend on which thread asks.
  thread_local std::unordered_map<std::string, std::shared_ptr<const std::regex>> cache;
  auto it = cache.find(m.value);
  if (it == cache.end()) {
    if (cache.size() >= detail::kRegexCacheEntries) cache.clear();
    std::string err;
    it = cache.emplace(m.value, detail::compile_regex(m.value, &err)).first;
  }
  // An invalid pattern (parse() rejects those) matches nothing.
  bool hit = it->second && std::regex_match(value.begin(), value.end(), *it->second);
  return m.op == Matcher::Op::kRe ? hit : !hit;
}

}  // namespace selfheal::promql
