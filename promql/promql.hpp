// selfheal::promql — a PromQL evaluator for the subset alert rules and verification checks
// use (docs/promql.md), with Prometheus 2.x semantics: instant queries at one time point over
// a `SeriesSource` the caller provides (the simulator's telemetry, a test fixture).
//
// Ownership and units: an `Expr` is immutable and cheap to copy (it shares its tree). Times are
// `core::TimePoint` (integer milliseconds); sample values are doubles. Nothing here reads the
// wall clock or keeps state between calls: the same source, expression and time give the
// same `Value`, bit for bit.
//
//   auto e = promql::parse("sum by (service) (rate(http_requests_total{code=~\"5..\"}[5m]))");
//   if (!e) return e.error();              // "unsupported function 'predict_linear' at 12"
//   promql::MemorySource src;
//   src.add({{"__name__", "http_requests_total"}, {"code", "500"}, {"service", "api"}},
//           {{t0, 1}, {t0 + 1min, 7}});
//   auto v = promql::evaluate(*e, src, t0 + 1min);   // Value{kVector, {{{service=api}, 0.1}}}
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace re2 {
class RE2;  // <re2/re2.h>, included where patterns are compiled and matched
}  // namespace re2

namespace selfheal::promql {

struct Label {
  std::string name, value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};
/// A series' identity, sorted by name, names unique. A raw series carries its metric name as
/// the label "__name__"; results of functions and operators that drop the name do not.
using Labels = std::vector<Label>;

/// The value of label `name`, or "" when absent (Prometheus treats both alike).
std::string_view label_value(const Labels& labels, std::string_view name);
/// Sorts by name (stable on duplicates; callers must not pass duplicates).
void sort_labels(Labels& labels);
/// Prometheus's text form: `name{a="x", b="y"}` (the name omitted when there is none; values
/// escaped as Prometheus prints them).
std::string format_labels(const Labels& labels);

struct Sample {
  core::TimePoint t;
  double v = 0;
};

/// A label matcher. `kRe`/`kNre` are fully anchored RE2 regular expressions, as Prometheus's
/// (Go's regexp syntax; docs/promql.md). The parser compiles each pattern once, into `re`;
/// a matcher built by hand is compiled with `compile`.
///
///   Matcher m{"code", Matcher::Op::kRe, "5.."};
///   std::string err;
///   if (!compile(m, &err)) return err;  // "invalid regular expression ... for label 'code'"
///   matches(m, "503");                  // true
struct Matcher {
  enum class Op { kEq, kNe, kRe, kNre };
  Matcher() = default;
  Matcher(std::string n, Op o, std::string v) : name(std::move(n)), op(o), value(std::move(v)) {}

  std::string name;
  Op op = Op::kEq;
  std::string value;
  /// kRe/kNre: `value` compiled (shared by copies of the matcher); null for = and != and
  /// before `compile`.
  std::shared_ptr<const re2::RE2> re;
};

/// Compiles a regex matcher's pattern into `m.re` (= and != need nothing: true). False, with
/// `error` naming the pattern, the label and RE2's reason, when the pattern is not valid.
/// The one place selfheal compiles a label regex.
bool compile(Matcher& m, std::string* error);

/// Samples at regular times laid out with a stride: a source keeping a metric's series side
/// by side, one row per scrape, hands out a window without copying it. Sample i is at
/// `first + i * step` with value `values[i * stride]`. Reads like a span of Sample.
///
///   SampleGrid g{rows + column, width, t0, 15s, 20};  // 20 samples, 15 s apart
///   g[3];  // Sample{t0 + 45s, rows[column + 3 * width]}
struct SampleGrid {
  const double* values = nullptr;
  std::ptrdiff_t stride = 1;  ///< in doubles
  core::TimePoint first;
  core::Duration step{0};
  std::size_t count = 0;

  std::size_t size() const { return count; }
  bool empty() const { return count == 0; }
  Sample operator[](std::size_t i) const {
    return {first + step * static_cast<std::int64_t>(i),
            values[static_cast<std::ptrdiff_t>(i) * stride]};
  }
  Sample front() const { return (*this)[0]; }
  Sample back() const { return (*this)[count - 1]; }
  /// Samples [offset, offset + n) (n clipped to what is left).
  SampleGrid subspan(std::size_t offset, std::size_t n = static_cast<std::size_t>(-1)) const {
    return {values + static_cast<std::ptrdiff_t>(offset) * stride, stride,
            first + step * static_cast<std::int64_t>(offset), step, std::min(n, count - offset)};
  }
  struct Iterator {
    const SampleGrid* grid;
    std::size_t i;
    Sample operator*() const { return (*grid)[i]; }
    Iterator& operator++() {
      ++i;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return i != o.i; }
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, count}; }
};

/// One series as a source hands it to `SeriesSource::select_series`'s visitor; valid only
/// for the duration of the call.
struct SeriesView {
  static constexpr std::size_t kUnknown = static_cast<std::size_t>(-1);
  const Labels& labels;
  /// The samples, unless `grid` holds them (then this is empty).
  std::span<const Sample> samples;
  /// The source's stable number for this series (never reused for other labels while the
  /// source lives), or kUnknown: lets an evaluation cache what it derives from the labels.
  std::size_t id = kUnknown;
  /// The index of the last sample lower than its predecessor in `samples` (a counter
  /// reset), 0 when none is, or kUnknown when the source does not track it (the evaluator
  /// then scans). "Lower" is `<`: NaN is never lower.
  std::size_t last_drop = kUnknown;
  /// The samples when the source keeps them strided (`samples` then empty), as `samples`'s.
  SampleGrid grid{};
};

