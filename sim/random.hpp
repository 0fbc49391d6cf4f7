// Seeded, fully specified randomness for the simulator.
//
// The generator is xoshiro256** (Blackman & Vigna), seeded through SplitMix64. The
// distributions are our own, so the same seed gives the same numbers with any standard
// library. Substreams: `Rng::substream(seed, "svc/payment-api/traffic")` derives an
// independent generator from (seed, name) — adding a service to a scenario adds a new
// name and leaves every other stream's sequence unchanged.
//
//   sim::Rng rng = sim::Rng::substream(7, "faults");
//   double jitter_s = rng.uniform_real(0.0, 30.0);
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace selfheal::sim {

namespace detail {
// The ziggurat tables for Exp(1): layer i spans [0, x_i) with equal areas v; k is the
// fraction of a layer (scaled to 2^53) lying entirely under the density, w converts a
// 53-bit position to x, f is the density at the layer edges.
struct ExpZiggurat {
  static constexpr double kR = 7.69711747013104972;
  static constexpr double kV = 3.949659822581572e-3;
  std::array<std::uint64_t, 256> k{};
  std::array<double, 256> w{};
  std::array<double, 256> f{};
  ExpZiggurat();  // random.cpp
};
inline const ExpZiggurat& exp_ziggurat() {
  static const ExpZiggurat tables;
  return tables;
}
}  // namespace detail

/// SplitMix64 step: advances `state` and returns the next output.
std::uint64_t splitmix64(std::uint64_t& state);

/// 64-bit FNV-1a of `name`, the stable hash used to name substreams (same value on every
/// platform and build).
std::uint64_t stable_hash(std::string_view name);

class Rng {
 public:
  /// Seeds the four words of state from SplitMix64(seed).
  explicit Rng(std::uint64_t seed);
  /// An independent stream for `name` under `seed`: the generator seeded with
  /// splitmix64(splitmix64(seed) ^ stable_hash(name)). Pure function of (seed, name).
  static Rng substream(std::uint64_t seed, std::string_view name);

  /// Next raw 64-bit output of xoshiro256**.
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Distributions. Each throws std::invalid_argument naming the function and the value when
  // a parameter is out of range (NaN, infinite, lo > hi, ...): a scenario loader should
  // have rejected such a value with a proper error before it got here.

  /// Uniform integer in [lo, hi] (inclusive), unbiased (Lemire's method with rejection).
  /// Any range works, including the full int64 range and lo == hi.
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi);
  /// Uniform real in [lo, hi), 53 random bits (lo when lo == hi).
  double uniform_real(double lo, double hi);
  /// Uniform real in [0, 1), 53 random bits.
  double uniform01();
  /// True with probability p (p clamped to [0, 1]). Always consumes one draw.
  bool bernoulli(double p);
  /// Exponential with the given mean (> 0), by the ziggurat method.
  double exponential(double mean) {
    if (!(mean > 0) || !(mean <= kMaxFinite)) bad_exponential_mean(mean);
    return mean * standard_exponential();
  }
  /// Exponential with mean 1.
  double standard_exponential() {
    // Ziggurat (Marsaglia & Tsang 2000) with 256 layers, in the 64-bit form numpy uses: 8
    // bits pick a layer, 53 bits the position. About 99% of draws take this first return
    // (one generator call, one multiply, one compare), inline; the rest go out of line.
    const detail::ExpZiggurat& z = detail::exp_ziggurat();
    const std::uint64_t bits = next_u64() >> 3;
    const auto layer = static_cast<std::size_t>(bits & 0xff);
    const std::uint64_t position = bits >> 8;
    if (position < z.k[layer]) [[likely]]
      return static_cast<double>(position) * z.w[layer];
    return exponential_slow(bits);
  }
  /// Normal(mean, stddev >= 0) by the Marsaglia polar method (the spare value is kept).
  double normal(double mean, double stddev);
  /// exp(Normal(mu, sigma)).
  double lognormal(double mu, double sigma);
  /// Poisson with the given mean (0 <= mean <= 2^52): Knuth's product method for small
  /// means, the PTRS transformed-rejection method (Hörmann 1993) for mean >= 10.
  std::int64_t poisson(double mean);

 private:
  static constexpr double kMaxFinite = 1.7976931348623157e308;
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  [[noreturn]] static void bad_exponential_mean(double mean);
  double exponential_slow(std::uint64_t bits);

  std::array<std::uint64_t, 4> s_{};
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace selfheal::sim
