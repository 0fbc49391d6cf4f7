// Instant selectors: the four matcher kinds (regexes anchored), the 5-minute lookback with
// both ends inclusive, offset (also negative), and a custom lookback.
#include <catch2/catch.hpp>

#include "tests/promql/fixture.hpp"

using namespace selfheal::promql;
using namespace selfheal::promql::test;

namespace {

MemorySource pods() {
  MemorySource src;
  src.add(labels("up", {{"pod", "api-1"}, {"ns", "prod"}}), every(0s, 1min, {1, 1, 1}));
  src.add(labels("up", {{"pod", "api-2"}, {"ns", "prod"}}), every(0s, 1min, {0, 0, 0}));
  src.add(labels("up", {{"pod", "db-1"}, {"ns", "staging"}}), every(0s, 1min, {1, 1, 1}));
  src.add(labels("up", {{"pod", "Api-3"}}), every(0s, 1min, {2, 2, 2}));
  src.add(labels("other", {{"pod", "api-1"}}), every(0s, 1min, {5, 5, 5}));
  return src;
}

}  // namespace

TEST_CASE("promql label matchers: =, !=, =~, !~ with anchored regexes", "[promql][selector]") {
  auto src = pods();
  const auto t = at(2min);
  CHECK(eval(src, "up{pod=\"api-1\"}", t) == "up{ns=\"prod\", pod=\"api-1\"} 1");
  CHECK(eval(src, "up{ns!=\"prod\"}", t) ==
        "up{ns=\"staging\", pod=\"db-1\"} 1 | up{pod=\"Api-3\"} 2");
  CHECK(eval(src, "up{pod=~\"api-.\"}", t) ==
        "up{ns=\"prod\", pod=\"api-1\"} 1 | up{ns=\"prod\", pod=\"api-2\"} 0");
  CHECK(eval(src, "up{pod=~\"api\"}", t) == "");  // anchored: no partial match
  CHECK(eval(src, "up{pod=~\"(?i)api-.*\"}", t).find("Api-3") != std::string::npos);
  CHECK(eval(src, "up{pod!~\"api-.*|db-.*\"}", t) == "up{pod=\"Api-3\"} 2");
  CHECK(eval(src, "up{ns=\"\"}", t) == "up{pod=\"Api-3\"} 2");  // a missing label matches ""
  CHECK(eval(src, "{__name__=~\"up|other\", pod=\"api-1\"}", t) ==
        "other{pod=\"api-1\"} 5 | up{ns=\"prod\", pod=\"api-1\"} 1");
}

TEST_CASE("promql regexes are RE2's: Go's syntax, and no pattern backtracks",
          "[promql][selector]") {
  MemorySource src;
  const std::string many_a(4000, 'a');
  src.add(labels("up", {{"pod", many_a + "c"}}), every(0s, 1min, {1}));
  src.add(labels("up", {{"pod", "Api-9"}}), every(0s, 1min, {2}));
  const auto t = at(0s);
  // A backtracking engine takes exponential time here; RE2 answers in linear time.
  CHECK(eval(src, "up{pod=~\"(a*)*b\"}", t) == "");
  CHECK(eval(src, "up{pod=~\"(a|aa)*c\"}", t) == "up{pod=\"" + many_a + "c\"} 1");
  // What Go's regexp rejects is an error at parse time, naming the pattern and the label.
  CHECK(eval(src, "up{pod=~\"api|w**eb\"}", t)
            .rfind("parse error: invalid regular expression \"api|w**eb\" for label 'pod'", 0) ==
        0);
  CHECK(eval(src, "up{pod=~\"a(?=b)\"}", t).rfind("parse error: invalid regular expression", 0) ==
        0);  // look-ahead
  // Flags anywhere in the pattern, and Unicode classes, as in Go.
  CHECK(eval(src, "up{pod=~\"A(?i)pi-\\\\pN\"}", t) == "up{pod=\"Api-9\"} 2");
}

TEST_CASE("promql lookback: the latest sample within 5 minutes, both ends inclusive",
          "[promql][selector]") {
  MemorySource src;
  src.add(labels("m", {}), {{at(0s), 1}, {at(1min), 2}});
  CHECK(eval(src, "m", at(30s)) == "m{} 1");
  CHECK(eval(src, "m", at(1min)) == "m{} 2");
  CHECK(eval(src, "m", at(6min)) == "m{} 2");   // exactly 5 m old: still there
  CHECK(eval(src, "m", at(6min + 1ms)) == "");  // older: gone
  CHECK(eval(src, "m", at(-1ms)) == "");        // nothing yet
  auto e = parse("m");
  REQUIRE(e);
  EvalOptions one_minute;
  one_minute.lookback = 1min;
  CHECK(render(evaluate(*e, src, at(2min), one_minute)) == "m{} 2");
  CHECK(render(evaluate(*e, src, at(2min + 1ms), one_minute)) == "");
}

