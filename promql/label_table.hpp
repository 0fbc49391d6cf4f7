// Interned label sets (internal to promql/): every label set an evaluation reads or builds
// gets a small integer id, equal ids exactly for equal sets, so that vector elements carry
// ids instead of copies, and grouping, matching and the duplicate-label-set check compare
// integers (bench/README.md, "Rule evaluation carries label-set ids and reads rows").
//
//   LabelTable t;
//   const LabelsId a = t.intern(Labels{{"__name__", "up"}, {"job", "api"}});
//   t.intern(Labels{{"__name__", "up"}, {"job", "api"}}) == a;  // the same set, the same id
//   t.without_name(a);  // the id of {job="api"}, derived once
//   t[a];               // the set itself
//
// Ownership: the table owns the sets; a reference from operator[] stays valid as long as the
// table (sets are never moved). Ids are dense from 0 and never reused. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "promql/promql.hpp"

namespace selfheal::promql::detail {

using LabelsId = std::uint32_t;

class LabelTable {
 public:
  static constexpr LabelsId kNone = ~LabelsId{0};

  /// The id of `labels` (sorted by name, names unique), added when new.
  LabelsId intern(const Labels& labels);
  LabelsId intern(Labels&& labels);
  const Labels& operator[](LabelsId id) const { return sets_[id]; }
  /// How many distinct sets were interned.
  std::size_t size() const { return sets_.size(); }
  /// The id of set `id` without "__name__" (itself when it has none), derived once per id.
  LabelsId without_name(LabelsId id);
  /// The id of a source's series labels: remembered by SeriesView::id when the source gives
  /// one (a source never reuses an id for other labels), interned from the labels otherwise.
  /// With `drop_name`, of the labels without "__name__".
  LabelsId of_series(const SeriesView& series, bool drop_name = false);

 private:
  static std::size_t hash(const Labels& labels);
  /// The id of `labels`, or kNone when absent; `slot` is where it would go.
  LabelsId find(const Labels& labels, std::size_t h, std::size_t& slot) const;
  LabelsId add(Labels labels, std::size_t h);
  void grow();

  std::deque<Labels> sets_;            ///< by id (a deque: references stay valid)
  std::vector<std::size_t> hashes_;    ///< by id
  std::vector<LabelsId> slots_;        ///< open addressing over ids, kNone when empty
  std::vector<LabelsId> without_;      ///< by id: without_name's answer, or kNone
  std::vector<LabelsId> series_;       ///< by source series id: of_series's answer, or kNone
  std::vector<LabelsId> series_bare_;  ///< the same without the name
};

}  // namespace selfheal::promql::detail
