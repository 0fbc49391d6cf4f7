// Everything here is specified down to the bit by published algorithms, so a seed means
// the same numbers with any compiler and standard library (the std:: distributions do not
// promise that). Only std::log/exp/sqrt are taken from the platform's libm.
#include "sim/random.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace selfheal::sim {

namespace {

__extension__ typedef unsigned __int128 U128;

[[noreturn]] void bad_parameter(const char* function, const char* what, double value) {
  std::ostringstream out;
  out << "sim::Rng::" << function << ": " << what << " (got " << value << ")";
  throw std::invalid_argument(out.str());
}

// log(Gamma(x)) for x >= 1 by the Stirling series (the version in numpy's random module);
// our own rather than std::lgamma, which writes the global `signgam`.
double log_gamma(double x) {
  static constexpr double kA[10] = {
      8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04, -5.952380952380952e-04,
      8.417508417508418e-04, -1.917526917526918e-03, 6.410256410256410e-03, -2.955065359477124e-02,
      1.796443723688307e-01, -1.39243221690590e+00};
  if (x == 1.0 || x == 2.0) return 0.0;
  double x0 = x;
  int n = 0;
  if (x < 7.0) {
    n = static_cast<int>(7.0 - x);
    x0 = x + n;
  }
  const double x2 = 1.0 / (x0 * x0);
  double gl0 = kA[9];
  for (int k = 8; k >= 0; --k)
    gl0 = gl0 * x2 + kA[k];
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  double gl = gl0 / x0 + 0.5 * std::log(kTwoPi) + (x0 - 0.5) * std::log(x0) - x0;
  for (int k = 1; k <= n; ++k) {
    gl -= std::log(x0 - 1.0);
    x0 -= 1.0;
  }
  return gl;
}

constexpr double kPoissonPtrsFrom = 10.0;
constexpr double kPoissonMaxMean = 4503599627370496.0;  // 2^52: results stay exact integers

}  // namespace

namespace detail {
// Built once, from the published constants r and v (Marsaglia & Tsang 2000, 256 layers).
ExpZiggurat::ExpZiggurat() {
  constexpr double kScale = 9007199254740992.0;  // 2^53
  double x = kR;
  double previous = x;
  const double q = kV / std::exp(-x);
  k[0] = static_cast<std::uint64_t>((x / q) * kScale);
  k[1] = 0;
  w[0] = q / kScale;
  w[255] = x / kScale;
  f[0] = 1.0;
  f[255] = std::exp(-x);
  for (int i = 254; i >= 1; --i) {
    x = -std::log(kV / x + std::exp(-x));
    k[static_cast<std::size_t>(i) + 1] = static_cast<std::uint64_t>((x / previous) * kScale);
    previous = x;
    f[static_cast<std::size_t>(i)] = std::exp(-x);
    w[static_cast<std::size_t>(i)] = x / kScale;
  }
}
}  // namespace detail

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t stable_hash(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

Rng::Rng(std::uint64_t seed) {
  // Four consecutive SplitMix64 outputs are distinct (its output function is a bijection of
  // distinct states), so at most one word is zero and the state is never all-zero.
  std::uint64_t sm = seed;
  for (auto& word : s_)
    word = splitmix64(sm);
}

Rng Rng::substream(std::uint64_t seed, std::string_view name) {
  // Mixing the seed before the xor keeps (seed, name) pairs apart that a plain
  // seed ^ hash would collide; the final SplitMix64 step spreads a one-bit difference in
  // the name's hash over the whole seed.
  std::uint64_t st = seed;
  std::uint64_t mixed = splitmix64(st) ^ stable_hash(name);
  return Rng(splitmix64(mixed));
}

std::int64_t Rng::uniform_int(std::int64_t lo, std::int64_t hi) {
  if (lo > hi) {
    std::ostringstream out;
    out << "sim::Rng::uniform_int: lo must be <= hi (got lo=" << lo << ", hi=" << hi << ")";
    throw std::invalid_argument(out.str());
  }
  // Work in unsigned arithmetic: hi - lo overflows int64 for wide ranges.
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  if (span == std::numeric_limits<std::uint64_t>::max()) {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + next_u64());
  }
  const std::uint64_t n = span + 1;
  // Lemire, "Fast random integer generation in an interval" (2019): the high word of
  // x * n is uniform on [0, n) once the low word is outside the biased band [0, 2^64 % n).
  U128 m = static_cast<U128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<U128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) +
                                   static_cast<std::uint64_t>(m >> 64));
}

