#include "sweep/stats.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

namespace selfheal::sweep {

std::string to_string(Int128 v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  // Work on the magnitude as unsigned so the most negative value does not overflow.
  UInt128 m = neg ? -static_cast<UInt128>(v) : static_cast<UInt128>(v);
  std::string s;
  while (m > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  }
  if (neg) s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

bool parse_int128(const std::string& s, Int128& out) {
  std::size_t i = 0;
  const bool neg = !s.empty() && s[0] == '-';
  if (neg) i = 1;
  if (i >= s.size() || s.size() - i > 39) return false;
  UInt128 m = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    m = m * 10 + static_cast<unsigned>(s[i] - '0');
  }
  // 39 digits can exceed the range; reject what does not fit.
  constexpr UInt128 kMax = ~static_cast<UInt128>(0) >> 1;
  if (m > kMax + (neg ? 1 : 0)) return false;
  out = neg ? static_cast<Int128>(-m) : static_cast<Int128>(m);
  return true;
}

namespace {
/// The standard normal's 97.5% quantile: the two-sided 95% critical value.
constexpr double kNormal975 = 1.959963984540054;
}  // namespace

double t_critical_95(std::uint64_t df) {
  static constexpr std::array<double, 31> kTable = {
      0.0,    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
      2.2010, 2.1788,  2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796,
      2.0739, 2.0687,  2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df == 0) return 0.0;
  if (df <= 30) return kTable[df];
  const double z = kNormal975;
  const double d = static_cast<double>(df);
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  const double g1 = (z3 + z) / 4.0;
  const double g2 = (5 * z5 + 16 * z3 + 3 * z) / 96.0;
  const double g3 = (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / 384.0;
  return z + g1 / d + g2 / (d * d) + g3 / (d * d * d);
}

std::int64_t Accumulator::bucket(std::int64_t v) {
  const std::uint64_t mag =
      v < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  if (mag < 2048) return v;
  const int shift = (63 - std::countl_zero(mag)) - 10;  // keep the 11 leading bits
  const std::uint64_t kept = (mag >> shift) << shift;
  return v < 0 ? -static_cast<std::int64_t>(kept) : static_cast<std::int64_t>(kept);
}

void Accumulator::add(std::int64_t v) {
  if (n_ == 0) {
    min_ = max_ = v;
  } else {
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  ++n_;
  sum_ += v;
  sumsq_ += static_cast<Int128>(v) * v;
  ++hist_[bucketed_ ? bucket(v) : v];
  if (!bucketed_ && hist_.size() > kExactLimit) coarsen();
}

void Accumulator::coarsen() {
  std::map<std::int64_t, std::uint64_t> h;
  for (const auto& [k, c] : hist_)
    h[bucket(k)] += c;
  hist_ = std::move(h);
  bucketed_ = true;
}

void Accumulator::merge(const Accumulator& o) {
  if (o.n_ == 0) return;
  if (n_ == 0) {
    *this = o;
    return;
  }
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
  n_ += o.n_;
  sum_ += o.sum_;
  sumsq_ += o.sumsq_;
  if (o.bucketed_ && !bucketed_) coarsen();
  for (const auto& [k, c] : o.hist_)
    hist_[bucketed_ ? bucket(k) : k] += c;
  if (!bucketed_ && hist_.size() > kExactLimit) coarsen();
}

double Accumulator::mean() const {
  if (n_ == 0) return 0.0;
  return static_cast<double>(static_cast<long double>(sum_) / static_cast<long double>(n_));
}

double Accumulator::stddev() const {
  if (n_ < 2) return 0.0;
  // n * sum(x^2) - (sum x)^2 is exact in 128 bits for our ranges (|x| < 2^40, n < 2^30),
  // and never negative, so the variance carries no cancellation error.
  const Int128 n = static_cast<Int128>(n_);
  const Int128 num = n * sumsq_ - sum_ * sum_;
  const long double var = static_cast<long double>(num) /
                          (static_cast<long double>(n_) * static_cast<long double>(n_ - 1));
  return static_cast<double>(std::sqrt(std::max<long double>(var, 0.0L)));
}

std::pair<double, double> wilson_95(double p, std::uint64_t n) {
  if (n == 0) return {p, p};
  p = std::clamp(p, 0.0, 1.0);
  const double z = kNormal975;
  const double nn = static_cast<double>(n);
  const double z2n = z * z / nn;
  const double centre = (p + z2n / 2.0) / (1.0 + z2n);
  const double half = z / (1.0 + z2n) * std::sqrt(p * (1.0 - p) / nn + z2n / (4.0 * nn));
  // At p = 0 (1) the lower (upper) bound is exactly 0 (1); rounding would leave 1e-18.
  const double lo = p <= 0.0 ? 0.0 : std::max(0.0, centre - half);
  const double hi = p >= 1.0 ? 1.0 : std::min(1.0, centre + half);
  return {lo, hi};
}

std::pair<double, double> Accumulator::ci95() const {
  const double m = mean();
  if (n_ < 2) return {m, m};
  const double half = t_critical_95(n_ - 1) * stddev() / std::sqrt(static_cast<double>(n_));
  return {m - half, m + half};
}

std::int64_t Accumulator::percentile(int p) const {
  if (n_ == 0) return 0;
  p = std::clamp(p, 1, 100);
  // Nearest rank: the smallest value with at least ceil(p/100 * n) values at or below it.
  const std::uint64_t rank = (static_cast<std::uint64_t>(p) * n_ + 99) / 100;
  std::uint64_t seen = 0;
  for (const auto& [k, c] : hist_) {
    seen += c;
    if (seen >= rank) return std::clamp(k, min_, max_);
  }
  return max_;
}

bool Accumulator::restore(std::uint64_t n, Int128 sum, Int128 sumsq, std::int64_t min,
                          std::int64_t max, bool bucketed,
                          std::map<std::int64_t, std::uint64_t> hist, Accumulator& out) {
  std::uint64_t total = 0;
  for (const auto& [k, c] : hist) {
    if (c == 0) return false;
    if (bucketed && bucket(k) != k) return false;
    total += c;
  }
  if (total != n) return false;
  if (n > 0 && min > max) return false;
  if (!bucketed && hist.size() > kExactLimit) return false;
  out = Accumulator{};
  out.n_ = n;
  out.sum_ = sum;
  out.sumsq_ = sumsq;
  out.min_ = n ? min : 0;
  out.max_ = n ? max : 0;
  out.bucketed_ = bucketed;
  out.hist_ = std::move(hist);
  return true;
}

}  // namespace selfheal::sweep
