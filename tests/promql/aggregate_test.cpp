// Aggregations with by/without: which labels survive, and each operator's arithmetic.
#include <catch2/catch.hpp>

#include "tests/promql/fixture.hpp"

using namespace selfheal::promql;
using namespace selfheal::promql::test;

namespace {

MemorySource requests() {
  MemorySource src;
  auto one = [&](std::string svc, std::string code, std::string pod, double v) {
    src.add(labels("req", {{"service", svc}, {"code", code}, {"pod", pod}}), {{at(0s), v}});
  };
  one("api", "200", "a1", 10);
  one("api", "500", "a1", 2);
  one("api", "200", "a2", 30);
  one("db", "200", "d1", 5);
  return src;
}

}  // namespace

TEST_CASE("promql sum, count, avg, min, max by and without", "[promql][aggregate]") {
  auto src = requests();
  const auto t = at(0s);
  CHECK(eval(src, "sum(req)", t) == "{} 47");
  CHECK(eval(src, "sum by (service) (req)", t) == "{service=\"api\"} 42 | {service=\"db\"} 5");
  CHECK(eval(src, "sum(req) by (service)", t) == "{service=\"api\"} 42 | {service=\"db\"} 5");
  CHECK(eval(src, "sum without (pod, code) (req)", t) ==
        "{service=\"api\"} 42 | {service=\"db\"} 5");
  CHECK(eval(src, "count by (code) (req)", t) == "{code=\"200\"} 3 | {code=\"500\"} 1");
  CHECK(eval(src, "avg by (service) (req)", t) == "{service=\"api\"} 14 | {service=\"db\"} 5");
  CHECK(eval(src, "min by (service) (req)", t) == "{service=\"api\"} 2 | {service=\"db\"} 5");
  CHECK(eval(src, "max by (service) (req)", t) == "{service=\"api\"} 30 | {service=\"db\"} 5");
  CHECK(eval(src, "sum by (nope) (req)", t) == "{} 47");
  CHECK(eval(src, "sum by (__name__) (req)", t) == "req{} 47");
  CHECK(eval(src, "group by (service) (req)", t) == "{service=\"api\"} 1 | {service=\"db\"} 1");
  CHECK(eval(src, "stddev(req{service=\"api\"})", t) == "{} " + num(std::sqrt(416.0 / 3)));
  CHECK(eval(src, "stdvar(req{service=\"api\"})", t) == "{} " + num(416.0 / 3));
  CHECK(eval(src, "sum(nothing)", t) == "");
}

TEST_CASE("promql topk and bottomk keep whole series, per group", "[promql][aggregate]") {
  auto src = requests();
  const auto t = at(0s);
  CHECK(eval(src, "topk(1, req)", t) == "req{code=\"200\", pod=\"a2\", service=\"api\"} 30");
  CHECK(eval(src, "bottomk(2, req)", t) ==
        "req{code=\"200\", pod=\"d1\", service=\"db\"} 5 | req{code=\"500\", pod=\"a1\", "
        "service=\"api\"} 2");
  CHECK(eval(src, "topk by (service) (1, req)", t) ==
        "req{code=\"200\", pod=\"a2\", service=\"api\"} 30 | req{code=\"200\", pod=\"d1\", "
        "service=\"db\"} 5");
  CHECK(eval(src, "topk(0, req)", t) == "");
  CHECK(eval(src, "count(topk(10, req))", t) == "{} 4");
}

TEST_CASE("promql quantile interpolates between ranks", "[promql][aggregate]") {
  auto src = requests();  // values 2, 5, 10, 30
  const auto t = at(0s);
  CHECK(eval(src, "quantile(0.5, req)", t) == "{} 7.5");  // rank 1.5: 5 + 0.5 * 5
  CHECK(eval(src, "quantile(0, req)", t) == "{} 2");
  CHECK(eval(src, "quantile(1, req)", t) == "{} 30");
  CHECK(eval(src, "quantile(0.9, req)", t) == "{} " + num(10 + 0.7 * 20));
  CHECK(eval(src, "quantile(2, req)", t) == "{} +Inf");
  CHECK(eval(src, "quantile(-1, req)", t) == "{} -Inf");
}

TEST_CASE("promql max and min replace a NaN, sum and avg propagate it", "[promql][aggregate]") {
  MemorySource src;
  src.add(labels("g", {{"i", "a"}}), {{at(0s), std::nan("")}});  // first in label order
  src.add(labels("g", {{"i", "b"}}), {{at(0s), 3}});
  src.add(labels("g", {{"i", "c"}}), {{at(0s), 1}});
  const auto t = at(0s);
  CHECK(eval(src, "max(g)", t) == "{} 3");
  CHECK(eval(src, "min(g)", t) == "{} 1");
  CHECK(eval(src, "sum(g)", t) == "{} NaN");
  CHECK(eval(src, "avg(g)", t) == "{} NaN");
  CHECK(eval(src, "max_over_time(g[1m])", t) == "{i=\"a\"} NaN | {i=\"b\"} 3 | {i=\"c\"} 1");
}
