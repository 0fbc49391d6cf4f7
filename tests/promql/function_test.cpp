// The instant-vector and scalar functions, histogram_quantile and label_replace.
#include <catch2/catch.hpp>

#include "tests/promql/fixture.hpp"

using namespace selfheal::promql;
using namespace selfheal::promql::test;

namespace {

MemorySource values() {
  MemorySource src;
  src.add(labels("v", {{"k", "neg"}}), {{at(0s), -2.5}});
  src.add(labels("v", {{"k", "pos"}}), {{at(0s), 4}});
  return src;
}

MemorySource histogram(std::vector<std::pair<std::string, double>> buckets) {
  MemorySource src;
  for (const auto& [le, count] : buckets)
    src.add(labels("lat_bucket", {{"svc", "api"}, {"le", le}}), {{at(0s), count}});
  return src;
}

}  // namespace

TEST_CASE("promql math functions drop the metric name", "[promql][function]") {
  auto src = values();
  const auto t = at(0s);
  CHECK(eval(src, "abs(v)", t) == "{k=\"neg\"} 2.5 | {k=\"pos\"} 4");
  CHECK(eval(src, "ceil(v)", t) == "{k=\"neg\"} -2 | {k=\"pos\"} 4");
  CHECK(eval(src, "floor(v)", t) == "{k=\"neg\"} -3 | {k=\"pos\"} 4");
  CHECK(eval(src, "round(v)", t) == "{k=\"neg\"} -2 | {k=\"pos\"} 4");  // half rounds up
  CHECK(eval(src, "round(v, 3)", t) == "{k=\"neg\"} -3 | {k=\"pos\"} 3");
  CHECK(eval(src, "sqrt(v{k=\"pos\"})", t) == "{k=\"pos\"} 2");
  CHECK(eval(src, "sqrt(v{k=\"neg\"})", t) == "{k=\"neg\"} NaN");
  CHECK(eval(src, "exp(v{k=\"pos\"})", t) == "{k=\"pos\"} " + num(std::exp(4.0)));
  CHECK(eval(src, "ln(v{k=\"pos\"})", t) == "{k=\"pos\"} " + num(std::log(4.0)));
  CHECK(eval(src, "log2(v{k=\"pos\"})", t) == "{k=\"pos\"} 2");
}

TEST_CASE("promql clamp, clamp_min, clamp_max", "[promql][function]") {
  auto src = values();
  const auto t = at(0s);
  CHECK(eval(src, "clamp(v, -1, 1)", t) == "{k=\"neg\"} -1 | {k=\"pos\"} 1");
  CHECK(eval(src, "clamp(v, 1, -1)", t) == "");  // max < min: nothing
  CHECK(eval(src, "clamp_min(v, 0)", t) == "{k=\"neg\"} 0 | {k=\"pos\"} 4");
  CHECK(eval(src, "clamp_max(v, 0)", t) == "{k=\"neg\"} -2.5 | {k=\"pos\"} 0");
  CHECK(eval(src, "clamp_max(v, NaN)", t) == "{k=\"neg\"} NaN | {k=\"pos\"} NaN");
}

TEST_CASE("promql absent and absent_over_time take labels from equality matchers",
          "[promql][function]") {
  auto src = values();
  const auto t = at(0s);
  CHECK(eval(src, "absent(v)", t) == "");
  CHECK(eval(src, "absent(nope{job=\"x\", env=~\"p.*\"})", t) == "{job=\"x\"} 1");
  CHECK(eval(src, "absent(nope{job=\"x\", job=\"y\"})", t) == "{} 1");
  CHECK(eval(src, "absent(sum(nope))", t) == "{} 1");
  CHECK(eval(src, "absent_over_time(v[1m])", at(30s)) == "");
  CHECK(eval(src, "absent_over_time(v{k=\"pos\"}[1m])", at(2min)) == "{k=\"pos\"} 1");
}

TEST_CASE("promql time, vector and scalar", "[promql][function]") {
  auto src = values();
  const auto t = at(0s);
  CHECK(eval(src, "time()", t) == "scalar 1700000000");
  CHECK(eval(src, "vector(time() - 1700000000)", at(90s)) == "{} 90");
  CHECK(eval(src, "scalar(v{k=\"pos\"}) * 2", t) == "scalar 8");
  CHECK(eval(src, "scalar(v)", t) == "scalar NaN");  // more than one element
  CHECK(eval(src, "v > scalar(v{k=\"neg\"})", t) == "v{k=\"pos\"} 4");
}