double Rng::uniform01() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double Rng::uniform_real(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi) {
    std::ostringstream out;
    out << "sim::Rng::uniform_real: need finite lo <= hi (got lo=" << lo << ", hi=" << hi << ")";
    throw std::invalid_argument(out.str());
  }
  const double u = uniform01();
  if (lo == hi) return lo;
  const double r = lo + u * (hi - lo);
  // Rounding can land exactly on hi (or overflow when hi - lo exceeds DBL_MAX); the
  // interval is half-open.
  if (!(r < hi)) return std::nextafter(hi, lo);
  return r;
}

bool Rng::bernoulli(double p) {
  if (std::isnan(p)) bad_parameter("bernoulli", "p must be a number", p);
  return uniform01() < p;  // p <= 0 never, p >= 1 always: the clamp falls out
}

void Rng::bad_exponential_mean(double mean) {
  bad_parameter("exponential", "mean must be finite and > 0", mean);
}

double Rng::exponential_slow(std::uint64_t bits) {
  // The rare branches of standard_exponential() (random.hpp): the base layer's tail
  // beyond r, which by memorylessness is r + Exp(1), or an exact rejection test at a
  // layer's edge; a rejected draw starts over.
  const detail::ExpZiggurat& z = detail::exp_ziggurat();
  for (;;) {
    const auto layer = static_cast<std::size_t>(bits & 0xff);
    const std::uint64_t position = bits >> 8;
    const double x = static_cast<double>(position) * z.w[layer];
    if (position < z.k[layer]) return x;
    if (layer == 0) {
      // u in (0, 1]: never 0, so the log is finite.
      const double u = static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53;
      return detail::ExpZiggurat::kR - std::log(u);
    }
    if (z.f[layer] + uniform01() * (z.f[layer - 1] - z.f[layer]) < std::exp(-x)) return x;
    bits = next_u64() >> 3;
  }
}

double Rng::normal(double mean, double stddev) {
  if (!std::isfinite(mean)) bad_parameter("normal", "mean must be finite", mean);
  if (!(stddev >= 0) || !std::isfinite(stddev)) {
    bad_parameter("normal", "stddev must be finite and >= 0", stddev);
  }
  if (has_spare_) {
    has_spare_ = false;
    return mean + stddev * spare_normal_;
  }
  double u;
  double v;
  double s;
  do {
    u = 2.0 * uniform01() - 1.0;
    v = 2.0 * uniform01() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * f;
  has_spare_ = true;
  return mean + stddev * (u * f);
}

double Rng::lognormal(double mu, double sigma) {
  if (!std::isfinite(mu)) bad_parameter("lognormal", "mu must be finite", mu);
  if (!(sigma >= 0) || !std::isfinite(sigma)) {
    bad_parameter("lognormal", "sigma must be finite and >= 0", sigma);
  }
  return std::exp(normal(mu, sigma));
}

std::int64_t Rng::poisson(double mean) {
  if (!(mean >= 0) || !(mean <= kPoissonMaxMean)) {
    bad_parameter("poisson", "mean must be in [0, 2^52]", mean);
  }
  if (mean < kPoissonPtrsFrom) {
    // Knuth: count uniforms until their product drops below e^-mean. Expected draws:
    // mean + 1, so only for small means.
    const double limit = std::exp(-mean);
    std::int64_t k = 0;
    double product = uniform01();
    while (product > limit) {
      ++k;
      product *= uniform01();
    }
    return k;
  }
  // PTRS: W. Hörmann, "The transformed rejection method for generating Poisson random
  // variables", Insurance: Mathematics and Economics 12 (1993). Constants from the paper.
  const double slam = std::sqrt(mean);
  const double loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = uniform01() - 0.5;
    const double v = uniform01();
    const double us = 0.5 - std::fabs(u);
    // Kept as a double until accepted: us == 0 makes it -inf, which the k < 0 test rejects.
    const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<std::int64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -mean + k * loglam - log_gamma(k + 1.0)) {
      return static_cast<std::int64_t>(k);
    }
  }
}

}  // namespace selfheal::sim
