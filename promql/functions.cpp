// (Over 600 lines: the function table and the list of Prometheus's names take 110 of them.)
// The supported functions: the table the parser type-checks calls against, and their
// evaluation. Formulas follow Prometheus 2.42's promql/functions.go: rate/increase/delta
// extrapolate to the range boundaries (at most half an average sample interval past the
// first/last sample, never below a counter's zero), irate/idelta use the last two samples,
// sum_over_time/avg_over_time use Kahan-Neumaier summation, histogram_quantile interpolates
// linearly inside the bucket that holds the rank.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string_view>

#include "promql/eval.hpp"

namespace selfheal::promql::detail {
namespace {

constexpr double kMsPerSecond = 1000.0;
/// Prometheus extrapolates to a boundary only when it lies within 110% of the average
/// sample interval of the first/last sample.
constexpr double kExtrapolationThreshold = 1.1;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using S = Type;
const std::array<FunctionDef, 32> kFunctions{{
    {"abs", FuncId::kAbs, {S::kVector}, 1, S::kVector},
    {"ceil", FuncId::kCeil, {S::kVector}, 1, S::kVector},
    {"floor", FuncId::kFloor, {S::kVector}, 1, S::kVector},
    {"round", FuncId::kRound, {S::kVector, S::kScalar}, 1, S::kVector},
    {"sqrt", FuncId::kSqrt, {S::kVector}, 1, S::kVector},
    {"exp", FuncId::kExp, {S::kVector}, 1, S::kVector},
    {"ln", FuncId::kLn, {S::kVector}, 1, S::kVector},
    {"log2", FuncId::kLog2, {S::kVector}, 1, S::kVector},
    {"log10", FuncId::kLog10, {S::kVector}, 1, S::kVector},
    {"clamp", FuncId::kClamp, {S::kVector, S::kScalar, S::kScalar}, 3, S::kVector},
    {"clamp_min", FuncId::kClampMin, {S::kVector, S::kScalar}, 2, S::kVector},
    {"clamp_max", FuncId::kClampMax, {S::kVector, S::kScalar}, 2, S::kVector},
    {"absent", FuncId::kAbsent, {S::kVector}, 1, S::kVector},
    {"absent_over_time", FuncId::kAbsentOverTime, {S::kMatrix}, 1, S::kVector},
    {"time", FuncId::kTime, {}, 0, S::kScalar},
    {"vector", FuncId::kVector, {S::kScalar}, 1, S::kVector},
    {"scalar", FuncId::kScalar, {S::kVector}, 1, S::kScalar},
    {"rate", FuncId::kRate, {S::kMatrix}, 1, S::kVector},
    {"irate", FuncId::kIrate, {S::kMatrix}, 1, S::kVector},
    {"increase", FuncId::kIncrease, {S::kMatrix}, 1, S::kVector},
    {"delta", FuncId::kDelta, {S::kMatrix}, 1, S::kVector},
    {"idelta", FuncId::kIdelta, {S::kMatrix}, 1, S::kVector},
    {"changes", FuncId::kChanges, {S::kMatrix}, 1, S::kVector},
    {"resets", FuncId::kResets, {S::kMatrix}, 1, S::kVector},
    {"avg_over_time", FuncId::kAvgOverTime, {S::kMatrix}, 1, S::kVector},
    {"min_over_time", FuncId::kMinOverTime, {S::kMatrix}, 1, S::kVector},
    {"max_over_time", FuncId::kMaxOverTime, {S::kMatrix}, 1, S::kVector},
    {"sum_over_time", FuncId::kSumOverTime, {S::kMatrix}, 1, S::kVector},
    {"count_over_time", FuncId::kCountOverTime, {S::kMatrix}, 1, S::kVector},
    {"last_over_time", FuncId::kLastOverTime, {S::kMatrix}, 1, S::kVector},
    {"histogram_quantile", FuncId::kHistogramQuantile, {S::kScalar, S::kVector}, 2, S::kVector},
    {"label_replace",
     FuncId::kLabelReplace,
     {S::kVector, S::kString, S::kString, S::kString, S::kString},
     5,
     S::kVector},
}};

// Every function Prometheus 2.42 knows, to tell "unsupported" from "unknown".
constexpr std::array<std::string_view, 70> kPrometheusFunctions{"abs",
                                                                "absent",
                                                                "absent_over_time",
                                                                "acos",
                                                                "acosh",
                                                                "asin",
                                                                "asinh",
                                                                "atan",
                                                                "atanh",
                                                                "avg_over_time",
                                                                "ceil",
                                                                "changes",
                                                                "clamp",
                                                                "clamp_max",
                                                                "clamp_min",
                                                                "cos",
                                                                "cosh",
                                                                "count_over_time",
                                                                "days_in_month",
                                                                "day_of_month",
                                                                "day_of_week",
                                                                "day_of_year",
                                                                "deg",
                                                                "delta",
                                                                "deriv",
                                                                "exp",
                                                                "floor",
                                                                "histogram_count",
                                                                "histogram_sum",
                                                                "histogram_fraction",
                                                                "histogram_quantile",
                                                                "holt_winters",
                                                                "hour",
                                                                "idelta",
                                                                "increase",
                                                                "irate",
                                                                "label_replace",
                                                                "label_join",
                                                                "last_over_time",
                                                                "ln",
                                                                "log10",
                                                                "log2",
                                                                "max_over_time",
                                                                "min_over_time",
                                                                "minute",
                                                                "month",
                                                                "pi",
                                                                "predict_linear",
                                                                "present_over_time",
                                                                "quantile_over_time",
                                                                "rad",
                                                                "rate",
                                                                "resets",
                                                                "round",
                                                                "scalar",
                                                                "sgn",
                                                                "sin",
                                                                "sinh",
                                                                "sort",
                                                                "sort_desc",
                                                                "sqrt",
                                                                "stddev_over_time",
                                                                "stdvar_over_time",
                                                                "sum_over_time",
                                                                "tan",
                                                                "tanh",
                                                                "time",
                                                                "timestamp",
                                                                "vector",
                                                                "year"};

// Go's math.Max/math.Min: an infinity in the direction wins, then NaN (C's fmax/fmin would
// return the other operand).
double go_max(double a, double b) {
  if ((std::isinf(a) && a > 0) || (std::isinf(b) && b > 0)) return a > 0 && std::isinf(a) ? a : b;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  return a > b ? a : b;
}
double go_min(double a, double b) {
  if ((std::isinf(a) && a < 0) || (std::isinf(b) && b < 0)) return a < 0 && std::isinf(a) ? a : b;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  return a < b ? a : b;
}

// Kahan-Neumaier step, as Prometheus's kahanSumInc.
void kahan_inc(double inc, double& sum, double& c) {
  double t = sum + inc;
  if (std::abs(sum) >= std::abs(inc)) {
    c += (sum - t) + inc;
  } else {
    c += (inc - t) + sum;
  }
  sum = t;
}

double seconds(core::Duration d) {
  return static_cast<double>(d.count()) / kMsPerSecond;
}

// `no_drop`: the source says no sample of `s` is lower than its predecessor, so the reset
// scan would add nothing (result stays last - first, the same bits). `S`, here and below: a
// span of Sample or a SampleGrid.
// The parts of extrapolated_rate that depend on sample times only, for one range: a range
// function over a source's grids sees the same times for every series of a metric, so one
// call derives them once (the same operations on the same inputs: the same bits). So is the
// extrapolation factor of a series whose start is not moved to its zero point (every series
// of a counter far from zero): factor[is_rate], once known.
struct RateTimes {
  core::Duration from_start{-1}, from_end{-1};  ///< first sample - range start, end - last
  std::size_t count = 0;                        ///< 0: nothing derived yet
  double to_start = 0, to_end = 0, sampled = 0, avg_step = 0, threshold = 0, range_s = 0;
  /// to_start / sampled, rounded up past every rounding error of the zero-point check (see
  /// starts_past_zero); 0 when that check must be made in full.
  double zero_bound = 0;
  std::optional<double> factor[2];
};

/// Slack on zero_bound: (1 + 2^-40) outweighs the five roundings (each at most 2^-53
/// relative) between the exact ratio and the zero-point check's computed terms.
constexpr double kZeroBoundSlack = 1.0 + 0x1p-40;

// Whether a counter's zero point lies at or before the range start, i.e. extrapolated_rate's
// `sampled * (front / result) < to_start` is false, proven without its division. Needs
// result > 0 and front >= 0, as the check's caller has: then the left side is >= 0, so a
// window whose first sample is at its start (to_start 0: every window on the scrape grid)
// never moves; otherwise front >= result * zero_bound with the product normal gives
// front / result >= to_start / sampled by more than the roundings of either side
// (zero_bound's slack), so the computed check is false too. False (check in full) when the
// bound proves nothing (zero_bound 0, an overflow, an underflow, NaN).
bool starts_past_zero(double front, double result, double to_start, double zero_bound) {
  if (to_start <= 0) return true;
  const double scaled = result * zero_bound;
  return scaled >= std::numeric_limits<double>::min() &&
         scaled <= std::numeric_limits<double>::max() && front >= scaled;
}

// extrapolated_rate's factor for a window from `to_start` before its first sample.
double rate_factor(const RateTimes& times, double to_start, bool is_rate) {
  const double sampled = times.sampled;
  const double threshold = times.threshold;
  double interval = sampled;
  interval += to_start < threshold ? to_start : times.avg_step / 2;
  interval += times.to_end < threshold ? times.to_end : times.avg_step / 2;
  double factor = interval / sampled;
  if (is_rate) factor /= times.range_s;
  return factor;
}

template <typename S>
RateTimes& rate_times(const S& s, core::TimePoint range_start, core::TimePoint range_end,
                      core::Duration range, RateTimes& memo) {
  const core::Duration from_start = s.front().t - range_start;
  const core::Duration from_end = range_end - s.back().t;
  if (memo.count == s.size() && memo.from_start == from_start && memo.from_end == from_end)
    return memo;
  memo.from_start = from_start;
  memo.from_end = from_end;
  memo.count = s.size();
  memo.to_start = seconds(from_start);
  memo.to_end = seconds(from_end);
  memo.sampled = seconds(s.back().t - s.front().t);
  memo.avg_step = memo.sampled / static_cast<double>(s.size() - 1);
  memo.threshold = memo.avg_step * kExtrapolationThreshold;
  memo.range_s = seconds(range);
  memo.zero_bound = 0;
  if (memo.to_start > 0 && memo.sampled > 0) {
    const double ratio = memo.to_start / memo.sampled * kZeroBoundSlack;
    if (ratio >= std::numeric_limits<double>::min() && ratio <= std::numeric_limits<double>::max())
      memo.zero_bound = ratio;
  }
  memo.factor[0].reset();
  memo.factor[1].reset();
  return memo;
}

template <typename S>
std::optional<double> extrapolated_rate(const S& s, core::TimePoint range_start,
                                        core::TimePoint range_end, core::Duration range,
                                        bool is_counter, bool is_rate, bool no_drop,
                                        RateTimes& memo) {
  if (s.size() < 2) return std::nullopt;
  double result = s.back().v - s.front().v;
  if (is_counter && !no_drop) {
    double prev = s.front().v;
    for (const auto& p : s.subspan(1)) {
      if (p.v < prev) result += prev;
      prev = p.v;
    }
  }
  RateTimes& times = rate_times(s, range_start, range_end, range, memo);
  if (is_counter && result > 0 && s.front().v >= 0 &&
      !starts_past_zero(s.front().v, result, times.to_start, times.zero_bound)) {
    // A counter cannot go below zero: do not extrapolate past the point where it would be 0.
    const double to_zero = times.sampled * (s.front().v / result);
    if (to_zero < times.to_start) return result * rate_factor(times, to_zero, is_rate);
  }
  std::optional<double>& factor = times.factor[is_rate ? 1 : 0];
  if (!factor) factor = rate_factor(times, times.to_start, is_rate);
  return result * *factor;
}

template <typename S>
std::optional<double> instant_value(const S& s, bool is_rate) {
  if (s.size() < 2) return std::nullopt;
  const Sample last = s[s.size() - 1];
  const Sample prev = s[s.size() - 2];
  double result = (is_rate && last.v < prev.v) ? last.v : last.v - prev.v;
  auto interval = last.t - prev.t;
  if (interval.count() == 0) return std::nullopt;
  if (is_rate) result /= seconds(interval);
  return result;
}

template <typename S>
double avg_over_time(const S& s) {
  double mean = 0, count = 0, c = 0;
  for (const auto& p : s) {
    count++;
    if (std::isinf(mean)) {
      if (std::isinf(p.v) && (mean > 0) == (p.v > 0)) continue;
      if (!std::isinf(p.v) && !std::isnan(p.v)) continue;
    }
    kahan_inc(p.v / count - mean / count, mean, c);
  }
  return std::isinf(mean) ? mean : mean + c;
}

template <typename S>
std::optional<double> range_function(FuncId id, const S& s, core::TimePoint start,
                                     core::TimePoint end, core::Duration range, bool no_drop,
                                     RateTimes& memo) {
  switch (id) {
    case FuncId::kRate:
      return extrapolated_rate(s, start, end, range, true, true, no_drop, memo);
    case FuncId::kIncrease:
      return extrapolated_rate(s, start, end, range, true, false, no_drop, memo);
    case FuncId::kDelta:
      return extrapolated_rate(s, start, end, range, false, false, no_drop, memo);
    case FuncId::kIrate:
      return instant_value(s, true);
    case FuncId::kIdelta:
      return instant_value(s, false);
    default:
      break;
  }
  if (s.empty()) return std::nullopt;
  switch (id) {
    case FuncId::kChanges:
    case FuncId::kResets: {
      double n = 0;
      for (std::size_t i = 1; i < s.size(); ++i) {
        double prev = s[i - 1].v, cur = s[i].v;
        if (id == FuncId::kResets ? cur < prev
                                  : (cur != prev && !(std::isnan(cur) && std::isnan(prev))))
          n++;
      }
      return n;
    }
    case FuncId::kAvgOverTime:
      return avg_over_time(s);
    case FuncId::kMinOverTime:
    case FuncId::kMaxOverTime: {
      double m = s[0].v;
      for (const auto& p : s) {
        bool better = id == FuncId::kMaxOverTime ? p.v > m : p.v < m;
        if (better || std::isnan(m)) m = p.v;
      }
      return m;
    }
    case FuncId::kSumOverTime: {
      double sum = 0, c = 0;
      for (const Sample p : s)
        kahan_inc(p.v, sum, c);
      return std::isinf(sum) ? sum : sum + c;
    }
    case FuncId::kCountOverTime:
      return static_cast<double>(s.size());
    case FuncId::kLastOverTime:
      return s.back().v;
    default:
      eval_fail("internal: not a range function");
  }
}

// The first index in [lo, hi) whose sample's time satisfies `past` (hi when none), `past`
// false then true along ascending samples: a bisection.
template <typename S, typename Past>
std::size_t first_past(const S& s, std::size_t lo, std::size_t hi, Past past) {
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (past(s[mid].t)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// The samples of `s` in [start, end]. Samples are ascending (the source's contract): test
// the ends, usually already inside, then bisect rather than scan.
template <typename S>
S clip(const S& s, core::TimePoint start, core::TimePoint end) {
  std::size_t lo = 0;
  if (!s.empty() && s[0].t < start)
    lo = first_past(s, 0, s.size(), [&](core::TimePoint t) { return t >= start; });
  std::size_t hi = s.size();
  if (lo != hi && s[hi - 1].t > end)
    hi = first_past(s, lo, hi, [&](core::TimePoint t) { return t > end; });
  return s.subspan(lo, hi - lo);
}

// Where `in` starts in the series' samples.
std::size_t offset_in(const SeriesView& v, std::span<const Sample> in) {
  return static_cast<std::size_t>(in.data() - v.samples.data());
}
std::size_t offset_in(const SeriesView& v, const SampleGrid& in) {
  if (v.grid.stride == 0) return 0;
  return static_cast<std::size_t>((in.values - v.grid.values) / v.grid.stride);
}

// Whether no sample of `in` (a part of the series' samples) is lower than its predecessor,
// known without reading them: the source's last drop lies at or before `in`'s first sample.
template <typename S>
bool no_drop_in(const SeriesView& v, const S& in) {
  if (v.last_drop == SeriesView::kUnknown || in.empty()) return false;
  return v.last_drop <= offset_in(v, in);
}

const Node& unwrap_parens(const Node& n) {
  const Node* p = &n;
  while (p->kind == NodeKind::kParen)
    p = p->children[0].get();
  return *p;
}

// Labels absent() and absent_over_time() give their one element: the `=` matchers of a
// selector argument, except labels that have more than one matcher.
Labels absent_labels(const Node& arg) {
  const Node& n = unwrap_parens(arg);
  Labels out;
  if (n.kind != NodeKind::kSelector && n.kind != NodeKind::kMatrix) return out;
  std::vector<std::string> drop;
  for (const auto& m : n.matchers) {
    if (m.name == "__name__") continue;
    bool have =
        std::any_of(out.begin(), out.end(), [&](const Label& l) { return l.name == m.name; });
    if (m.op == Matcher::Op::kEq && !have) {
      out.push_back({m.name, m.value});
    } else {
      drop.push_back(m.name);
    }
  }
  std::erase_if(out, [&](const Label& l) {
    return std::find(drop.begin(), drop.end(), l.name) != drop.end();
  });
  std::erase_if(out, [](const Label& l) { return l.value.empty(); });
  sort_labels(out);
  return out;
}

Vec eval_range_call(const Node& n, const Ctx& ctx) {
  const Node& sel = unwrap_parens(*n.children[0]);
  FuncId id = n.function->id;
  core::TimePoint end = ctx.at - sel.offset;
  core::TimePoint start = end - sel.range;
  Vec out;
  bool any = false;
  RateTimes times;  // shared by the series of this call (rate_times)
  ctx.source.select_series(sel.matchers, start, end, [&](const SeriesView& sv) {
    with_samples(sv, [&](const auto& samples) {
      // Samples are ascending (the source's contract): bisect rather than scan the window.
      const auto in = clip(samples, start, end);
      if (in.empty()) return;
      any = true;
      if (id == FuncId::kAbsentOverTime) return;
      if (auto v = range_function(id, in, start, end, sel.range, no_drop_in(sv, in), times))
        out.push_back({ctx.labels().of_series(sv, id != FuncId::kLastOverTime), *v});
    });
  });
  if (id == FuncId::kAbsentOverTime && !any)
    out.push_back({ctx.labels().intern(absent_labels(sel)), 1});
  return out;
}

bool is_range_function(FuncId id) {
  switch (id) {
    case FuncId::kRate:
    case FuncId::kIrate:
    case FuncId::kIncrease:
    case FuncId::kDelta:
    case FuncId::kIdelta:
    case FuncId::kChanges:
    case FuncId::kResets:
    case FuncId::kAvgOverTime:
    case FuncId::kMinOverTime:
    case FuncId::kMaxOverTime:
    case FuncId::kSumOverTime:
    case FuncId::kCountOverTime:
    case FuncId::kLastOverTime:
      return true;
    default:
      return false;
  }
}

bool one_metric_name(const Node& sel) {
  return std::any_of(sel.matchers.begin(), sel.matchers.end(), [](const Matcher& m) {
    return m.name == "__name__" && m.op == Matcher::Op::kEq;
  });
}

}  // namespace

bool stream_vector(const Node& node, const Ctx& ctx, const StreamVisit& visit) {
  const Node& n = unwrap_parens(node);
  if (n.kind == NodeKind::kSelector) {
    core::TimePoint end = ctx.at - n.offset;
    core::TimePoint start = end - ctx.options.lookback;
    ctx.source.select_series(n.matchers, start, end, [&](const SeriesView& sv) {
      const auto v = with_samples(sv, [&](const auto& s) { return latest_in(s, start, end); });
      if (v) visit(sv, false, *v);  // as eval_selector
    });
    return true;
  }
  if (n.kind != NodeKind::kCall || !is_range_function(n.function->id)) return false;
  const Node& sel = unwrap_parens(*n.children[0]);
  const FuncId id = n.function->id;
  const bool drops = id != FuncId::kLastOverTime;
  // Dropping the name could make two elements alike (an error eval_call reports) only when
  // the selector reads more than one metric.
  if (sel.kind != NodeKind::kMatrix || (drops && !one_metric_name(sel))) return false;
  core::TimePoint end = ctx.at - sel.offset;
  core::TimePoint start = end - sel.range;
  RateTimes times;  // shared by the series of this call (rate_times)
  ctx.source.select_series(sel.matchers, start, end, [&](const SeriesView& sv) {
    with_samples(sv, [&](const auto& samples) {
      const auto in = clip(samples, start, end);
      if (in.empty()) return;
      if (auto v = range_function(id, in, start, end, sel.range, no_drop_in(sv, in), times))
        visit(sv, drops, *v);
    });
  });
  return true;
}

namespace {

template <typename F>
Vec map_values(Vec v, LabelTable& table, F f) {
  for (auto& s : v) {
    s.labels = table.without_name(s.labels);
    s.value = f(s.value);
  }
  return v;
}

using Unary = double (*)(double);

// The one-argument math functions, or nullptr.
Unary simple_math(FuncId id) {
  switch (id) {
    case FuncId::kAbs:
      return [](double x) { return std::abs(x); };
    case FuncId::kCeil:
      return [](double x) { return std::ceil(x); };
    case FuncId::kFloor:
      return [](double x) { return std::floor(x); };
    case FuncId::kSqrt:
      return [](double x) { return std::sqrt(x); };
    case FuncId::kExp:
      return [](double x) { return std::exp(x); };
    case FuncId::kLn:
      return [](double x) { return std::log(x); };
    case FuncId::kLog2:
      return [](double x) { return std::log2(x); };
    case FuncId::kLog10:
      return [](double x) { return std::log10(x); };
    default:
      return nullptr;
  }
}

using Bucket = BucketMemo::Bucket;

// `b` is sorted in place; `merged` is a buffer (its contents are replaced).
double bucket_quantile(double q, std::vector<Bucket>& b, std::vector<Bucket>& merged) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(b.begin(), b.end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  if (!(std::isinf(b.back().upper) && b.back().upper > 0)) return kNaN;
  merged.assign(1, b.front());  // buckets with the same bound add up
  for (std::size_t i = 1; i < b.size(); ++i) {
    if (b[i].upper == merged.back().upper) {
      merged.back().count += b[i].count;
    } else {
      merged.push_back(b[i]);
    }
  }
  double max = -std::numeric_limits<double>::infinity();  // counts must not decrease
  for (auto& x : merged) {
    if (x.count > max) {
      max = x.count;
    } else if (x.count < max) {
      x.count = max;
    }
  }
  if (merged.size() < 2) return kNaN;
  double observations = merged.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  std::size_t i = 0;
  while (i < merged.size() - 1 && !(merged[i].count >= rank))
    ++i;
  if (i == merged.size() - 1) return merged[merged.size() - 2].upper;
  if (i == 0 && merged[0].upper <= 0) return merged[0].upper;
  double start = 0, end = merged[i].upper, count = merged[i].count;
  if (i > 0) {
    start = merged[i - 1].upper;
    count -= merged[i - 1].count;
    rank -= merged[i - 1].count;
  }
  return start + (end - start) * (rank / count);
}

std::optional<double> parse_le(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string text(s);
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text == "+inf" || text == "inf" || text == "infinity" || text == "+infinity")
    return std::numeric_limits<double>::infinity();
  if (text == "-inf" || text == "-infinity") return -std::numeric_limits<double>::infinity();
  if (text == "nan") return kNaN;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || text.find_first_of("in") != std::string::npos)
    return std::nullopt;
  return v;
}

// What histogram_quantile reads of label set `id`: its group (the labels without `le`, the
// name included, as Prometheus groups buckets) and its bound, derived once per set.
const BucketMemo::Of& bucket_of(BucketMemo& memo, LabelTable& table, LabelsId id) {
  if (id >= memo.of.size()) memo.of.resize(id + 1);
  if (memo.of[id].known) return memo.of[id];
  BucketMemo::Of of;
  of.known = true;
  const Labels& labels = table[id];
  of.le = parse_le(label_value(labels, "le"));
  if (of.le) {
    Labels key;
    for (const auto& l : labels)
      if (l.name != "le") key.push_back(l);
    of.group = table.intern(std::move(key));
  }
  memo.of[id] = of;
  return memo.of[id];
}

// Ranks the groups of this evaluation not met before: `ranked` sorted again by labels.
// Groups are distinct label sets, so the order of any groups by rank is their label order.
void rank_groups(BucketMemo& memo, const LabelTable& table) {
  bool fresh = false;
  for (const LabelsId g : memo.groups) {
    if (g >= memo.rank.size()) memo.rank.resize(g + 1, BucketMemo::kNone);
    if (memo.rank[g] != BucketMemo::kNone) continue;
    memo.rank[g] = 0;  // met; ranked below
    memo.ranked.push_back(g);
    fresh = true;
  }
  if (!fresh) return;
  std::sort(memo.ranked.begin(), memo.ranked.end(),
            [&](LabelsId a, LabelsId b) { return table[a] < table[b]; });
  for (std::size_t i = 0; i < memo.ranked.size(); ++i)
    memo.rank[memo.ranked[i]] = static_cast<std::uint32_t>(i);
}

Vec histogram_quantile(double q, const Vec& in, BucketMemo& memo, LabelTable& table) {
  // Groups in order of first appearance, each one's buckets in input order (bucket_quantile's
  // sort is not stable: equal bounds must meet it in the same order), given out in label
  // order.
  memo.groups.clear();
  for (const auto& s : in) {
    const BucketMemo::Of& of = bucket_of(memo, table, s.labels);
    if (!of.le) continue;
    const Bucket bucket{*of.le, s.value};
    const LabelsId g = of.group;
    if (g >= memo.slot.size()) memo.slot.resize(g + 1, BucketMemo::kNone);
    std::uint32_t& slot = memo.slot[g];
    if (slot == BucketMemo::kNone) {
      slot = static_cast<std::uint32_t>(memo.groups.size());
      memo.groups.push_back(g);
      if (memo.buckets.size() < memo.groups.size()) memo.buckets.emplace_back();
      memo.buckets[slot].clear();
    }
    memo.buckets[slot].push_back(bucket);
  }
  rank_groups(memo, table);
  memo.order.resize(memo.groups.size());
  for (std::size_t i = 0; i < memo.order.size(); ++i)
    memo.order[i] = static_cast<std::uint32_t>(i);
  std::sort(memo.order.begin(), memo.order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return memo.rank[memo.groups[a]] < memo.rank[memo.groups[b]];
  });
  Vec out;
  out.reserve(memo.groups.size());
  for (const std::uint32_t i : memo.order)
    out.push_back(
        {table.without_name(memo.groups[i]), bucket_quantile(q, memo.buckets[i], memo.merged)});
  for (const LabelsId g : memo.groups)
    memo.slot[g] = BucketMemo::kNone;
  return out;
}

// round, clamp, clamp_min, clamp_max: a vector and scalar parameters.
Vec eval_with_params(const Node& n, const Ctx& ctx) {
  const auto& a = n.children;
  Vec v = eval(*a[0], ctx).vec;
  switch (n.function->id) {
    case FuncId::kRound: {
      double inv = 1 / (a.size() > 1 ? eval_scalar(*a[1], ctx) : 1);
      return map_values(std::move(v), ctx.labels(),
                        [inv](double x) { return std::floor(x * inv + 0.5) / inv; });
    }
    case FuncId::kClampMin: {
      double lo = eval_scalar(*a[1], ctx);
      return map_values(std::move(v), ctx.labels(), [lo](double x) { return go_max(lo, x); });
    }
    case FuncId::kClampMax: {
      double hi = eval_scalar(*a[1], ctx);
      return map_values(std::move(v), ctx.labels(), [hi](double x) { return go_min(hi, x); });
    }
    default: {
      double lo = eval_scalar(*a[1], ctx), hi = eval_scalar(*a[2], ctx);
      if (hi < lo) return {};
      return map_values(std::move(v), ctx.labels(),
                        [lo, hi](double x) { return go_max(lo, go_min(hi, x)); });
    }
  }
}

}  // namespace

