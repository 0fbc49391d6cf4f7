// The parser: literals, durations, precedence, and that everything outside the subset is an
// error naming the construct and its byte offset.
#include <catch2/catch.hpp>

#include "tests/promql/fixture.hpp"

using namespace selfheal::promql;
using namespace selfheal::promql::test;

namespace {

std::string error_of(std::string_view q) {
  auto e = parse(q);
  return e ? std::string("parsed") : e.error().message;
}

std::string scalar_of(std::string_view q) {
  MemorySource none;
  return eval(none, q, kT0);
}

}  // namespace

TEST_CASE("promql parses number literals as Prometheus does", "[promql][parse]") {
  CHECK(scalar_of("42") == "scalar 42");
  CHECK(scalar_of("1.5e3") == "scalar 1500");
  CHECK(scalar_of(".5") == "scalar 0.5");
  CHECK(scalar_of("0x1F") == "scalar 31");
  CHECK(scalar_of("Inf") == "scalar +Inf");
  CHECK(scalar_of("-inf") == "scalar -Inf");
  CHECK(scalar_of("NaN") == "scalar NaN");
  CHECK(scalar_of("  7 # a comment") == "scalar 7");
}

TEST_CASE("promql operator precedence and associativity follow Prometheus", "[promql][parse]") {
  CHECK(scalar_of("1 + 2 * 3") == "scalar 7");
  CHECK(scalar_of("(1 + 2) * 3") == "scalar 9");
  CHECK(scalar_of("2 ^ 3 ^ 2") == "scalar 512");  // right-associative
  CHECK(scalar_of("-2 ^ 2") == "scalar -4");      // unary minus binds looser than ^
  CHECK(scalar_of("2 * -3") == "scalar -6");
  CHECK(scalar_of("10 - 4 - 3") == "scalar 3");  // left-associative
  CHECK(scalar_of("7 % 4 * 2") == "scalar 6");
  CHECK(scalar_of("1 + 2 > bool 2") == "scalar 1");  // comparison below arithmetic
  CHECK(scalar_of("2 ^ -1") == "scalar 0.5");
}

