// Series in a std::map keyed by their labels, so select() visits them in label order whatever
// the order they were added in. A selector with `__name__="x"` (most do) scans only the
// series of that name, through an index kept in the same label order; any other selector
// scans every series. Meant for fixtures, tests and small simulated data.
#include <algorithm>
#include <map>

#include "promql/ast.hpp"
#include "promql/promql.hpp"

namespace selfheal::promql {

void SeriesSource::select_series(std::span<const Matcher> matchers, core::TimePoint start,
                                 core::TimePoint end, const SeriesVisit& visit) const {
  select(matchers, start, end, [&](const Labels& labels, std::span<const Sample> s) {
    visit(SeriesView{labels, s, SeriesView::kUnknown, SeriesView::kUnknown});
  });
}

struct MemorySource::Impl {
  struct Stored {
    std::vector<Sample> samples;
    /// Per sample: the index of the last sample at or before it lower than its
    /// predecessor, or 0 (SeriesView::last_drop without a scan).
    std::vector<std::size_t> drop_upto;
    std::size_t id = 0;
  };
  using Map = std::map<Labels, Stored>;
  Map series;
  /// Metric name -> its series, in label order (map nodes do not move).
  std::map<std::string, std::vector<const Map::value_type*>, std::less<>> by_name;
};

MemorySource::MemorySource() : impl_(std::make_unique<Impl>()) {}
MemorySource::~MemorySource() = default;
MemorySource::MemorySource(MemorySource&&) noexcept = default;
MemorySource& MemorySource::operator=(MemorySource&&) noexcept = default;

void MemorySource::add(Labels labels, std::span<const Sample> samples) {
  sort_labels(labels);
  const std::size_t next_id = impl_->series.size();
  auto [it, fresh] = impl_->series.try_emplace(std::move(labels));
  Impl::Stored& st = it->second;
  for (const Sample& x : samples) {
    const std::size_t i = st.samples.size();
    const bool drop = i > 0 && x.v < st.samples.back().v;
    st.drop_upto.push_back(drop ? i : (i > 0 ? st.drop_upto.back() : 0));
    st.samples.push_back(x);
  }
  if (!fresh) return;
  st.id = next_id;
  auto& index = impl_->by_name[std::string(label_value(it->first, "__name__"))];
  const auto* entry = &*it;
  index.insert(std::lower_bound(index.begin(), index.end(), entry,
                                [](const auto* a, const auto* b) { return a->first < b->first; }),
               entry);
}

std::size_t MemorySource::series_count() const {
  return impl_->series.size();
}

void MemorySource::select(
    std::span<const Matcher> matchers, core::TimePoint start, core::TimePoint end,
    const std::function<void(const Labels&, std::span<const Sample>)>& visit) const {
  select_series(matchers, start, end, [&](const SeriesView& v) { visit(v.labels, v.samples); });
}

void MemorySource::select_series(std::span<const Matcher> matchers, core::TimePoint start,
                                 core::TimePoint end, const SeriesVisit& visit) const {
  auto ok_for = [&](const Labels& labels) {
    return std::all_of(matchers.begin(), matchers.end(),
                       [&](const Matcher& m) { return matches(m, label_value(labels, m.name)); });
  };
  auto each = [&](const Impl::Map::value_type& entry) {
    const Labels& labels = entry.first;
    const std::vector<Sample>& samples = entry.second.samples;
    if (!ok_for(labels)) return;
    auto lo = std::lower_bound(samples.begin(), samples.end(), start,
                               [](const Sample& s, core::TimePoint t) { return s.t < t; });
    auto hi = std::upper_bound(samples.begin(), samples.end(), end,
                               [](core::TimePoint t, const Sample& s) { return t < s.t; });
    if (lo >= hi) return;
    const auto first = static_cast<std::size_t>(lo - samples.begin());
    const std::size_t drop =
        entry.second.drop_upto[static_cast<std::size_t>(hi - samples.begin()) - 1];
    visit(SeriesView{labels, std::span<const Sample>(&*lo, static_cast<std::size_t>(hi - lo)),
                     entry.second.id, drop > first ? drop - first : 0});
  };
  auto named = std::find_if(matchers.begin(), matchers.end(), [](const Matcher& m) {
    return m.name == "__name__" && m.op == Matcher::Op::kEq;
  });
  if (named == matchers.end()) {
    for (const auto& entry : impl_->series)
      each(entry);
    return;
  }
  auto it = impl_->by_name.find(named->value);
  if (it == impl_->by_name.end()) return;
  for (const auto* entry : it->second)
    each(*entry);
}

}  // namespace selfheal::promql
