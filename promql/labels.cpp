// Labels, matchers and the small vocabulary shared by the parser and the evaluator.
// Regexes: Prometheus anchors every label regex as ^(?:re)$ and matches it with Go's regexp,
// whose syntax and guarantees are RE2's; we use RE2 itself, fully anchored (RE2::FullMatch).
// A backtracking engine (std::regex, tried first) takes exponential time on patterns such as
// `(a*)*b` or `w**` and recursed deep enough to hang a rule file's evaluation; RE2 matches in
// time linear in the value and rejects what Go rejects (`**`, look-arounds, back-references).
#include <re2/re2.h>

#include <algorithm>
#include <string>
#include <unordered_map>

#include "promql/ast.hpp"

namespace selfheal::promql {
namespace detail {

namespace {
constexpr std::size_t kMaxRegexBytes = 4096;
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

std::shared_ptr<const re2::RE2> compile_regex(std::string_view pattern, std::string* error) {
  if (pattern.size() > kMaxRegexBytes) {
    *error = "longer than " + std::to_string(kMaxRegexBytes) + " bytes";
    return nullptr;
  }
  re2::RE2::Options opts;
  opts.set_log_errors(false);  // the error is returned, not printed to stderr
  auto re =
      std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), opts);
  if (!re->ok()) {
    *error = re->error();
    return nullptr;
  }
  return re;
}

bool full_match(const re2::RE2& re, std::string_view value) {
  return re2::RE2::FullMatch(re2::StringPiece(value.data(), value.size()), re);
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

bool compile(Matcher& m, std::string* error) {
  if (m.op != Matcher::Op::kRe && m.op != Matcher::Op::kNre) return true;
  std::string why;
  m.re = detail::compile_regex(m.value, &why);
  if (!m.re)
    *error = "invalid regular expression \"" + m.value + "\" for label '" + m.name + "': " + why;
  return m.re != nullptr;
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
  std::shared_ptr<const re2::RE2> re = m.re;
  if (!re) {
    std::string err;
    re = detail::compile_regex(m.value, &err);
  }
  // An invalid pattern (parse() and compile() reject those) matches nothing.
  const bool hit = re && detail::full_match(*re, value);
  return m.op == Matcher::Op::kRe ? hit : !hit;
}

}  // namespace selfheal::promql
