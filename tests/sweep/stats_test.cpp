#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/random.hpp"
#include "sweep/report.hpp"
#include "sweep/stats.hpp"

using selfheal::sweep::Accumulator;
using selfheal::sweep::Int128;

TEST_CASE("mean, sample deviation, nearest-rank percentiles and a t-based 95% CI", "[sweep]") {
  Accumulator a;
  for (int v : {3, 5, 4})
    a.add(v);
  CHECK(a.count() == 3);
  CHECK(a.mean() == Approx(4.0));
  CHECK(a.stddev() == Approx(1.0));
  CHECK(a.percentile(50) == 4);
  CHECK(a.percentile(90) == 5);
  CHECK(a.min() == 3);
  CHECK(a.max() == 5);
  // t(0.975, 2) = 4.3027: 4 +- 4.3027 / sqrt(3)
  const auto [lo, hi] = a.ci95();
  CHECK(lo == Approx(4.0 - 4.3027 / std::sqrt(3.0)).epsilon(1e-6));
  CHECK(hi == Approx(4.0 + 4.3027 / std::sqrt(3.0)).epsilon(1e-6));
}

TEST_CASE("one value or none gives a degenerate interval, never NaN", "[sweep]") {
  Accumulator empty;
  CHECK(empty.mean() == 0.0);
  CHECK(empty.percentile(50) == 0);
  Accumulator one;
  one.add(7);
  CHECK(one.ci95() == std::pair<double, double>{7.0, 7.0});
  CHECK(one.stddev() == 0.0);
}

TEST_CASE("rates get the Wilson score interval, which never collapses at 0 or 1", "[sweep]") {
  using selfheal::sweep::wilson_95;
  // Textbook values: 0/100 -> [0, 0.0370], 50/100 -> [0.4038, 0.5962], 100/100 mirrors 0.
  auto [lo0, hi0] = wilson_95(0.0, 100);
  CHECK(lo0 == 0.0);
  CHECK(hi0 == Approx(0.0370).margin(1e-4));
  auto [lo5, hi5] = wilson_95(0.5, 100);
  CHECK(lo5 == Approx(0.4038).margin(1e-4));
  CHECK(hi5 == Approx(0.5962).margin(1e-4));
  auto [lo1, hi1] = wilson_95(1.0, 100);
  CHECK(lo1 == Approx(1.0 - 0.0370).margin(1e-4));
  CHECK(hi1 == 1.0);
  CHECK(wilson_95(0.3, 0) == std::pair<double, double>{0.3, 0.3});
  // One run is a wide interval, not a point.
  CHECK(wilson_95(1.0, 1).first < 0.25);

  // A sweep's rate where every run is 0 (never passed): the t-interval is [0, 0]; the
  // summary's interval is Wilson's. Counts keep the t-interval.
  Accumulator zeros;
  for (int i = 0; i < 100; ++i)
    zeros.add(0);
  CHECK(zeros.ci95() == std::pair<double, double>{0.0, 0.0});
  using selfheal::sweep::Unit;
  const auto rate = selfheal::sweep::summarize(zeros, Unit::kRatio);
  CHECK(rate.ci_low == 0.0);
  CHECK(rate.ci_high == Approx(0.0370).margin(1e-4));
  const auto count = selfheal::sweep::summarize(zeros, Unit::kCount);
  CHECK(count.ci_high == 0.0);
  // A ratio metric is stored in 1e-4 steps: half the runs at 1 (10,000 steps) is p = 0.5.
  Accumulator half;
  for (int i = 0; i < 100; ++i)
    half.add(i % 2 ? 10000 : 0);
  const auto h = selfheal::sweep::summarize(half, Unit::kRatio);
  CHECK(h.mean == Approx(0.5));
  CHECK(h.ci_low == Approx(0.4038).margin(1e-4));
  CHECK(h.ci_high == Approx(0.5962).margin(1e-4));
}

TEST_CASE("t critical values: the table, and the normal limit for large samples", "[sweep]") {
  CHECK(selfheal::sweep::t_critical_95(1) == Approx(12.7062));
  CHECK(selfheal::sweep::t_critical_95(30) == Approx(2.0423));
  CHECK(selfheal::sweep::t_critical_95(60) == Approx(2.0003).epsilon(1e-4));
  CHECK(selfheal::sweep::t_critical_95(120) == Approx(1.9799).epsilon(1e-4));
  CHECK(selfheal::sweep::t_critical_95(1000000) == Approx(1.95996).epsilon(1e-5));
}

