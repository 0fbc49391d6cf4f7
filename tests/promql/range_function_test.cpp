// rate/irate/increase/delta/idelta with Prometheus's extrapolation and counter resets, the
// *_over_time family, changes and resets. Expected values are worked out in the comments.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <tuple>

#include "tests/promql/fixture.hpp"

using namespace selfheal::promql;
using namespace selfheal::promql::test;

namespace {

// Samples every 30 s from 30 s to 270 s: 0, 10, ..., 80.
MemorySource counter() {
  MemorySource src;
  src.add(labels("c", {{"job", "a"}}), every(30s, 30s, {0, 10, 20, 30, 40, 50, 60, 70, 80}));
  return src;
}

}  // namespace

TEST_CASE("promql rate and increase extrapolate to the range, not below zero", "[promql][range]") {
  auto src = counter();
  // Range [0 s, 300 s]: 80 over 240 s sampled, average step 30 s. Start: the counter would
  // reach 0 exactly at the first sample (value 0), so no extrapolation there; end: 30 s left
  // < 1.1 * 30 s, so extrapolate the full 30 s: 80 * 270 / 240 = 90.
  CHECK(eval(src, "increase(c[5m])", at(300s)) == "{job=\"a\"} 90");
  CHECK(eval(src, "rate(c[5m])", at(300s)) == "{job=\"a\"} 0.3");
  // delta ignores the zero point: 30 s both ends -> 80 * 300 / 240 = 100.
  CHECK(eval(src, "delta(c[5m])", at(300s)) == "{job=\"a\"} 100");
  // Range [200 s, 500 s]: samples 210..270 (values 60, 70, 80), 60 s sampled. Start gap 10 s
  // extrapolated; end gap 230 s > 33 s, so only half a step (15 s): 20 * 85 / 60.
  CHECK(eval(src, "increase(c[5m])", at(500s)) == "{job=\"a\"} " + num(20.0 * 85 / 60));
  // One sample in range: no result.
  CHECK(eval(src, "rate(c[1m])", at(330s)) == "");
}

TEST_CASE("promql rate treats a decrease as a counter reset, delta does not", "[promql][range]") {
  MemorySource src;
  src.add(labels("c", {}), every(60s, 60s, {10, 20, 5, 15}));  // reset after 20
  // increase = (15 - 10) + 20 = 25 over 180 s sampled; range [0, 240]: start gap 60 s < 66 s
  // but the zero point is 180 * 10 / 25 = 72 s back, so start extrapolates 60 s; end 0 s.
  CHECK(eval(src, "increase(c[4m])", at(240s)) == "{} " + num(25.0 * 240 / 180));
  CHECK(eval(src, "delta(c[4m])", at(240s)) == "{} " + num(5.0 * 240 / 180));
  CHECK(eval(src, "resets(c[4m])", at(240s)) == "{} 1");
  CHECK(eval(src, "changes(c[4m])", at(240s)) == "{} 3");
}

TEST_CASE("promql irate and idelta use the last two samples", "[promql][range]") {
  MemorySource src;
  src.add(labels("c", {}), every(0s, 20s, {1, 5, 9, 3}));
  CHECK(eval(src, "irate(c[1m])", at(60s)) == "{} 0.15");  // reset: 3 / 20 s
  CHECK(eval(src, "idelta(c[1m])", at(60s)) == "{} -6");
  CHECK(eval(src, "irate(c[1m])", at(40s)) == "{} 0.2");
}

TEST_CASE("promql avg, min, max, sum, count and last over_time on the closed range",
          "[promql][range]") {
  MemorySource src;
  src.add(labels("g", {{"k", "v"}}), every(0s, 1min, {4, 1, 7, 2}));
  const auto t = at(3min);
  CHECK(eval(src, "avg_over_time(g[3m])", t) == "{k=\"v\"} 3.5");
  CHECK(eval(src, "min_over_time(g[3m])", t) == "{k=\"v\"} 1");
  CHECK(eval(src, "max_over_time(g[3m])", t) == "{k=\"v\"} 7");
  CHECK(eval(src, "sum_over_time(g[3m])", t) == "{k=\"v\"} 14");
  CHECK(eval(src, "count_over_time(g[3m])", t) == "{k=\"v\"} 4");
  CHECK(eval(src, "count_over_time(g[2m59s])", t) == "{k=\"v\"} 3");  // 0 s falls out
  CHECK(eval(src, "last_over_time(g[3m])", t) == "g{k=\"v\"} 2");     // keeps the name
  CHECK(eval(src, "max_over_time(g[10s])", at(3min + 11s)) == "");
}

