// Tokens of the PromQL text (internal to promql/). Follows Prometheus's lexer: numbers
// (decimal, hex, exponent, Inf, NaN), durations (`1h30m`), Go-quoted strings, identifiers
// that may contain ':', `#` comments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"

namespace selfheal::promql::detail {

enum class Tok {
  kEnd,
  kIdent,
  kNumber,
  kDuration,
  kString,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kComma,
  kColon,
  kAt,
  kAssign,
  kEqlc,
  kNeq,
  kReMatch,
  kReNotMatch,
  kGt,
  kLt,
  kGe,
  kLe,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow
};

struct Token {
  Tok kind = Tok::kEnd;
  std::size_t pos = 0;
  std::string_view raw;        ///< The token's text as written.
  double number = 0;           ///< kNumber
  core::Duration duration{0};  ///< kDuration
  std::string str;             ///< kString, unquoted
};

/// Splits `text` into tokens ending with one kEnd. Throws ParseError (parser.hpp) on a bad
/// token, naming it and its offset.
std::vector<Token> lex(std::string_view text);

/// A parse error: message ends with " at <offset>".
struct ParseError {
  std::string message;
};
[[noreturn]] void fail_at(std::size_t pos, const std::string& what);

/// Prometheus's duration syntax: units y w d h m s ms, each at most once, in that order.
bool parse_duration(std::string_view text, core::Duration* out);

}  // namespace selfheal::promql::detail
