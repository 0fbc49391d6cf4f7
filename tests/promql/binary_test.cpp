// Binary operators: arithmetic and comparison between scalars and vectors, bool, the set
// operators, and vector matching with on/ignoring/group_left/group_right.
#include <catch2/catch.hpp>

#include "tests/promql/fixture.hpp"

using namespace selfheal::promql;
using namespace selfheal::promql::test;

namespace {

MemorySource fixture() {
  MemorySource src;
  auto one = [&](Labels l, double v) { src.add(std::move(l), {{at(0s), v}}); };
  one(labels("errors", {{"svc", "api"}, {"code", "500"}}), 6);
  one(labels("errors", {{"svc", "api"}, {"code", "503"}}), 2);
  one(labels("errors", {{"svc", "db"}, {"code", "500"}}), 1);
  one(labels("total", {{"svc", "api"}}), 100);
  one(labels("total", {{"svc", "db"}}), 10);
  one(labels("info", {{"svc", "api"}, {"team", "web"}}), 1);
  one(labels("info", {{"svc", "db"}, {"team", "data"}}), 1);
  one(labels("a", {{"x", "1"}}), 3);
  one(labels("a", {{"x", "2"}}), 4);
  one(labels("b", {{"x", "1"}}), 3);
  one(labels("b", {{"x", "3"}}), 9);
  return src;
}

}  // namespace

TEST_CASE("promql vector-scalar arithmetic drops the name, comparisons filter",
          "[promql][binary]") {
  auto src = fixture();
  const auto t = at(0s);
  CHECK(eval(src, "a * 2", t) == "{x=\"1\"} 6 | {x=\"2\"} 8");
  CHECK(eval(src, "10 - a", t) == "{x=\"1\"} 7 | {x=\"2\"} 6");
  CHECK(eval(src, "a > 3", t) == "a{x=\"2\"} 4");
  CHECK(eval(src, "3 < a", t) == "a{x=\"2\"} 4");  // keeps the vector's value
  CHECK(eval(src, "a > bool 3", t) == "{x=\"1\"} 0 | {x=\"2\"} 1");
  CHECK(eval(src, "a == 3", t) == "a{x=\"1\"} 3");
  CHECK(eval(src, "a % 2", t) == "{x=\"1\"} 1 | {x=\"2\"} 0");
  CHECK(eval(src, "a ^ 2", t) == "{x=\"1\"} 9 | {x=\"2\"} 16");
  CHECK(eval(src, "a / 0", t) == "{x=\"1\"} +Inf | {x=\"2\"} +Inf");
  CHECK(eval(src, "-a", t) == "{x=\"1\"} -3 | {x=\"2\"} -4");
}

TEST_CASE("promql one-to-one matching on all labels but the name", "[promql][binary]") {
  auto src = fixture();
  const auto t = at(0s);
  CHECK(eval(src, "a + b", t) == "{x=\"1\"} 6");
  CHECK(eval(src, "a == b", t) == "a{x=\"1\"} 3");
  CHECK(eval(src, "a != bool b", t) == "{x=\"1\"} 0");
  CHECK(eval(src, "sum by (svc) (errors) / on(svc) total", t) ==
        "{svc=\"api\"} 0.08 | {svc=\"db\"} 0.1");
  CHECK(eval(src, "sum by (svc) (errors) > bool on(svc) total", t) ==
        "{svc=\"api\"} 0 | {svc=\"db\"} 0");
  CHECK(eval(src, "errors{code=\"500\"} / ignoring(code) total", t) ==
        "{svc=\"api\"} 0.06 | {svc=\"db\"} 0.1");
}

TEST_CASE("promql group_left and group_right copy labels from the one side", "[promql][binary]") {
  auto src = fixture();
  const auto t = at(0s);
  CHECK(eval(src, "errors / on(svc) group_left total", t) ==
        "{code=\"500\", svc=\"api\"} 0.06 | {code=\"500\", svc=\"db\"} 0.1 | {code=\"503\", "
        "svc=\"api\"} 0.02");
  CHECK(
      eval(src, "errors * on(svc) group_left(team) info", t) ==
      "{code=\"500\", svc=\"api\", team=\"web\"} 6 | {code=\"500\", svc=\"db\", team=\"data\"} 1 | "
      "{code=\"503\", svc=\"api\", team=\"web\"} 2");
  CHECK(
      eval(src, "info * on(svc) group_right(team) errors", t) ==
      "{code=\"500\", svc=\"api\", team=\"web\"} 6 | {code=\"500\", svc=\"db\", team=\"data\"} 1 | "
      "{code=\"503\", svc=\"api\", team=\"web\"} 2");
}

TEST_CASE("promql matching errors Prometheus raises", "[promql][binary]") {
  auto src = fixture();
  const auto t = at(0s);
  CHECK(eval(src, "errors / on(svc) total", t) ==
        "error: multiple matches for labels: many-to-one matching must be explicit "
        "(group_left/group_right)");
  CHECK(eval(src, "total / on(svc) errors", t)
            .rfind("error: found duplicate series for the match group", 0) == 0);
  CHECK(eval(src, "{__name__=~\"a|b\"} * 1", t) ==
        "error: vector cannot contain metrics with the same labelset");
  // a{x="1"} and b{x="1"} both match a{x="1"} and, their names dropped, give {x="1"} twice.
  CHECK(eval(src, "{__name__=~\"a|b\"} * on(x) group_left a", t) ==
        "error: multiple matches for labels: grouping labels must ensure unique matches");
}

TEST_CASE("promql and, or, unless", "[promql][binary]") {
  auto src = fixture();
  const auto t = at(0s);
  CHECK(eval(src, "a and b", t) == "a{x=\"1\"} 3");
  CHECK(eval(src, "a or b", t) == "a{x=\"1\"} 3 | a{x=\"2\"} 4 | b{x=\"3\"} 9");
  CHECK(eval(src, "a unless b", t) == "a{x=\"2\"} 4");
  CHECK(eval(src, "a and on() b", t) == "a{x=\"1\"} 3 | a{x=\"2\"} 4");
  CHECK(eval(src, "a unless ignoring(x) b", t) == "");
  CHECK(eval(src, "a > 3 or a < 3.5", t) == "a{x=\"1\"} 3 | a{x=\"2\"} 4");
  CHECK(eval(src, "a or b and a", t) ==
        "a{x=\"1\"} 3 | a{x=\"2\"} 4");  // and binds tighter: a or (b and a)
}