/// The data an expression reads.
class SeriesSource {
 public:
  virtual ~SeriesSource() = default;
  using SeriesVisit = std::function<void(const SeriesView&)>;
  /// As select, with each series' id and counter-reset position (SeriesView). The default
  /// forwards to select with both unknown; the evaluator calls this one.
  virtual void select_series(std::span<const Matcher> matchers, core::TimePoint start,
                             core::TimePoint end, const SeriesVisit& visit) const;
  /// Calls `visit` once per series matching every matcher (a missing label matches as ""),
  /// with that series' samples in [start, end] (both inclusive), ascending t, no duplicate t.
  /// A series with no sample in the window may be skipped or visited with an empty span.
  /// `labels` and `samples` need only live for the duration of the call.
  virtual void select(
      std::span<const Matcher> matchers, core::TimePoint start, core::TimePoint end,
      const std::function<void(const Labels&, std::span<const Sample>)>& visit) const = 0;
};

/// Whether `value` satisfies `m` (a missing label is ""). A regex matcher not yet compiled
/// (`m.re` null) compiles its pattern for this call only, and an invalid pattern matches
/// nothing: compile matchers built by hand before calling this per series.
bool matches(const Matcher& m, std::string_view value);

/// A SeriesSource over series held in memory: for tests, fixtures and small simulated data.
/// `add` appends samples to the series with exactly these labels (created on first use);
/// samples must be added in ascending time per series.
class MemorySource final : public SeriesSource {
 public:
  MemorySource();
  ~MemorySource() override;
  MemorySource(MemorySource&&) noexcept;
  MemorySource& operator=(MemorySource&&) noexcept;

  void add(Labels labels, std::span<const Sample> samples);
  void add(Labels labels, std::initializer_list<Sample> samples) {
    add(std::move(labels), std::span<const Sample>(samples.begin(), samples.size()));
  }
  std::size_t series_count() const;

  /// Ids are the order series were first added in; last_drop is tracked.
  void select_series(std::span<const Matcher> matchers, core::TimePoint start, core::TimePoint end,
                     const SeriesVisit& visit) const override;
  void select(
      std::span<const Matcher> matchers, core::TimePoint start, core::TimePoint end,
      const std::function<void(const Labels&, std::span<const Sample>)>& visit) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// What an expression yields at top level. Range vectors and strings are parse errors at top
/// level (a rule or check must give an instant vector or a scalar).
enum class ValueType { kScalar, kVector };

namespace detail {
struct Node;
}

/// A parsed expression: immutable, cheap to copy and share between threads.
class Expr {
 public:
  ValueType type() const;
  /// The text it was parsed from.
  const std::string& text() const;
  /// Every selector's matchers (the metric name as an `__name__` kEq matcher), in text order:
  /// lets a caller check at load time that the series an expression reads exist.
  std::vector<std::vector<Matcher>> selectors() const;

  explicit Expr(std::shared_ptr<const detail::Node> root, std::string text);
  const detail::Node& root() const { return *root_; }

 private:
  std::shared_ptr<const detail::Node> root_;
  std::shared_ptr<const std::string> text_;
};

/// Parses `text`. Errors name the construct and the 0-based byte offset, e.g.
/// "unsupported function 'predict_linear' at 12", "unexpected ')' at 7; expected an expression".
/// Everything outside the subset of docs/promql.md is an error, never silently ignored.
core::Result<Expr> parse(std::string_view text);

struct Series {
  Labels labels;
  double value = 0;
};

/// An instant query's result. For kVector, `vector` is sorted by labels (Prometheus leaves
/// the order unspecified except for sort(); sorting makes ours deterministic).
struct Value {
  enum class Kind { kScalar, kVector };
  Kind kind = Kind::kVector;
  double scalar = 0;
  std::vector<Series> vector;
};

/// What repeated evaluations of one expression over one source may reuse (a rule evaluated
/// every interval): derived from series labels only, keyed by the source's series ids
/// (SeriesView::id), so it never goes stale while ids keep their labels. Bound to the first
/// expression and source it is used with; used with another, it starts over. Not shared
/// between threads.
class EvalCache {
 public:
  EvalCache();
  ~EvalCache();
  EvalCache(EvalCache&&) noexcept;
  EvalCache& operator=(EvalCache&&) noexcept;
  /// A copy of this cache bound to `source` instead of its own, which must answer exactly as
  /// the bound source does now: a copy of it (the same catalogue, series ids and samples —
  /// a forked world's, scenario::WorldRunner::fork). What it memoises is label sets and
  /// their ids, never samples.
  EvalCache rebound(const SeriesSource& source) const;
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct EvalOptions {
  /// How far back an instant selector looks for the most recent sample (Prometheus's
  /// --query.lookback-delta).
  core::Duration lookback = std::chrono::minutes(5);
  /// Reused between evaluations when given (results are the same with or without).
  EvalCache* cache = nullptr;
};

/// Evaluates `expr` at `at`. Errors are evaluation errors Prometheus also raises (e.g.
/// "vector cannot contain metrics with the same labelset", many-to-many matching without
/// group_left/group_right), never unsupported constructs (parse rejects those).
core::Result<Value> evaluate(const Expr& expr, const SeriesSource& source, core::TimePoint at,
                             const EvalOptions& options = {});

}  // namespace selfheal::promql