TEST_CASE("promql offset shifts the evaluation time of one selector", "[promql][selector]") {
  MemorySource src;
  src.add(labels("m", {}), every(0s, 1min, {10, 20, 30, 40}));
  CHECK(eval(src, "m offset 2m", at(3min)) == "m{} 20");
  CHECK(eval(src, "m - m offset 1m", at(3min)) == "{} 10");
  CHECK(eval(src, "m offset -1m", at(1min)) == "m{} 30");
  CHECK(eval(src, "sum_over_time(m[1m] offset 1m)", at(3min)) == "{} 50");
}

TEST_CASE("promql MemorySource visits in label order, with or without a name matcher",
          "[promql][selector]") {
  MemorySource src;
  src.add(labels("m", {{"i", "c"}}), {{at(0s), 3}});
  src.add(labels("n", {{"i", "a"}}), {{at(0s), 9}});
  src.add(labels("m", {{"i", "a"}}), {{at(0s), 1}});
  src.add(labels("m", {{"i", "b"}}), {{at(0s), 2}});
  src.add(labels("m", {{"i", "a"}}), {{at(1s), 4}});  // appends to the existing series
  CHECK(src.series_count() == 4);
  auto visited = [&](std::vector<Matcher> ms) {
    std::string out;
    src.select(ms, at(0s), at(1s), [&](const Labels& l, std::span<const Sample> s) {
      out += format_labels(l) + "#" + std::to_string(s.size()) + " ";
    });
    return out;
  };
  CHECK(visited({{"__name__", Matcher::Op::kEq, "m"}}) ==
        "m{i=\"a\"}#2 m{i=\"b\"}#1 m{i=\"c\"}#1 ");
  CHECK(visited({{"i", Matcher::Op::kEq, "a"}}) == "m{i=\"a\"}#2 n{i=\"a\"}#1 ");
  CHECK(visited({{"__name__", Matcher::Op::kRe, "m|n"}, {"i", Matcher::Op::kNre, "b|c"}}) ==
        "m{i=\"a\"}#2 n{i=\"a\"}#1 ");
  CHECK(visited({{"__name__", Matcher::Op::kEq, "none"}}).empty());
}

TEST_CASE("promql compile(): a hand-built regex matcher is compiled once, errors name it",
          "[promql][selector]") {
  Matcher eq{"pod", Matcher::Op::kEq, "api-1"};
  std::string err;
  CHECK(compile(eq, &err));
  CHECK(eq.re == nullptr);  // = and != need no pattern

  Matcher re{"pod", Matcher::Op::kRe, "api-.|web"};
  REQUIRE(compile(re, &err));
  REQUIRE(re.re != nullptr);
  const Matcher copy = re;
  CHECK(copy.re == re.re);  // copies share the compiled pattern
  CHECK(matches(re, "api-2"));
  CHECK_FALSE(matches(re, "xapi-2"));  // anchored at both ends
  Matcher nre{"pod", Matcher::Op::kNre, "api-.|web"};
  REQUIRE(compile(nre, &err));
  CHECK_FALSE(matches(nre, "web"));
  CHECK(matches(nre, ""));

  Matcher bad{"pod", Matcher::Op::kRe, "w**"};
  CHECK_FALSE(compile(bad, &err));
  CHECK(bad.re == nullptr);
  CHECK(err.rfind("invalid regular expression \"w**\" for label 'pod': ", 0) == 0);
  CHECK_FALSE(matches(bad, "w"));  // an invalid pattern matches nothing
}

TEST_CASE("promql parse() compiles its selectors' regex matchers", "[promql][selector]") {
  auto e = parse("up{pod=~\"api-.\", ns!~\"dev\", job=\"x\"}");
  REQUIRE(e);
  const auto sels = e->selectors();
  REQUIRE(sels.size() == 1);
  for (const Matcher& m : sels[0]) {
    const bool regex = m.op == Matcher::Op::kRe || m.op == Matcher::Op::kNre;
    CHECK((m.re != nullptr) == regex);
  }
}
