// The parsed form of an expression (internal to promql/): one node type for every construct,
// built by parser.cpp and read by the evaluator. Nodes are immutable once built and shared.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "promql/promql.hpp"

namespace selfheal::promql::detail {

/// Static type of a node, as Prometheus's type checker sees it.
enum class Type { kScalar, kVector, kMatrix, kString };
std::string_view type_name(Type t);

enum class NodeKind {
  kNumber,
  kString,
  kSelector,
  kMatrix,
  kCall,
  kAggregate,
  kBinary,
  kUnary,
  kParen
};

enum class BinOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEq,
  kNe,
  kGt,
  kLt,
  kGe,
  kLe,
  kAnd,
  kOr,
  kUnless
};
bool is_comparison(BinOp op);
bool is_set_op(BinOp op);
std::string_view op_text(BinOp op);

enum class AggOp {
  kSum,
  kAvg,
  kMin,
  kMax,
  kCount,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kQuantile
};

/// Vector matching cardinality (Prometheus's CardOneToOne etc.).
enum class Card { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

enum class FuncId {
  kAbs,
  kCeil,
  kFloor,
  kRound,
  kSqrt,
  kExp,
  kLn,
  kLog2,
  kLog10,
  kClamp,
  kClampMin,
  kClampMax,
  kAbsent,
  kAbsentOverTime,
  kTime,
  kVector,
  kScalar,
  kRate,
  kIrate,
  kIncrease,
  kDelta,
  kIdelta,
  kChanges,
  kResets,
  kAvgOverTime,
  kMinOverTime,
  kMaxOverTime,
  kSumOverTime,
  kCountOverTime,
  kLastOverTime,
  kHistogramQuantile,
  kLabelReplace
};

struct FunctionDef {
  std::string_view name;
  FuncId id;
  std::vector<Type> args;  ///< Declared argument types.
  std::size_t min_args;    ///< Arguments after min_args are optional.
  Type ret;
};
/// The supported function named `name`, or nullptr.
const FunctionDef* find_function(std::string_view name);
/// Whether Prometheus 2.x knows a function of this name (to say "unsupported" rather than
/// "unknown").
bool is_prometheus_function(std::string_view name);

struct Node {
  NodeKind kind = NodeKind::kNumber;
  Type type = Type::kScalar;
  std::size_t pos = 0;  ///< Byte offset in the text.

  double number = 0;  ///< kNumber
  std::string text;   ///< kString: the unquoted value

  // kSelector / kMatrix
  std::vector<Matcher> matchers;  ///< Regex matchers compiled (Matcher::re).
  core::Duration range{0};
  core::Duration offset{0};

  const FunctionDef* function = nullptr;  ///< kCall
  std::vector<std::shared_ptr<const Node>>
      children;  ///< Call args; binary lhs, rhs; unary/paren operand; aggregate [param,] expr

  // kAggregate
  AggOp agg = AggOp::kSum;
  bool without = false;
  std::vector<std::string> grouping;

  // kBinary / kUnary (kSub for negation)
  BinOp op = BinOp::kAdd;
  bool return_bool = false;
  Card card = Card::kOneToOne;
  bool on = false;
  std::vector<std::string> matching_labels;
  std::vector<std::string> include;
};

using NodePtr = std::shared_ptr<const Node>;

/// Compiles a Prometheus label regex (RE2 syntax, as Go's regexp), or returns nullptr when
/// the pattern is not valid (`error` then says why). Match it with full_match: anchored at
/// both ends, as Prometheus anchors every label regex as ^(?:re)$.
std::shared_ptr<const re2::RE2> compile_regex(std::string_view pattern, std::string* error);
/// Whether all of `value` matches `re` (linear in the value's length: RE2 never backtracks).
bool full_match(const re2::RE2& re, std::string_view value);

}  // namespace selfheal::promql::detail