TEST_CASE("promql durations: units, combinations and offsets", "[promql][parse]") {
  MemorySource src;
  src.add(labels("m", {}), every(0s, 1min, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  CHECK(eval(src, "count_over_time(m[1m30s])", at(9min)) == "{} 2");
  CHECK(eval(src, "count_over_time(m[90000ms])", at(9min)) == "{} 2");
  CHECK(eval(src, "m offset 1h1m", at(1h + 9min)) == "m{} 9");
  CHECK(error_of("m[1.5m]") == "bad number or duration syntax '1.5m' at 2");
  CHECK(error_of("m[5m1h]") == "bad duration '5m1h' at 2");
  CHECK(error_of("5m") ==
        "unexpected duration '5m'; durations belong in [..] or after offset at 0");
}

TEST_CASE("promql strings: Go escapes in double, single and back quotes", "[promql][parse]") {
  MemorySource src;
  src.add(labels("m", {{"p", "a\"b\\c\nd"}}), every(0s, 1min, {1}));
  src.add(labels("m", {{"p", "x"}}), every(0s, 1min, {2}));
  CHECK(eval(src, R"(m{p="a\"b\\c\nd"})", at(0s)) == "m{p=\"a\\\"b\\\\c\\nd\"} 1");
  CHECK(eval(src, R"(m{p='x'})", at(0s)) == "m{p=\"x\"} 2");
  CHECK(eval(src, R"(m{p=`x`})", at(0s)) == "m{p=\"x\"} 2");
  CHECK(eval(src, R"(m{p="\x78"})", at(0s)) == "m{p=\"x\"} 2");
  CHECK(eval(src, R"(m{p="\u0078"})", at(0s)) == "m{p=\"x\"} 2");
  CHECK(error_of(R"(m{p="x)") == "unterminated quoted string at 4");
  CHECK(error_of(R"(m{p="\q"})") == "unknown escape sequence '\\q' at 5");
}

TEST_CASE("promql rejects constructs outside the subset, naming them and the offset",
          "[promql][parse]") {
  CHECK(error_of("predict_linear(m[1h], 3600)") == "unsupported function 'predict_linear' at 0");
  CHECK(error_of("1 + holt_winters(m[1h], 0.5, 0.5)") ==
        "unsupported function 'holt_winters' at 4");
  CHECK(error_of("frobnicate(m)") == "unknown function 'frobnicate' at 0");
  CHECK(error_of("count_values(\"v\", m)") == "unsupported aggregation 'count_values' at 0");
  CHECK(error_of("rate(m[5m:1m])") == "unsupported subquery at 9");
  CHECK(error_of("m @ 100") == "unsupported '@' modifier at 2");
  CHECK(error_of("a atan2 b") == "unsupported operator 'atan2' at 2");
  CHECK(error_of("sort(m)") == "unsupported function 'sort' at 0");
}

TEST_CASE("promql type checks are parse errors with offsets", "[promql][parse]") {
  CHECK(error_of("rate(m)") ==
        "expected type range vector in call to function 'rate', got instant vector at 5");
  CHECK(error_of("abs(m[5m])") ==
        "expected type instant vector in call to function 'abs', got range vector at 4");
  CHECK(error_of("m[5m]") ==
        "a range vector is not allowed at top level; expected an instant vector or a scalar at 0");
  CHECK(error_of("\"s\"") ==
        "a string is not allowed at top level; expected an instant vector or a scalar at 0");
  CHECK(error_of("1 > 2") == "comparisons between scalars must use BOOL modifier at 2");
  CHECK(error_of("1 and m") == "set operator 'and' not allowed in binary scalar expression at 2");
  CHECK(error_of("m + bool n") == "bool modifier can only be used on comparison operators at 4");
  CHECK(error_of("1 + on(a) m") == "vector matching only allowed between instant vectors at 2");
  CHECK(error_of("a and on(x) group_left b") == "no grouping allowed for 'and' operation at 12");
  CHECK(error_of("sum(1)") ==
        "expected type instant vector in aggregation expression, got scalar at 4");
  CHECK(error_of("(m)[5m]") == "ranges only allowed for vector selectors at 3");
  CHECK(error_of("clamp_min(m)") == "expected 2 argument(s) in call to 'clamp_min', got 1 at 0");
  CHECK(error_of("round(m, 1, 2)") == "expected 1 to 2 argument(s) in call to 'round', got 3 at 0");
  CHECK(error_of("sum by (a) (m) by (b)") ==
        "aggregation may have only one by/without clause at 15");
}

TEST_CASE("promql selector syntax errors", "[promql][parse]") {
  CHECK(error_of("{}") == "vector selector must contain at least one non-empty matcher at 0");
  CHECK(error_of("{a=~\".*\"}") ==
        "vector selector must contain at least one non-empty matcher at 0");
  CHECK(error_of("m{__name__=\"n\"}") == "metric name must not be set twice at 2");
  CHECK(error_of("m{a=\"1\" b=\"2\"}") ==
        "unexpected 'b' in label matching; expected ',' or '}' at 8");
  CHECK(error_of("m{a=~\"(\"}").rfind("invalid regular expression \"(\" for label 'a'", 0) == 0);
  CHECK(error_of("m{a==\"1\"}") ==
        "unexpected '==' in label matching; expected =, !=, =~ or !~ at 3");
  CHECK(error_of("m)") == "unexpected ')' at 1");
  CHECK(error_of("sum(") == "unexpected end of input; expected an expression at 4");
  CHECK(error_of("m offset 5m offset 1m") == "offset may not be set multiple times at 12");
  CHECK(error_of("m offset 5m [1m]") == "no offset modifiers allowed before range at 12");
  CHECK(error_of("m!") == "unexpected character '!' at 1");
  CHECK(error_of("by") == "unexpected keyword 'by'; expected an expression at 0");
  CHECK(error_of(std::string(300, '(') + "1" + std::string(300, ')'))
            .find("nested deeper than 200") != std::string::npos);
  CHECK(error_of("{a=\"1\",}") == "parsed");  // a trailing comma is allowed
  CHECK(error_of("sum by (a,) (m)") == "parsed");
}

TEST_CASE("promql Expr reports its type, text and selectors", "[promql][parse]") {
  auto e = parse("sum(rate(a{x=\"1\"}[5m])) / on() group_left b + 1");
  REQUIRE(e);
  CHECK(e->type() == ValueType::kVector);
  CHECK(e->text() == "sum(rate(a{x=\"1\"}[5m])) / on() group_left b + 1");
  auto sel = e->selectors();
  REQUIRE(sel.size() == 2);
  REQUIRE(sel[0].size() == 2);
  CHECK(sel[0][0].name == "__name__");
  CHECK(sel[0][0].value == "a");
  CHECK(sel[0][1].name == "x");
  CHECK(sel[1][0].value == "b");
  auto s = parse("scalar(a) * 2");
  REQUIRE(s);
  CHECK(s->type() == ValueType::kScalar);
}
