// Strict JSON with positions: the incident and state files' reader.
#include <catch2/catch.hpp>

#include "config/json_reader.hpp"

namespace config = selfheal::config;

namespace {

std::string problems(const std::string& text) {
  selfheal::core::Diagnostics d;
  auto doc = config::parse_json(text, "in.json", d);
  return doc ? std::string{} : d.describe();
}

}  // namespace

TEST_CASE("parse_json keeps the position of every value", "[config][json]") {
  selfheal::core::Diagnostics d;
  auto doc =
      config::parse_json("{\n  \"a\": 1,\n  \"b\": {\"c\": [true, \"x\"]}\n}\n", "f.json", d);
  REQUIRE(doc);
  CHECK(doc->root["b"]["c"][1] == "x");
  CHECK(doc->where.at("") == std::pair{1, 1});
  CHECK(doc->where.at("a") == std::pair{2, 3});
  CHECK(doc->where.at("b") == std::pair{3, 3});
  CHECK(doc->where.at("b.c") == std::pair{3, 9});
  CHECK(doc->where.at("b.c[1]") == std::pair{3, 21});
}

TEST_CASE("a duplicate key is refused with its line and the first one's", "[config][json]") {
  CHECK(problems("{\n  \"service\": \"a\",\n  \"service\": \"b\"\n}") ==
        "in.json:3:3: service: duplicate key \"service\" (first given at line 2)\n");
  // The same key in two different objects is fine.
  CHECK(problems("{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}}").empty());
}

TEST_CASE("an overflowing number names its field instead of aborting", "[config][json]") {
  CHECK(problems("{\"confidence\": 1e400}") ==
        "in.json:1:16: confidence: the number 1e400 is out of range (larger than any double)\n");
  CHECK(problems("{\"s\": {\"x\": [1, -1e999]}}").find("s.x[1]: the number -1e999") !=
        std::string::npos);
}

TEST_CASE("syntax errors and invalid UTF-8 are reported with line and column", "[config][json]") {
  CHECK(problems("{\n  \"a\": tru\n}").find("in.json:2:") == 0);
  CHECK(problems("{\n  \"a\": tru\n}").find("malformed JSON: syntax error") != std::string::npos);
  CHECK(problems("{\"a\": \"\xff\"}").find("malformed JSON") != std::string::npos);
  CHECK(problems("{} x").find("malformed JSON") != std::string::npos);
}

TEST_CASE("JsonReader reads typed fields in the unified words", "[config][json]") {
  selfheal::core::Diagnostics d;
  auto doc = config::parse_json(
      "{\n \"name\": 3,\n \"n\": 1.5,\n \"flag\": \"yes\",\n \"conf\": \"0.9\",\n"
      " \"nme\": \"x\",\n \"count\": 2.5\n}",
      "f.json", d);
  REQUIRE(doc);
  config::JsonReader r(*doc, d);
  const auto& j = doc->root;
  r.check_keys(j, "", {"name", "n", "flag", "conf", "count", "missing"});
  CHECK_FALSE(r.str(j, "", "name", config::kRequired));
  CHECK_FALSE(r.num(j, "", "n", config::kRequired, 0, 1));
  CHECK_FALSE(r.boolean(j, "", "flag"));
  CHECK_FALSE(r.num(j, "", "conf", config::kRequired, 0, 1));
  CHECK_FALSE(r.str(j, "", "missing", config::kRequired));
  CHECK_FALSE(r.integer(j, "", "count", config::kOptional, 0, 10));
  const std::string all = d.describe();
  CHECK(all.find("f.json:6:2: nme: unknown key \"nme\"; did you mean \"name\"?") !=
        std::string::npos);
  CHECK(all.find("f.json:2:2: name: expected a string, got the number 3") != std::string::npos);
  CHECK(all.find("f.json:3:2: n: must be between 0 and 1, got 1.5") != std::string::npos);
  CHECK(all.find("f.json:4:2: flag: expected true or false, got a string \"yes\"") !=
        std::string::npos);
  CHECK(all.find("f.json:5:2: conf: expected a number, got a string \"0.9\"") != std::string::npos);
  // A missing member is located at its object.
  CHECK(all.find("f.json:1:1: missing: missing: a string is required") != std::string::npos);
  CHECK(all.find("count: expected a whole number, got the number 2.5") != std::string::npos);
}

namespace json_reader_test {

TEST_CASE("nesting deeper than kMaxJsonDepth is refused at the level past it", "[config][json]") {
  // Each level kept its field path ("[0][0]..."): 100,000 nested lists (200 KB) held
  // gigabytes and `selfheal decide --incident` ran for minutes.
  const std::size_t deep = 100000;
  CHECK(problems(std::string(deep, '[') + std::string(deep, ']')) ==
        "in.json:1:129: nested deeper than 128 levels (no input of selfheal nests so deep)\n");
  const std::size_t ok = config::kMaxJsonDepth;
  CHECK(problems(std::string(ok, '[') + std::string(ok, ']')).empty());
}

TEST_CASE("positions stay right across a long document, and after an error's", "[config][json]") {
  // Positions are counted on from the previous value's (from the start, a 1 MB list took
  // hours). The last element's line and column, and a syntax error after them.
  std::string text = "{\"a\": [";
  const int n = 200000;
  for (int i = 0; i < n; ++i)
    text += i % 10 == 9 ? "1,\n" : "1, ";
  text += "2],\n \"b\": true}";
  selfheal::core::Diagnostics d;
  const auto doc = config::parse_json(text, "in.json", d);
  REQUIRE(doc);
  CHECK(doc->where.at("a[200000]") == std::pair<int, int>{n / 10 + 1, 1});
  CHECK(doc->where.at("b") == std::pair<int, int>{n / 10 + 2, 2});
  CHECK(problems(text + "x") == "in.json:" + std::to_string(n / 10 + 2) +
                                    ":12: malformed JSON: syntax error while parsing value - "
                                    "invalid literal; last read: '\"b\": true}x'; expected end "
                                    "of input\n");
}

}  // namespace json_reader_test