TEST_CASE("promql rate over many series equals rate over each alone", "[promql][range]") {
  // One call shares what it derives from sample times (and the extrapolation factor of
  // series far from zero) among series with the same times: series with other times, or
  // near zero (their start moved to the zero point), in between must not see it.
  MemorySource src;
  auto add = [&](const char* pod, selfheal::core::Duration first, selfheal::core::Duration step,
                 double from) {
    std::vector<double> v;
    for (int i = 0; i < 40; ++i)
      v.push_back(from + 1.7 * i + 0.013 * i * i);
    src.add(labels("c", {{"pod", pod}}), every(first, step, v));
  };
  add("a", 0s, 15s, 1000.3);
  add("b", 0s, 15s, 0.2);     // the same times, extrapolated to its zero point
  add("c", 7s, 15s, 2000.7);  // other times
  add("d", 0s, 10s, 3000.1);  // another count of samples in the window
  add("e", 0s, 15s, 4000.9);  // a's times again, after the others
  auto values = [&](const std::string& q, selfheal::core::TimePoint t) {
    auto e = parse(q);
    REQUIRE(e);
    auto v = evaluate(*e, src, t);
    REQUIRE(v);
    std::vector<double> out;
    for (const auto& s : v->vector)
      out.push_back(s.value);
    return out;
  };
  std::size_t compared = 0;
  for (const std::string f : {"rate", "increase", "delta"}) {
    for (const selfheal::core::Duration t : {100s, 250s, 400s}) {
      for (const std::string range : {"1m", "2m"}) {
        const auto all = values(f + "(c[" + range + "])", at(t));
        REQUIRE(all.size() == 5);
        std::size_t i = 0;
        for (const std::string pod : {"a", "b", "c", "d", "e"}) {
          const auto one = values(f + "(c{pod=\"" + pod + "\"}[" + range + "])", at(t));
          INFO(f << "(c[" << range << "]) at " << t.count() << " ms, pod " << pod);
          REQUIRE(one.size() == 1);
          CHECK(std::memcmp(&one[0], &all[i++], sizeof(double)) == 0);
          ++compared;
        }
      }
    }
  }
  CHECK(compared == 90);
}

TEST_CASE("promql increase moves a counter's start to its zero point exactly when it lies inside",
          "[promql][range]") {
  // rate/increase skip the zero-point division when a bound proves the zero point lies at or
  // before the range start: the results must be those of the division, bit for bit, on
  // both sides of the boundary (front 10 of back 90 over 240 s sampled: zero point exactly
  // 30 s back, at the range start), at its last bits, and when the window starts on a sample.
  MemorySource src;
  std::vector<std::pair<double, double>> series;  // (first, last) value
  for (int k = -60; k <= 60; ++k)
    series.emplace_back(10.0 + 0.01 * k, 90.0);
  double below = 10.0, above = 10.0;
  for (int k = 0; k < 4; ++k) {
    below = std::nextafter(below, 0.0);
    above = std::nextafter(above, 100.0);
    series.emplace_back(below, 90.0);
    series.emplace_back(above, 90.0);
  }
  series.emplace_back(0.0, 90.0);      // zero point at the first sample
  series.emplace_back(0.0, 1e-310);    // a subnormal increase: no bound, the full check
  series.emplace_back(1e-300, 1e300);  // the zero point right at the first sample
  for (std::size_t i = 0; i < series.size(); ++i)
    src.add(labels("c", {{"i", std::to_string(1000 + i)}}),
            {{at(30s), series[i].first}, {at(270s), series[i].second}});
  // extrapolated_rate's arithmetic for two samples 240 s apart, `to_start` and `to_end` s
  // from the range's ends.
  auto expected = [](double front, double back, double to_start, double to_end,
                     bool zero_point = true) {
    const double sampled = 240, avg_step = 240, threshold = avg_step * 1.1;
    const double result = back - front;
    double start = to_start;
    if (zero_point && result > 0 && front >= 0) {
      const double to_zero = sampled * (front / result);
      if (to_zero < to_start) start = to_zero;
    }
    double interval = sampled;
    interval += start < threshold ? start : avg_step / 2;
    interval += to_end < threshold ? to_end : avg_step / 2;
    return result * (interval / sampled);
  };
  std::size_t moved = 0;
  for (const auto& [range, t, to_start] :
       {std::tuple{"5m", 300s, 30.0}, std::tuple{"4m", 270s, 0.0}}) {
    auto e = parse(std::string("increase(c[") + range + "])");
    REQUIRE(e);
    auto v = evaluate(*e, src, at(t));
    REQUIRE(v);
    REQUIRE(v->vector.size() == series.size());
    const double to_end = to_start;  // the ranges end 30 s and 0 s after the last sample
    for (const auto& s : v->vector) {
      const std::size_t i = std::stoul(std::string(label_value(s.labels, "i"))) - 1000;
      const double want = expected(series[i].first, series[i].second, to_start, to_end);
      INFO(range << " series " << i << " first " << series[i].first << " got " << s.value
                 << " want " << want);
      CHECK(std::memcmp(&s.value, &want, sizeof(double)) == 0);
      const double unmoved = expected(series[i].first, series[i].second, to_start, to_end, false);
      if (std::memcmp(&want, &unmoved, sizeof(double)) != 0) ++moved;
    }
  }
  CHECK(moved > 60);  // the series whose start did move to the zero point
}
