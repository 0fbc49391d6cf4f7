#include "sim/random.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

using selfheal::sim::Rng;
using selfheal::sim::splitmix64;
using selfheal::sim::stable_hash;

namespace {

// Running mean and variance (Welford).
struct Moments {
  double n = 0;
  double mean = 0;
  double m2 = 0;
  void add(double x) {
    n += 1;
    const double d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  double variance() const { return m2 / (n - 1); }
};

constexpr int kSamples = 400000;

// Checks sample moments against the true mean and variance. The mean tolerance is five
// standard errors; the variance tolerance is relative (it also depends on the fourth
// moment, which the caller knows best).
void check_moments(const Moments& m, double mean, double variance, double rel_var_tol) {
  const double se = std::sqrt(variance / m.n);
  INFO("sample mean " << m.mean << " vs " << mean << ", sample variance " << m.variance() << " vs "
                      << variance);
  CHECK(std::fabs(m.mean - mean) <= 5 * se);
  CHECK(std::fabs(m.variance() - variance) <= rel_var_tol * variance);
}

}  // namespace

// Reference values computed once from the published reference algorithms (Vigna's
// splitmix64.c and xoshiro256starstar.c) with an independent Python re-implementation.
TEST_CASE("SplitMix64 matches the reference output", "[sim][random]") {
  std::uint64_t state = 1234567;
  const std::array<std::uint64_t, 5> expected = {6457827717110365317ULL, 3203168211198807973ULL,
                                                 9817491932198370423ULL, 4593380528125082431ULL,
                                                 16408922859458223821ULL};
  for (const auto e : expected)
    CHECK(splitmix64(state) == e);
}

TEST_CASE("xoshiro256** seeded through SplitMix64 matches the reference output", "[sim][random]") {
  SECTION("seed 0") {
    Rng rng(0);
    const std::array<std::uint64_t, 5> expected = {11091344671253066420ULL, 13793997310169335082ULL,
                                                   1900383378846508768ULL, 7684712102626143532ULL,
                                                   13521403990117723737ULL};
    for (const auto e : expected)
      CHECK(rng.next_u64() == e);
  }
  SECTION("seed 42") {
    Rng rng(42);
    const std::array<std::uint64_t, 5> expected = {1546998764402558742ULL, 6990951692964543102ULL,
                                                   12544586762248559009ULL, 17057574109182124193ULL,
                                                   18295552978065317476ULL};
    for (const auto e : expected)
      CHECK(rng.next_u64() == e);
  }
  SECTION("substream(7, \"faults\")") {
    Rng rng = Rng::substream(7, "faults");
    const std::array<std::uint64_t, 3> expected = {1182838389318699849ULL, 16356222383366550753ULL,
                                                   9959321980282562030ULL};
    for (const auto e : expected)
      CHECK(rng.next_u64() == e);
  }
}

TEST_CASE("stable_hash is 64-bit FNV-1a", "[sim][random]") {
  // Published FNV-1a test vectors.
  CHECK(stable_hash("") == 0xcbf29ce484222325ULL);
  CHECK(stable_hash("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(stable_hash("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("a substream's sequence does not depend on other streams", "[sim][random]") {
  std::vector<std::uint64_t> alone;
  {
    Rng a = Rng::substream(7, "svc/payment-api");
    for (int i = 0; i < 100; ++i)
      alone.push_back(a.next_u64());
  }
  std::vector<std::uint64_t> interleaved;
  {
    Rng a = Rng::substream(7, "svc/payment-api");
    Rng b = Rng::substream(7, "svc/checkout-api");  // a service added to the scenario
    for (int i = 0; i < 100; ++i) {
      interleaved.push_back(a.next_u64());
      (void)b.next_u64();
      (void)b.normal(0, 1);
    }
  }
  CHECK(alone == interleaved);
}

TEST_CASE("different names and seeds give different streams", "[sim][random]") {
  const auto first = [](std::uint64_t seed, const char* name) {
    Rng r = Rng::substream(seed, name);
    return std::array<std::uint64_t, 4>{r.next_u64(), r.next_u64(), r.next_u64(), r.next_u64()};
  };
  std::set<std::array<std::uint64_t, 4>> seen;
  for (const char* name : {"a", "b", "svc/a", "svc/b", "svc/a/traffic", ""}) {
    for (std::uint64_t seed : {0ULL, 1ULL, 7ULL}) {
      CHECK(seen.insert(first(seed, name)).second);
      CHECK(first(seed, name) == first(seed, name));
    }
  }
  Rng plain(7);
  CHECK(first(7, "")[0] != plain.next_u64());

  // Nearby names are uncorrelated: about half of the bits differ.
  Rng x = Rng::substream(7, "svc/a");
  Rng y = Rng::substream(7, "svc/b");
  int differing = 0;
  for (int i = 0; i < 1000; ++i)
    differing += std::popcount(x.next_u64() ^ y.next_u64());
  CHECK(differing > 31000);
  CHECK(differing < 33000);
}

TEST_CASE("uniform_int stays within bounds, including the extremes", "[sim][random]") {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  Rng rng(5);
  SECTION("lo == hi") {
    for (int i = 0; i < 100; ++i)
      CHECK(rng.uniform_int(17, 17) == 17);
    CHECK(rng.uniform_int(kMin, kMin) == kMin);
    CHECK(rng.uniform_int(kMax, kMax) == kMax);
  }
  SECTION("small range hits every value and nothing else") {
    std::map<std::int64_t, int> counts;
    for (int i = 0; i < 70000; ++i)
      ++counts[rng.uniform_int(-3, 3)];
    REQUIRE(counts.size() == 7);
    CHECK(counts.begin()->first == -3);
    CHECK(counts.rbegin()->first == 3);
    for (const auto& [value, n] : counts) {
      INFO(value);
      CHECK(std::abs(n - 10000) < 5 * 93);  // 5 sd of Binomial(70000, 1/7)
    }
  }
  SECTION("full int64 range") {
    int negative = 0;
    for (int i = 0; i < 10000; ++i)
      negative += rng.uniform_int(kMin, kMax) < 0;
    CHECK(std::abs(negative - 5000) < 250);
  }
  SECTION("ranges at the ends of int64") {
    std::set<std::int64_t> top;
    std::set<std::int64_t> bottom;
    for (int i = 0; i < 100; ++i) {
      top.insert(rng.uniform_int(kMax - 1, kMax));
      bottom.insert(rng.uniform_int(kMin, kMin + 1));
    }
    CHECK(top == std::set<std::int64_t>{kMax - 1, kMax});
    CHECK(bottom == std::set<std::int64_t>{kMin, kMin + 1});
  }
  SECTION("a range just over half of 2^64 is unbiased") {
    // n = 2^63 + 2^62: the rejection band is large, a biased method would skew the halves.
    const std::int64_t lo = kMin / 2;
    const std::int64_t hi = kMax;  // span = 3 * 2^62 - 1 values
    int upper = 0;
    for (int i = 0; i < 30000; ++i)
      upper += rng.uniform_int(lo, hi) >= kMax / 2 + 1;
    CHECK(std::abs(upper - 10000) < 5 * 82);  // one third of the range
  }
  SECTION("lo > hi is rejected") {
    CHECK_THROWS_AS(rng.uniform_int(3, 2), std::invalid_argument);
  }
}

TEST_CASE("uniform_int moments", "[sim][random]") {
  Rng rng(11);
  Moments m;
  for (int i = 0; i < kSamples; ++i)
    m.add(static_cast<double>(rng.uniform_int(1, 6)));
  check_moments(m, 3.5, 35.0 / 12.0, 0.02);
}

TEST_CASE("uniform_real moments and bounds", "[sim][random]") {
  Rng rng(12);
  Moments m;
  double lowest = 1e9;
  double highest = -1e9;
  for (int i = 0; i < kSamples; ++i) {
    const double x = rng.uniform_real(-2.0, 6.0);
    lowest = std::min(lowest, x);
    highest = std::max(highest, x);
    m.add(x);
  }
  CHECK(lowest >= -2.0);
  CHECK(highest < 6.0);
  check_moments(m, 2.0, 64.0 / 12.0, 0.02);
  CHECK(rng.uniform_real(1.5, 1.5) == 1.5);
  CHECK(rng.uniform01() < 1.0);
  // Half-open even where rounding would land on hi.
  for (int i = 0; i < 1000; ++i)
    CHECK(rng.uniform_real(1.0, std::nextafter(1.0, 2.0)) == 1.0);
  CHECK_THROWS_AS(rng.uniform_real(1.0, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(rng.uniform_real(0.0, INFINITY), std::invalid_argument);
}

TEST_CASE("bernoulli moments and clamping", "[sim][random]") {
  Rng rng(13);
  Moments m;
  for (int i = 0; i < kSamples; ++i)
    m.add(rng.bernoulli(0.3) ? 1.0 : 0.0);
  check_moments(m, 0.3, 0.21, 0.02);
  for (int i = 0; i < 1000; ++i) {
    CHECK_FALSE(rng.bernoulli(0.0));
    CHECK_FALSE(rng.bernoulli(-1.0));
    CHECK(rng.bernoulli(1.0));
    CHECK(rng.bernoulli(2.0));
  }
  CHECK_THROWS_AS(rng.bernoulli(NAN), std::invalid_argument);
}

TEST_CASE("exponential moments", "[sim][random]") {
  Rng rng(14);
  Moments m;
  double lowest = 1.0;
  for (int i = 0; i < kSamples; ++i) {
    const double x = rng.exponential(2.5);
    lowest = std::min(lowest, x);
    m.add(x);
  }
  CHECK(lowest >= 0.0);
  check_moments(m, 2.5, 6.25, 0.03);  // excess kurtosis 6: var se ~ 0.4%
  CHECK_THROWS_AS(rng.exponential(0.0), std::invalid_argument);
  CHECK_THROWS_AS(rng.exponential(-1.0), std::invalid_argument);
}

TEST_CASE("exponential follows its distribution function, tail included", "[sim][random]") {
  // The ziggurat has three paths (fast layer, wedge rejection, tail beyond x = 7.7); a
  // wrong table or path shows up as a distortion of the distribution function.
  // 2M samples: enough to see the wedge test skipped (D ~ 0.002) against the 0.1% critical
  // value (0.0014).
  constexpr int kN = 2'000'000;
  Rng rng(20);
  std::vector<double> xs;
  xs.reserve(kN);
  for (int i = 0; i < kN; ++i)
    xs.push_back(rng.standard_exponential());
  std::sort(xs.begin(), xs.end());
  // Kolmogorov-Smirnov distance against 1 - e^-x; 1.95/sqrt(n) is the 0.1% critical value.
  double d = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double cdf = 1 - std::exp(-xs[i]);
    d = std::max({d, std::fabs(cdf - double(i) / kN), std::fabs(cdf - double(i + 1) / kN)});
  }
  CHECK(d < 1.95 / std::sqrt(double(kN)));
  // Tail frequencies, including beyond the ziggurat's base layer.
  for (const double t : {0.01, 0.5, 2.0, 5.0, 7.0, 7.7, 8.5, 10.0}) {
    const double p = std::exp(-t);
    const auto above = static_cast<double>(xs.end() - std::upper_bound(xs.begin(), xs.end(), t));
    const double sd = std::sqrt(kN * p * (1 - p));
    INFO("P(X > " << t << "): " << above << " vs " << p * kN);
    CHECK(std::fabs(above - p * kN) <= 5 * sd + 1);
  }
  CHECK(xs.front() >= 0.0);
}

TEST_CASE("normal moments and shape", "[sim][random]") {
  Rng rng(15);
  Moments m;
  int within_one_sd = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double x = rng.normal(10.0, 3.0);
    within_one_sd += std::fabs(x - 10.0) <= 3.0;
    m.add(x);
  }
  check_moments(m, 10.0, 9.0, 0.02);
  CHECK(std::fabs(within_one_sd / double(kSamples) - 0.682689) < 0.004);
  CHECK(rng.normal(4.0, 0.0) == 4.0);
  CHECK_THROWS_AS(rng.normal(0.0, -1.0), std::invalid_argument);
  CHECK_THROWS_AS(rng.normal(NAN, 1.0), std::invalid_argument);
}

TEST_CASE("lognormal moments", "[sim][random]") {
  Rng rng(16);
  Moments m;
  const double mu = 1.0;
  const double sigma = 0.5;
  for (int i = 0; i < kSamples; ++i)
    m.add(rng.lognormal(mu, sigma));
  const double mean = std::exp(mu + sigma * sigma / 2);
  const double variance = (std::exp(sigma * sigma) - 1) * std::exp(2 * mu + sigma * sigma);
  check_moments(m, mean, variance, 0.04);
  CHECK_THROWS_AS(rng.lognormal(0.0, -0.1), std::invalid_argument);
}

TEST_CASE("poisson moments on both sides of the method switch", "[sim][random]") {
  for (const double mean : {0.5, 3.5, 9.99, 10.0, 37.0, 1000.0, 1e7}) {
    INFO("mean " << mean);
    Rng rng(17);
    Moments m;
    std::int64_t lowest = std::numeric_limits<std::int64_t>::max();
    for (int i = 0; i < kSamples; ++i) {
      const std::int64_t k = rng.poisson(mean);
      lowest = std::min(lowest, k);
      m.add(static_cast<double>(k));
    }
    CHECK(lowest >= 0);
    check_moments(m, mean, mean, 0.03);
  }
  Rng rng(18);
  CHECK(rng.poisson(0.0) == 0);
  CHECK_THROWS_AS(rng.poisson(-1.0), std::invalid_argument);
  CHECK_THROWS_AS(rng.poisson(NAN), std::invalid_argument);
  CHECK_THROWS_AS(rng.poisson(1e300), std::invalid_argument);
}

TEST_CASE("poisson follows the probability mass function", "[sim][random]") {
  // Moments alone would not catch a wrong shape; compare frequencies with the pmf, for
  // the product method (4) and for PTRS (15).
  for (const double mean : {4.0, 15.0}) {
    INFO("mean " << mean);
    Rng rng(19);
    std::map<std::int64_t, int> counts;
    for (int i = 0; i < kSamples; ++i)
      ++counts[rng.poisson(mean)];
    double log_pk = -mean;  // log P(0)
    for (std::int64_t k = 0; k <= 2 * static_cast<std::int64_t>(mean); ++k) {
      if (k > 0) log_pk += std::log(mean) - std::log(static_cast<double>(k));
      const double p = std::exp(log_pk);
      const double expected = p * kSamples;
      const double sd = std::sqrt(kSamples * p * (1 - p));
      INFO("k " << k << ": " << counts[k] << " vs " << expected);
      CHECK(std::fabs(counts[k] - expected) <= 5 * sd + 1);
    }
  }
}

TEST_CASE("the same seed gives the same numbers from every distribution", "[sim][random]") {
  const auto draw = [](std::uint64_t seed) {
    Rng rng(seed);
    std::vector<double> out;
    for (int i = 0; i < 200; ++i) {
      out.push_back(static_cast<double>(rng.uniform_int(-100, 100)));
      out.push_back(rng.uniform_real(0, 1));
      out.push_back(rng.bernoulli(0.5));
      out.push_back(rng.exponential(1));
      out.push_back(rng.normal(0, 1));
      out.push_back(rng.lognormal(0, 1));
      out.push_back(static_cast<double>(rng.poisson(i % 30)));
    }
    return out;
  };
  CHECK(draw(3) == draw(3));
  CHECK(draw(3) != draw(4));
}
