// Exact, mergeable statistics of one metric over many runs.
//
// Values are fixed-point integers (the metric table in sweep/run_values.hpp says the unit of
// one step: 1 ms, 1e-4 of a ratio, 1e-3 of a minute, 1 count). Sums are exact 128-bit
// integers and the histogram counts values by key, so adding runs in any order, on any
// thread or shard, and merging the pieces in any order gives identical results — what lets
// `selfheal sweep --jobs 2` and `selfheal merge` reproduce a serial sweep to the byte.
//
// Memory is bounded whatever the number of runs: the histogram keeps exact values until it
// holds kExactLimit distinct ones, then switches to log-linear buckets (1,024 per power of
// two: a percentile is then within 0.1% of the true value, exact below 2,048 steps). Whether
// it switched depends only on the set of values seen, so merging stays exact.
//
//   Accumulator a;
//   for (auto v : {3, 5, 4}) a.add(v);
//   a.mean();            // 4.0
//   a.percentile(50);    // 4  (nearest rank)
//   a.ci95();            // {1.515..., 6.484...}: mean +- t(0.975, n-1) * s / sqrt(n)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace selfheal::sweep {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

std::string to_string(Int128 v);
/// Parses what to_string wrote; false on anything else.
bool parse_int128(const std::string& s, Int128& out);

/// The two-sided 95% critical value of Student's t with `df` degrees of freedom (exact table
/// to 30, a Cornish-Fisher expansion above; 1.959964 as df grows).
double t_critical_95(std::uint64_t df);

/// The 95% Wilson score interval of a proportion `p` (in [0, 1]) observed over `n` trials,
/// clamped to [0, 1]; {p, p} when n is 0. Unlike the t-interval it never collapses to a
/// point at p = 0 or 1: 0 out of 100 gives [0, 0.037]. For a mean of values in [0, 1] that
/// are not 0/1 (a per-run ratio), it is conservative: such values vary at most p(1 - p).
///   wilson_95(0.5, 100)   // {0.404, 0.596}
std::pair<double, double> wilson_95(double p, std::uint64_t n);

class Accumulator {
 public:
  static constexpr std::size_t kExactLimit = 4096;

  void add(std::int64_t v);
  void merge(const Accumulator& other);

  std::uint64_t count() const { return n_; }
  Int128 sum() const { return sum_; }
  Int128 sum_squares() const { return sumsq_; }
  std::int64_t min() const { return min_; }  ///< 0 when count() == 0
  std::int64_t max() const { return max_; }
  double mean() const;
  double stddev() const;  ///< sample standard deviation; 0 below two values
  /// 95% confidence interval of the mean (Student's t); {mean, mean} below two values.
  /// Rates use wilson_95 instead (sweep/report.cpp summarize).
  std::pair<double, double> ci95() const;
  /// Nearest-rank percentile, p in (0, 100]; 0 when empty.
  std::int64_t percentile(int p) const;

  bool bucketed() const { return bucketed_; }
  const std::map<std::int64_t, std::uint64_t>& histogram() const { return hist_; }

  /// Rebuilds an accumulator from its parts (a shard file); false when they are
  /// inconsistent (counts do not add up, min/max outside the histogram, ...).
  static bool restore(std::uint64_t n, Int128 sum, Int128 sumsq, std::int64_t min, std::int64_t max,
                      bool bucketed, std::map<std::int64_t, std::uint64_t> hist, Accumulator& out);

  /// The bucket key of `v`: v itself below 2,048 in magnitude, else v with all but its
  /// 11 leading bits cleared (toward zero). Idempotent.
  static std::int64_t bucket(std::int64_t v);

  bool operator==(const Accumulator&) const = default;

 private:
  void coarsen();

  std::uint64_t n_ = 0;
  Int128 sum_ = 0;
  Int128 sumsq_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
  bool bucketed_ = false;
  std::map<std::int64_t, std::uint64_t> hist_;
};

}  // namespace selfheal::sweep
