// The evaluator's internals (internal to promql/): values during evaluation and the entry
// points of the files that evaluate each kind of node.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "promql/ast.hpp"
#include "promql/label_table.hpp"
#include "promql/promql.hpp"

namespace selfheal::promql::detail {

/// An instant vector's element during evaluation: its labels as an id of the evaluation's
/// LabelTable (Ctx::labels), converted to a Series only in evaluate's result.
struct Elem {
  LabelsId labels = LabelTable::kNone;
  double value = 0;
};
using Vec = std::vector<Elem>;

/// An evaluation error (Prometheus raises the same): thrown inside, returned by evaluate().
struct EvalError {
  std::string message;
};
[[noreturn]] void eval_fail(std::string message);

/// An aggregation's group keys (EvalCache): `keys` are the distinct kept label sets (a
/// key's index; its labels' id in the LabelTable), `key_of[id]` is series id's key,
/// `key_of_labels[id]` a label set id's, or kNoKey.
struct AggKeys {
  static constexpr std::size_t kNoKey = static_cast<std::size_t>(-1);
  std::vector<LabelsId> keys;
  std::vector<std::size_t> key_of;
  std::vector<std::size_t> key_of_labels;
  std::vector<std::pair<std::size_t, std::size_t>> slots;  ///< (hash, key) open addressing
  /// One evaluation's: key -> index of its group, kNoKey outside an evaluation (kept for
  /// its capacity).
  std::vector<std::size_t> group_of;
};

/// A binary operator's matching (EvalCache): `sig_of[id]` is label set id's signature
/// number (dense, per operator; kNone until derived), `result_of[id]` the result labels of a
/// one-to-one match with a left element of set id, `group_result` those of a
/// group_left/group_right match by (left id, right id).
struct MatchMemo {
  std::vector<LabelsId> sig_of;
  std::vector<std::pair<std::size_t, LabelsId>> sigs;  ///< (hash, a set with it) by number
  std::unordered_multimap<std::size_t, std::uint32_t> sig_index;  ///< hash -> number
  std::vector<LabelsId> result_of;
  std::unordered_map<std::uint64_t, LabelsId> group_result;
};

/// histogram_quantile's view of each input label set (EvalCache): its group (the labels
/// without `le`) and its bucket bound (`le` parsed; no value: not a bucket); each group's
/// rank in label order among the groups met so far (results are given out in that order);
/// and the buffers of one evaluation, kept for their capacity.
struct BucketMemo {
  struct Of {
    bool known = false;
    LabelsId group = LabelTable::kNone;
    std::optional<double> le;
  };
  struct Bucket {
    double upper;
    double count;
  };
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  std::vector<Of> of;
  std::vector<std::uint32_t> rank;  ///< by group id: its index in `ranked`, or kNone
  std::vector<LabelsId> ranked;     ///< every group met, sorted by labels
  // One evaluation's: by group id its index in `groups` (kNone outside an evaluation), the
  // groups in order of first appearance, each one's buckets in input order.
  std::vector<std::uint32_t> slot;
  std::vector<LabelsId> groups;
  std::vector<std::vector<Bucket>> buckets;
  std::vector<Bucket> merged;        ///< bucket_quantile's
  std::vector<std::uint32_t> order;  ///< indices in `groups`, by rank
};

}  // namespace selfheal::promql::detail

namespace selfheal::promql {
struct EvalCache::Impl {
  std::optional<Expr> expr;  ///< bound to (keeps the nodes, the maps' keys, alive)
  const SeriesSource* source = nullptr;
  detail::LabelTable labels;  ///< every label set of the evaluations' elements
  std::unordered_map<const detail::Node*, detail::AggKeys> aggregations;
  std::unordered_map<const detail::Node*, detail::MatchMemo> matches;
  std::unordered_map<const detail::Node*, detail::BucketMemo> buckets;
};
}  // namespace selfheal::promql

namespace selfheal::promql::detail {

/// `memo` is the caller's EvalCache, or one for this evaluation only: never null.
struct Ctx {
  const SeriesSource& source;
  core::TimePoint at;
  EvalOptions options;
  EvalCache::Impl& memo;
  LabelTable& labels() const { return memo.labels; }
};

}  // namespace selfheal::promql::detail

namespace selfheal::promql::detail {

/// A value during evaluation: a scalar, a string or an instant vector (range vectors are only
/// read inside the functions that take them, never materialised).
struct Val {
  Type type = Type::kScalar;
  double scalar = 0;
  std::string str;
  Vec vec;
};

Val eval(const Node& n, const Ctx& ctx);
Val eval_call(const Node& n, const Ctx& ctx);       // functions.cpp
Vec eval_aggregate(const Node& n, const Ctx& ctx);  // aggregate.cpp
Val eval_binary(const Node& n, const Ctx& ctx);     // binary.cpp

/// `labels` without "__name__".
Labels drop_name(Labels labels);
/// Whether two elements of `v` have the same labels (the same id); with `part` (one entry per
/// element), only two elements of the same part count.
bool has_duplicate_labels(const Vec& v, std::span<const std::size_t> part = {});
/// Fails with Prometheus's "vector cannot contain metrics with the same labelset" when two
/// elements share their labels.
void check_unique(const Vec& v);
/// The bytes identifying `labels` for matching and grouping: only `names` when `on`, else all
/// but `names` (and, when `drop_metric`, "__name__").
std::string signature(const Labels& labels, bool on, const std::vector<std::string>& names);
/// FNV-1a over `text`, as a step of a label set's hash (label names and values are short:
/// this is several times cheaper than std::hash there).
inline std::size_t hash_text(std::string_view text) {
  constexpr std::size_t kOffset = 14695981039346656037ULL, kPrime = 1099511628211ULL;
  std::size_t h = kOffset;
  for (const char c : text)
    h = (h ^ static_cast<unsigned char>(c)) * kPrime;
  return h;
}
/// A hash of what signature() keeps, and whether two label sets have the same signature:
/// matching without building the signatures.
std::size_t signature_hash(const Labels& labels, bool on, const std::vector<std::string>& names);
bool same_signature(const Labels& a, const Labels& b, bool on,
                    const std::vector<std::string>& names);
/// Visits the elements of instant-vector node `n` without building them, in the order eval
/// gives them, when `n` is a selector or a range function over one (the common argument of
/// an aggregation): `labels` are the source's (valid during the call), `drop_name` says the
/// element's labels are those without "__name__". Returns false, visiting nothing, for any
/// other node, or when dropping the name could make two elements alike (eval then fails).
using StreamVisit = std::function<void(const SeriesView& series, bool drop_name, double value)>;
bool stream_vector(const Node& n, const Ctx& ctx, const StreamVisit& visit);
/// Calls `f` with the samples of `series`: its grid when the source gave one, else its span
/// (both read alike: size, [i], front, back, subspan, iteration).
template <typename F>
decltype(auto) with_samples(const SeriesView& series, F&& f) {
  if (!series.grid.empty()) return f(series.grid);
  return f(series.samples);
}
/// The value of the latest sample of `s` in [start, end], as an instant selector reads it.
template <typename S>
std::optional<double> latest_in(const S& s, core::TimePoint start, core::TimePoint end) {
  for (std::size_t i = s.size(); i-- > 0;) {
    const Sample x = s[i];
    if (x.t <= end && x.t >= start) return x.v;
  }
  return std::nullopt;
}
/// Evaluates a scalar-typed node to its value.
double eval_scalar(const Node& n, const Ctx& ctx);

}  // namespace selfheal::promql::detail
