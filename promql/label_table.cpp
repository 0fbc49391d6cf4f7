// Open addressing over ids with their hashes kept beside them: a lookup hashes the set once
// and compares only sets whose hashes agree. The table at most half full.
#include "promql/label_table.hpp"

#include <algorithm>

#include "promql/eval.hpp"

namespace selfheal::promql::detail {
namespace {
constexpr std::size_t kMinSlots = 64;
constexpr std::size_t kSeparator = 0xff;  // between a name and its value, as in signature()
}  // namespace

std::size_t LabelTable::hash(const Labels& labels) {
  constexpr std::size_t kPrime = 1099511628211ULL;  // FNV-1a's
  std::size_t h = 14695981039346656037ULL;
  for (const auto& l : labels) {
    h = (h ^ hash_text(l.name)) * kPrime;
    h = (h ^ kSeparator) * kPrime;
    h = (h ^ hash_text(l.value)) * kPrime;
  }
  return h;
}

LabelsId LabelTable::find(const Labels& labels, std::size_t h, std::size_t& slot) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const LabelsId id = slots_[i];
    if (id == kNone) {
      slot = i;
      return kNone;
    }
    if (hashes_[id] == h && sets_[id] == labels) return id;
  }
}

LabelsId LabelTable::add(Labels labels, std::size_t h) {
  if (2 * (sets_.size() + 1) > slots_.size()) grow();
  std::size_t slot = 0;
  const LabelsId found = find(labels, h, slot);
  if (found != kNone) return found;
  const auto id = static_cast<LabelsId>(sets_.size());
  sets_.push_back(std::move(labels));
  hashes_.push_back(h);
  without_.push_back(kNone);
  slots_[slot] = id;
  return id;
}

LabelsId LabelTable::intern(const Labels& labels) {
  const std::size_t h = hash(labels);
  if (!slots_.empty()) {
    std::size_t slot = 0;
    const LabelsId found = find(labels, h, slot);
    if (found != kNone) return found;
  }
  return add(labels, h);
}

LabelsId LabelTable::intern(Labels&& labels) {
  const std::size_t h = hash(labels);
  if (!slots_.empty()) {
    std::size_t slot = 0;
    const LabelsId found = find(labels, h, slot);
    if (found != kNone) return found;
  }
  return add(std::move(labels), h);
}

void LabelTable::grow() {
  slots_.assign(std::max(kMinSlots, 2 * slots_.size()), kNone);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t id = 0; id < sets_.size(); ++id) {
    std::size_t i = hashes_[id] & mask;
    while (slots_[i] != kNone)
      i = (i + 1) & mask;
    slots_[i] = static_cast<LabelsId>(id);
  }
}

LabelsId LabelTable::without_name(LabelsId id) {
  if (without_[id] != kNone) return without_[id];
  const Labels& l = sets_[id];
  const bool named =
      std::any_of(l.begin(), l.end(), [](const Label& x) { return x.name == "__name__"; });
  const LabelsId bare = named ? intern(drop_name(l)) : id;
  without_[id] = bare;  // after intern: it may have grown without_
  return bare;
}

LabelsId LabelTable::of_series(const SeriesView& series, bool drop_name) {
  if (series.id == SeriesView::kUnknown) {
    const LabelsId id = intern(series.labels);
    return drop_name ? without_name(id) : id;
  }
  std::vector<LabelsId>& memo = drop_name ? series_bare_ : series_;
  if (series.id >= memo.size()) memo.resize(series.id + 1, kNone);
  if (memo[series.id] != kNone) return memo[series.id];
  LabelsId id = intern(series.labels);
  if (drop_name) id = without_name(id);
  memo[series.id] = id;
  return id;
}

}  // namespace selfheal::promql::detail