Vec label_replace(Vec v, LabelTable& table, const std::string& dst, const std::string& repl,
                  const std::string& src, const std::string& regex);  // label_replace.cpp

const FunctionDef* find_function(std::string_view name) {
  for (const auto& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool is_prometheus_function(std::string_view name) {
  return std::find(kPrometheusFunctions.begin(), kPrometheusFunctions.end(), name) !=
         kPrometheusFunctions.end();
}

Val eval_call(const Node& n, const Ctx& ctx) {
  Val out;
  out.type = n.type;
  const auto& a = n.children;
  FuncId id = n.function->id;
  auto vec_arg = [&](std::size_t i) { return eval(*a[i], ctx).vec; };
  switch (id) {
    case FuncId::kTime:
      out.scalar = static_cast<double>(core::to_unix_ms(ctx.at)) / kMsPerSecond;
      return out;
    case FuncId::kVector:
      out.vec.push_back({ctx.labels().intern(Labels{}), eval_scalar(*a[0], ctx)});
      return out;
    case FuncId::kScalar: {
      Vec v = vec_arg(0);
      out.scalar = v.size() == 1 ? v[0].value : kNaN;
      return out;
    }
    case FuncId::kAbsent:
      if (vec_arg(0).empty()) out.vec.push_back({ctx.labels().intern(absent_labels(*a[0])), 1});
      return out;
    case FuncId::kHistogramQuantile: {
      double q = eval_scalar(*a[0], ctx);
      out.vec = histogram_quantile(q, vec_arg(1), ctx.memo.buckets[&n], ctx.labels());
      break;
    }
    case FuncId::kLabelReplace:
      out.vec = label_replace(vec_arg(0), ctx.labels(), eval(*a[1], ctx).str, eval(*a[2], ctx).str,
                              eval(*a[3], ctx).str, eval(*a[4], ctx).str);
      break;
    case FuncId::kRound:
    case FuncId::kClamp:
    case FuncId::kClampMin:
    case FuncId::kClampMax:
      out.vec = eval_with_params(n, ctx);
      break;
    default:
      if (Unary f = simple_math(id)) {
        out.vec = map_values(vec_arg(0), ctx.labels(), [f](double x) { return f(x); });
      } else {
        out.vec = eval_range_call(n, ctx);
      }
      break;
  }
  check_unique(out.vec);
  return out;
}

}  // namespace selfheal::promql::detail