TEST_CASE("any split and merge order gives exactly the serial accumulator", "[sweep]") {
  selfheal::sim::Rng rng(11);
  std::vector<std::int64_t> values;
  for (int i = 0; i < 20000; ++i)
    values.push_back(rng.uniform_int(-3'000'000, 9'000'000));  // many distinct: bucketed
  Accumulator serial;
  for (auto v : values)
    serial.add(v);
  REQUIRE(serial.bucketed());

  // Three parts of different sizes, merged in two orders.
  std::vector<Accumulator> parts(3);
  for (std::size_t i = 0; i < values.size(); ++i)
    parts[i % 7 == 0 ? 0 : (i % 3 == 0 ? 1 : 2)].add(values[i]);
  Accumulator ab = parts[0];
  ab.merge(parts[1]);
  ab.merge(parts[2]);
  Accumulator ba = parts[2];
  ba.merge(parts[1]);
  ba.merge(parts[0]);
  CHECK(ab == serial);
  CHECK(ba == serial);
}

TEST_CASE("small parts that stay exact merge into the bucketed whole exactly", "[sweep]") {
  Accumulator whole, left, right;
  for (int i = 0; i < 6000; ++i) {
    whole.add(i * 1000);
    (i < 3000 ? left : right).add(i * 1000);
  }
  REQUIRE_FALSE(left.bucketed());
  REQUIRE_FALSE(right.bucketed());
  left.merge(right);
  CHECK(left == whole);
  CHECK(whole.bucketed());
}

TEST_CASE("memory stays bounded however many runs are added", "[sweep]") {
  Accumulator a;
  for (std::int64_t i = 0; i < 200000; ++i)
    a.add(i * 37);
  // 1,024 buckets per power of two over ~23 powers of two, far below one per value.
  CHECK(a.histogram().size() < 25 * 1024);
  CHECK(a.count() == 200000);
}

TEST_CASE("bucketed percentiles stay within 0.1% of the exact value", "[sweep]") {
  Accumulator a;
  std::vector<std::int64_t> v;
  for (std::int64_t i = 1; i <= 10000; ++i) {
    v.push_back(i * 997);
    a.add(i * 997);
  }
  REQUIRE(a.bucketed());
  for (int p : {50, 90, 99}) {
    const auto exact = v[static_cast<std::size_t>((p * v.size() + 99) / 100 - 1)];
    CHECK(std::abs(static_cast<double>(a.percentile(p) - exact)) <= exact * 0.001);
  }
  CHECK(Accumulator::bucket(Accumulator::bucket(123456789)) == Accumulator::bucket(123456789));
  CHECK(Accumulator::bucket(2047) == 2047);
  CHECK(Accumulator::bucket(-5) == -5);
}

TEST_CASE("128-bit sums round-trip through text and garbage is refused", "[sweep]") {
  const Int128 big = static_cast<Int128>(1) << 100;
  Int128 back = 0;
  REQUIRE(selfheal::sweep::parse_int128(selfheal::sweep::to_string(-big), back));
  CHECK(back == -big);
  CHECK_FALSE(selfheal::sweep::parse_int128("12x", back));
  CHECK_FALSE(selfheal::sweep::parse_int128("", back));
  CHECK_FALSE(selfheal::sweep::parse_int128("-", back));
  CHECK_FALSE(selfheal::sweep::parse_int128(std::string(40, '9'), back));
}

TEST_CASE("restore refuses inconsistent state", "[sweep]") {
  Accumulator out;
  CHECK(Accumulator::restore(2, 3, 5, 1, 2, false, {{1, 1}, {2, 1}}, out));
  CHECK(out.mean() == Approx(1.5));
  CHECK_FALSE(Accumulator::restore(3, 3, 5, 1, 2, false, {{1, 1}, {2, 1}}, out));
  CHECK_FALSE(Accumulator::restore(2, 3, 5, 2, 1, false, {{1, 1}, {2, 1}}, out));
}