TEST_CASE("promql histogram_quantile interpolates inside the bucket holding the rank",
          "[promql][function]") {
  const auto t = at(0s);
  auto h = histogram({{"0.1", 10}, {"0.5", 30}, {"1", 40}, {"+Inf", 40}});
  CHECK(eval(h, "histogram_quantile(0.5, lat_bucket)", t) ==
        "{svc=\"api\"} 0.3");  // 0.1 + 0.4 * 10/20
  CHECK(eval(h, "histogram_quantile(0.99, lat_bucket)", t) ==
        "{svc=\"api\"} " + num(0.5 + 0.5 * 0.96));
  CHECK(eval(h, "histogram_quantile(0.05, lat_bucket)", t) ==
        "{svc=\"api\"} 0.02");  // first bucket from 0: 0.1 * 2/10
  CHECK(eval(h, "histogram_quantile(1.5, lat_bucket)", t) == "{svc=\"api\"} +Inf");
  auto in_inf = histogram({{"1", 10}, {"2", 20}, {"+Inf", 40}});
  CHECK(eval(in_inf, "histogram_quantile(0.9, lat_bucket)", t) ==
        "{svc=\"api\"} 2");  // rank in +Inf: top finite bound
  auto no_inf = histogram({{"1", 10}, {"2", 20}});
  CHECK(eval(no_inf, "histogram_quantile(0.5, lat_bucket)", t) == "{svc=\"api\"} NaN");
  auto empty = histogram({{"1", 0}, {"+Inf", 0}});
  CHECK(eval(empty, "histogram_quantile(0.5, lat_bucket)", t) == "{svc=\"api\"} NaN");
  auto non_monotonic = histogram({{"1", 10}, {"2", 8}, {"+Inf", 10}});  // 8 counts as 10
  CHECK(eval(non_monotonic, "histogram_quantile(0.5, lat_bucket)", t) == "{svc=\"api\"} 0.5");
  auto negative = histogram({{"-1", 5}, {"1", 10}, {"+Inf", 10}});
  CHECK(eval(negative, "histogram_quantile(0.2, lat_bucket)", t) == "{svc=\"api\"} -1");
}

TEST_CASE("promql label_replace with Go-style $ expansion", "[promql][function]") {
  MemorySource src;
  src.add(labels("up", {{"pod", "api-7f9c"}}), {{at(0s), 1}});
  const auto t = at(0s);
  CHECK(eval(src, "label_replace(up, \"svc\", \"$1\", \"pod\", \"(.*)-[^-]+\")", t) ==
        "up{pod=\"api-7f9c\", svc=\"api\"} 1");
  CHECK(eval(src, "label_replace(up, \"svc\", \"${1}x\", \"pod\", \"(.*)-.*\")", t) ==
        "up{pod=\"api-7f9c\", svc=\"apix\"} 1");
  CHECK(eval(src, "label_replace(up, \"svc\", \"$1x\", \"pod\", \"(.*)-.*\")", t) ==
        "up{pod=\"api-7f9c\"} 1");  // "$1x" names a group "1x": empty, so no label
  CHECK(eval(src, "label_replace(up, \"svc\", \"$1\", \"pod\", \"nomatch\")", t) ==
        "up{pod=\"api-7f9c\"} 1");
  CHECK(eval(src, "label_replace(up, \"pod\", \"\", \"pod\", \".*\")", t) == "up{} 1");
  // Named groups, as Go's regexp.Expand takes them: `$name` and `${name}`.
  CHECK(eval(src, "label_replace(up, \"svc\", \"${app}-svc\", \"pod\", \"(?P<app>[a-z]+)-.*\")",
             t) == "up{pod=\"api-7f9c\", svc=\"api-svc\"} 1");
  CHECK(eval(src, "label_replace(up, \"svc\", \"$nope\", \"pod\", \"(?P<app>[a-z]+)-.*\")", t) ==
        "up{pod=\"api-7f9c\"} 1");  // an unknown name expands to nothing
  CHECK(eval(src, "label_replace(up, \"1bad\", \"x\", \"pod\", \".*\")", t) ==
        "error: invalid destination label name in label_replace(): 1bad");
}
