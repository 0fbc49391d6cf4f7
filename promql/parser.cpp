// Recursive descent over lexer.hpp's tokens with Prometheus's precedences (lowest first):
// or; and unless; == != <= < >= >; + -; * / %; ^ (right-associative). Unary minus binds like
// `*` (Prometheus's `%prec MUL`), so `-a^b` is `-(a^b)` and `-a*b` is `(-a)*b`. Type checks
// follow Prometheus's checkAST and are done while building, so every error carries the byte
// offset of the construct. Errors are thrown as ParseError and returned as a Result by parse().
#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <utility>

#include "promql/ast.hpp"
#include "promql/lexer.hpp"

namespace selfheal::promql {
namespace detail {
namespace {

constexpr int kPrecOr = 1;
constexpr int kPrecAnd = 2;
constexpr int kPrecCmp = 3;
constexpr int kPrecAdd = 4;
constexpr int kPrecMul = 5;
constexpr int kPrecPow = 6;
/// Deeper nesting is an error rather than a risk to the stack (the parser recurses).
constexpr int kMaxDepth = 200;

struct AggName {
  std::string_view name;
  std::optional<AggOp> op;  ///< nullopt: a Prometheus aggregation outside the subset
  bool has_param;
};
constexpr std::array<AggName, 12> kAggregations{{
    {"sum", AggOp::kSum, false},
    {"avg", AggOp::kAvg, false},
    {"min", AggOp::kMin, false},
    {"max", AggOp::kMax, false},
    {"count", AggOp::kCount, false},
    {"group", AggOp::kGroup, false},
    {"stddev", AggOp::kStddev, false},
    {"stdvar", AggOp::kStdvar, false},
    {"topk", AggOp::kTopk, true},
    {"bottomk", AggOp::kBottomk, true},
    {"quantile", AggOp::kQuantile, true},
    {"count_values", std::nullopt, true},
}};

const AggName* find_aggregation(std::string_view name) {
  for (const auto& a : kAggregations) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

bool is_keyword(std::string_view w) {
  static constexpr std::array<std::string_view, 12> kKeywords{
      "by",   "without", "on",  "ignoring", "group_left", "group_right",
      "bool", "offset",  "and", "or",       "unless",     "atan2"};
  return std::find(kKeywords.begin(), kKeywords.end(), w) != kKeywords.end();
}

bool is_label_name(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

std::string describe(const Token& t) {
  if (t.kind == Tok::kEnd) return "end of input";
  return "'" + std::string(t.raw) + "'";
}

std::string type_words(Type t) {
  return std::string(type_name(t));
}

class Parser {
 public:
  explicit Parser(std::string_view text) : toks_(lex(text)) {}

  NodePtr parse_top() {
    NodePtr e = expr(kPrecOr);
    if (cur().kind != Tok::kEnd) fail_at(cur().pos, "unexpected " + describe(cur()));
    if (e->type == Type::kMatrix)
      fail_at(e->pos,
              "a range vector is not allowed at top level; expected an instant vector or a scalar");
    if (e->type == Type::kString)
      fail_at(e->pos,
              "a string is not allowed at top level; expected an instant vector or a scalar");
    return e;
  }

 private:
  const Token& cur() const { return toks_[i_]; }
  const Token& ahead(std::size_t n = 1) const { return toks_[std::min(i_ + n, toks_.size() - 1)]; }
  const Token& take() { return toks_[i_ < toks_.size() - 1 ? i_++ : i_]; }
  bool is_word(std::string_view w) const { return cur().kind == Tok::kIdent && cur().raw == w; }

  const Token& expect(Tok kind, std::string_view what) {
    if (cur().kind != kind)
      fail_at(cur().pos, "unexpected " + describe(cur()) + "; expected " + std::string(what));
    return take();
  }

  // Binary operator at the cursor and its precedence, or nullopt.
  std::optional<std::pair<BinOp, int>> peek_binop() const {
    switch (cur().kind) {
      case Tok::kAdd:
        return std::pair{BinOp::kAdd, kPrecAdd};
      case Tok::kSub:
        return std::pair{BinOp::kSub, kPrecAdd};
      case Tok::kMul:
        return std::pair{BinOp::kMul, kPrecMul};
      case Tok::kDiv:
        return std::pair{BinOp::kDiv, kPrecMul};
      case Tok::kMod:
        return std::pair{BinOp::kMod, kPrecMul};
      case Tok::kPow:
        return std::pair{BinOp::kPow, kPrecPow};
      case Tok::kEqlc:
        return std::pair{BinOp::kEq, kPrecCmp};
      case Tok::kNeq:
        return std::pair{BinOp::kNe, kPrecCmp};
      case Tok::kGt:
        return std::pair{BinOp::kGt, kPrecCmp};
      case Tok::kLt:
        return std::pair{BinOp::kLt, kPrecCmp};
      case Tok::kGe:
        return std::pair{BinOp::kGe, kPrecCmp};
      case Tok::kLe:
        return std::pair{BinOp::kLe, kPrecCmp};
      case Tok::kIdent:
        if (cur().raw == "and") return std::pair{BinOp::kAnd, kPrecAnd};
        if (cur().raw == "unless") return std::pair{BinOp::kUnless, kPrecAnd};
        if (cur().raw == "or") return std::pair{BinOp::kOr, kPrecOr};
        if (cur().raw == "atan2") fail_at(cur().pos, "unsupported operator 'atan2'");
        return std::nullopt;
      default:
        return std::nullopt;
    }
  }

  NodePtr expr(int min_prec) {
    struct Depth {
      int& d;
      Depth(int& d_, std::size_t pos) : d(d_) {
        if (++d > kMaxDepth)
          fail_at(pos, "expression nested deeper than " + std::to_string(kMaxDepth) + " levels");
      }
      ~Depth() { --d; }
    } guard(depth_, cur().pos);
    NodePtr lhs = unary();
    for (;;) {
      auto op = peek_binop();
      if (!op || op->second < min_prec) return lhs;
      std::size_t pos = take().pos;
      auto node = std::make_shared<Node>();
      node->kind = NodeKind::kBinary;
      node->op = op->first;
      node->pos = pos;
      modifiers(*node);
      int next = op->first == BinOp::kPow ? op->second : op->second + 1;
      NodePtr rhs = expr(next);
      node->children = {lhs, rhs};
      check_binary(*node);
      lhs = std::move(node);
    }
  }

  std::vector<std::string> label_list(std::string_view clause) {
    std::size_t open = expect(Tok::kLParen, "'(' after " + std::string(clause)).pos;
    (void)open;
    std::vector<std::string> out;
    while (cur().kind != Tok::kRParen) {
      const Token& t = cur();
      if (t.kind != Tok::kIdent || !is_label_name(t.raw))
        fail_at(t.pos, "unexpected " + describe(t) + " in " + std::string(clause) +
                           "; expected a label name");
      out.emplace_back(t.raw);
      take();
      if (cur().kind == Tok::kComma) {
        take();
      } else if (cur().kind != Tok::kRParen) {
        fail_at(cur().pos, "unexpected " + describe(cur()) + " in " + std::string(clause) +
                               "; expected ',' or ')'");
      }
    }
    take();
    return out;
  }

  void modifiers(Node& n) {
    if (is_word("bool")) {
      if (!is_comparison(n.op))
        fail_at(cur().pos, "bool modifier can only be used on comparison operators");
      take();
      n.return_bool = true;
    }
    if (is_word("on") || is_word("ignoring")) {
      n.on = cur().raw == "on";
      std::string clause(cur().raw);
      take();
      n.matching_labels = label_list(clause);
      if (is_word("group_left") || is_word("group_right")) {
        std::size_t gpos = cur().pos;
        std::string group(cur().raw);
        if (is_set_op(n.op))
          fail_at(gpos, "no grouping allowed for '" + std::string(op_text(n.op)) + "' operation");
        n.card = group == "group_left" ? Card::kManyToOne : Card::kOneToMany;
        take();
        if (cur().kind == Tok::kLParen) n.include = label_list(group);
        for (const auto& l : n.include) {
          if (n.on && std::find(n.matching_labels.begin(), n.matching_labels.end(), l) !=
                          n.matching_labels.end())
            fail_at(gpos, "label '" + l + "' must not occur in ON and GROUP clause at once");
        }
      }
    } else if (is_word("group_left") || is_word("group_right")) {
      fail_at(cur().pos, "unexpected " + describe(cur()) +
                             "; group modifiers need on(...) or ignoring(...) first");
    }
    if (is_set_op(n.op)) n.card = Card::kManyToMany;
  }

  void check_binary(Node& n) {
    const Node& l = *n.children[0];
    const Node& r = *n.children[1];
    auto operand_ok = [](Type t) { return t == Type::kScalar || t == Type::kVector; };
    if (!operand_ok(l.type) || !operand_ok(r.type))
      fail_at(n.pos, "binary expression must contain only scalar and instant vector types, got " +
                         type_words(l.type) + " " + std::string(op_text(n.op)) + " " +
                         type_words(r.type));
    bool both_vectors = l.type == Type::kVector && r.type == Type::kVector;
    if (is_set_op(n.op) && !both_vectors)
      fail_at(n.pos, "set operator '" + std::string(op_text(n.op)) +
                         "' not allowed in binary scalar expression");
    if (!both_vectors && (!n.matching_labels.empty() || n.on || n.card != Card::kOneToOne) &&
        !is_set_op(n.op))
      fail_at(n.pos, "vector matching only allowed between instant vectors");
    if (l.type == Type::kScalar && r.type == Type::kScalar && is_comparison(n.op) && !n.return_bool)
      fail_at(n.pos, "comparisons between scalars must use BOOL modifier");
    n.type = (l.type == Type::kVector || r.type == Type::kVector) ? Type::kVector : Type::kScalar;
  }

  NodePtr unary() {
    if (cur().kind == Tok::kSub || cur().kind == Tok::kAdd) {
      const Token& t = take();
      bool neg = t.kind == Tok::kSub;
      NodePtr operand = expr(kPrecPow);
      if (operand->type != Type::kScalar && operand->type != Type::kVector)
        fail_at(
            t.pos,
            "unary expression only allowed on expressions of type scalar or instant vector, got " +
                type_words(operand->type));
      if (operand->kind == NodeKind::kNumber) {
        auto n = std::make_shared<Node>(*operand);
        n->pos = t.pos;
        if (neg) n->number = -n->number;
        return n;
      }
      if (!neg) return operand;
      auto n = std::make_shared<Node>();
      n->kind = NodeKind::kUnary;
      n->op = BinOp::kSub;
      n->pos = t.pos;
      n->type = operand->type;
      n->children = {operand};
      return n;
    }
    return postfix(primary());
  }

  core::Duration duration_token(std::string_view what) {
    const Token& t = cur();
    if (t.kind == Tok::kNumber && t.raw == "0") {
      take();
      return core::Duration{0};
    }
    if (t.kind != Tok::kDuration)
      fail_at(t.pos, "unexpected " + describe(t) + "; expected a duration in " + std::string(what));
    take();
    return t.duration;
  }

  NodePtr postfix(NodePtr e) {
    for (;;) {
      if (cur().kind == Tok::kLBracket) {
        std::size_t pos = take().pos;
        if (e->kind != NodeKind::kSelector)
          fail_at(pos, "ranges only allowed for vector selectors");
        if (e->offset != core::Duration{0})
          fail_at(pos, "no offset modifiers allowed before range");
        core::Duration range = duration_token("a range");
        if (cur().kind == Tok::kColon || (cur().kind == Tok::kIdent && cur().raw.front() == ':'))
          fail_at(cur().pos, "unsupported subquery");
        expect(Tok::kRBracket, "']'");
        if (range <= core::Duration{0}) fail_at(pos, "range must be greater than 0");
        auto n = std::make_shared<Node>(*e);
        n->kind = NodeKind::kMatrix;
        n->type = Type::kMatrix;
        n->range = range;
        e = std::move(n);
      } else if (is_word("offset")) {
        std::size_t pos = take().pos;
        if (e->kind != NodeKind::kSelector && e->kind != NodeKind::kMatrix)
          fail_at(pos,
                  "offset modifier must be preceded by an instant vector selector or range vector "
                  "selector");
        if (e->offset != core::Duration{0}) fail_at(pos, "offset may not be set multiple times");
        bool neg = false;
        if (cur().kind == Tok::kSub || cur().kind == Tok::kAdd) neg = take().kind == Tok::kSub;
        core::Duration d = duration_token("offset");
        auto n = std::make_shared<Node>(*e);
        n->offset = neg ? -d : d;
        e = std::move(n);
      } else if (cur().kind == Tok::kAt) {
        fail_at(cur().pos, "unsupported '@' modifier");
      } else {
        return e;
      }
    }
  }

  NodePtr primary() {
    const Token& t = cur();
    switch (t.kind) {
      case Tok::kNumber: {
        take();
        auto n = std::make_shared<Node>();
        n->kind = NodeKind::kNumber;
        n->type = Type::kScalar;
        n->pos = t.pos;
        n->number = t.number;
        return n;
      }
      case Tok::kString: {
        take();
        auto n = std::make_shared<Node>();
        n->kind = NodeKind::kString;
        n->type = Type::kString;
        n->pos = t.pos;
        n->text = t.str;
        return n;
      }
      case Tok::kLParen: {
        take();
        NodePtr inner = expr(kPrecOr);
        expect(Tok::kRParen, "')'");
        auto n = std::make_shared<Node>();
        n->kind = NodeKind::kParen;
        n->type = inner->type;
        n->pos = t.pos;
        n->children = {inner};
        return n;
      }
      case Tok::kLBrace:
        return selector(t.pos, std::nullopt);
      case Tok::kIdent:
        return identifier();
      case Tok::kDuration:
        fail_at(t.pos, "unexpected duration " + describe(t) +
                           "; durations belong in [..] or after offset");
      default:
        fail_at(t.pos, "unexpected " + describe(t) + "; expected an expression");
    }
  }

  NodePtr identifier() {
    const Token& t = cur();
    if (const AggName* a = find_aggregation(t.raw)) {
      if (!a->op) fail_at(t.pos, "unsupported aggregation '" + std::string(t.raw) + "'");
      return aggregation(*a);
    }
    if (ahead().kind == Tok::kLParen) return call();
    if (is_keyword(t.raw))
      fail_at(t.pos, "unexpected keyword " + describe(t) + "; expected an expression");
    take();
    return selector(t.pos, std::string(t.raw));
  }

  NodePtr aggregation(const AggName& a) {
    std::size_t pos = take().pos;
    auto n = std::make_shared<Node>();
    n->kind = NodeKind::kAggregate;
    n->type = Type::kVector;
    n->pos = pos;
    n->agg = *a.op;
    bool grouped = false;
    auto grouping = [&] {
      if (!is_word("by") && !is_word("without")) return;
      if (grouped) fail_at(cur().pos, "aggregation may have only one by/without clause");
      grouped = true;
      n->without = cur().raw == "without";
      std::string clause(cur().raw);
      take();
      n->grouping = label_list(clause);
    };
    grouping();
    expect(Tok::kLParen, "'(' after aggregation '" + std::string(a.name) + "'");
    if (a.has_param) {
      NodePtr param = expr(kPrecOr);
      if (param->type != Type::kScalar)
        fail_at(param->pos,
                "expected type scalar in aggregation parameter, got " + type_words(param->type));
      n->children.push_back(param);
      expect(Tok::kComma, "',' after the parameter of '" + std::string(a.name) + "'");
    }
    NodePtr body = expr(kPrecOr);
    if (body->type != Type::kVector)
      fail_at(body->pos, "expected type instant vector in aggregation expression, got " +
                             type_words(body->type));
    n->children.push_back(body);
    expect(Tok::kRParen, "')' closing '" + std::string(a.name) + "('");
    grouping();
    return n;
  }

  NodePtr call() {
    const Token& name = take();
    const FunctionDef* f = find_function(name.raw);
    if (!f) {
      if (is_prometheus_function(name.raw))
        fail_at(name.pos, "unsupported function '" + std::string(name.raw) + "'");
      fail_at(name.pos, "unknown function '" + std::string(name.raw) + "'");
    }
    take();  // (
    auto n = std::make_shared<Node>();
    n->kind = NodeKind::kCall;
    n->function = f;
    n->type = f->ret;
    n->pos = name.pos;
    while (cur().kind != Tok::kRParen) {
      n->children.push_back(expr(kPrecOr));
      if (cur().kind == Tok::kComma) {
        take();
        if (cur().kind == Tok::kRParen)
          fail_at(cur().pos, "unexpected ')' after ','; expected an argument");
      } else if (cur().kind != Tok::kRParen) {
        fail_at(cur().pos, "unexpected " + describe(cur()) + " in call to '" +
                               std::string(f->name) + "'; expected ',' or ')'");
      }
    }
    take();
    std::size_t got = n->children.size();
    if (got < f->min_args || got > f->args.size()) {
      std::string want = f->min_args == f->args.size() ? std::to_string(f->min_args)
                                                       : std::to_string(f->min_args) + " to " +
                                                             std::to_string(f->args.size());
      fail_at(name.pos, "expected " + want + " argument(s) in call to '" + std::string(f->name) +
                            "', got " + std::to_string(got));
    }
    for (std::size_t i = 0; i < got; ++i) {
      const Node& arg = *n->children[i];
      if (arg.type != f->args[i])
        fail_at(arg.pos, "expected type " + type_words(f->args[i]) + " in call to function '" +
                             std::string(f->name) + "', got " + type_words(arg.type));
    }
    return n;
  }

  NodePtr selector(std::size_t pos, std::optional<std::string> name) {
    auto n = std::make_shared<Node>();
    n->kind = NodeKind::kSelector;
    n->type = Type::kVector;
    n->pos = pos;
    if (name) n->matchers.push_back({"__name__", Matcher::Op::kEq, *name});
    if (cur().kind == Tok::kLBrace) {
      take();
      while (cur().kind != Tok::kRBrace)
        matcher(*n, name.has_value());
      take();
    }
    bool any_non_empty = false;
    for (Matcher& m : n->matchers) {
      std::string err;
      if (!compile(m, &err)) fail_at(pos, err);
      if (!matches(m, "")) any_non_empty = true;
    }
    if (!any_non_empty) fail_at(pos, "vector selector must contain at least one non-empty matcher");
    return n;
  }

  void matcher(Node& n, bool has_name) {
    const Token& lt = cur();
    if (lt.kind != Tok::kIdent || !is_label_name(lt.raw))
      fail_at(lt.pos, "unexpected " + describe(lt) + " in label matching; expected a label name");
    take();
    Matcher m;
    m.name = std::string(lt.raw);
    switch (cur().kind) {
      case Tok::kAssign:
        m.op = Matcher::Op::kEq;
        break;
      case Tok::kNeq:
        m.op = Matcher::Op::kNe;
        break;
      case Tok::kReMatch:
        m.op = Matcher::Op::kRe;
        break;
      case Tok::kReNotMatch:
        m.op = Matcher::Op::kNre;
        break;
      default:
        fail_at(cur().pos,
                "unexpected " + describe(cur()) + " in label matching; expected =, !=, =~ or !~");
    }
    take();
    const Token& v = expect(Tok::kString, "a quoted string");
    m.value = v.str;
    if (has_name && m.name == "__name__") fail_at(lt.pos, "metric name must not be set twice");
    n.matchers.push_back(std::move(m));
    if (cur().kind == Tok::kComma) {
      take();
    } else if (cur().kind != Tok::kRBrace) {
      fail_at(cur().pos,
              "unexpected " + describe(cur()) + " in label matching; expected ',' or '}'");
    }
  }

  std::vector<Token> toks_;
  std::size_t i_ = 0;
  int depth_ = 0;
};

void collect_selectors(const Node& n, std::vector<std::vector<Matcher>>& out) {
  if (n.kind == NodeKind::kSelector || n.kind == NodeKind::kMatrix) out.push_back(n.matchers);
  for (const auto& c : n.children)
    collect_selectors(*c, out);
}

}  // namespace
}  // namespace detail

Expr::Expr(std::shared_ptr<const detail::Node> root, std::string text)
    : root_(std::move(root)), text_(std::make_shared<const std::string>(std::move(text))) {}

ValueType Expr::type() const {
  return root_->type == detail::Type::kScalar ? ValueType::kScalar : ValueType::kVector;
}

const std::string& Expr::text() const {
  return *text_;
}

std::vector<std::vector<Matcher>> Expr::selectors() const {
  std::vector<std::vector<Matcher>> out;
  detail::collect_selectors(*root_, out);
  return out;
}

core::Result<Expr> parse(std::string_view text) {
  try {
    detail::Parser p(text);
    return Expr(p.parse_top(), std::string(text));
  } catch (const detail::ParseError& e) {
    return core::Error(e.message);
  }
}

}  // namespace selfheal::promql
