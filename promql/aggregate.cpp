// Aggregation operators with Prometheus 2.42's arithmetic: sum in input order, avg as an
// incremental mean (with its special cases for infinities), stddev/stdvar by Welford's
// method, max/min replacing a NaN. topk/bottomk keep a binary heap exactly as Go's
// container/heap does, so that among equal values the same elements are kept as in
// Prometheus given the same input order.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <utility>

#include "promql/eval.hpp"

namespace selfheal::promql::detail {
namespace {

struct Group {
  std::size_t key = 0;
  LabelsId labels = LabelTable::kNone;
  double value = 0;
  double mean = 0;
  std::int64_t count = 0;
  std::vector<Elem> heap;  ///< topk/bottomk candidates; quantile: all elements
};

// Go's container/heap over `h` with `less`.
template <typename Less>
void heap_up(std::vector<Elem>& h, std::size_t j, Less less) {
  while (j > 0) {
    std::size_t i = (j - 1) / 2;
    if (!less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    j = i;
  }
}
template <typename Less>
void heap_down(std::vector<Elem>& h, std::size_t i, std::size_t n, Less less) {
  for (;;) {
    std::size_t j = 2 * i + 1;
    if (j >= n) break;
    if (j + 1 < n && less(h[j + 1], h[j])) ++j;
    if (!less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    i = j;
  }
}
template <typename Less>
void heap_push(std::vector<Elem>& h, Elem s, Less less) {
  h.push_back(std::move(s));
  heap_up(h, h.size() - 1, less);
}
template <typename Less>
void heap_pop(std::vector<Elem>& h, Less less) {
  std::size_t n = h.size() - 1;
  std::swap(h[0], h[n]);
  heap_down(h, 0, n, less);
  h.pop_back();
}

bool topk_less(const Elem& a, const Elem& b) {
  return std::isnan(a.value) || a.value < b.value;
}
bool bottomk_less(const Elem& a, const Elem& b) {
  return std::isnan(a.value) || a.value > b.value;
}

void keep_k(Group& g, const Elem& s, std::int64_t k, bool top) {
  auto less = top ? topk_less : bottomk_less;
  double head = g.heap[0].value;
  bool better = top ? head < s.value : head > s.value;
  if (!(static_cast<std::int64_t>(g.heap.size()) < k || better || std::isnan(head))) return;
  if (static_cast<std::int64_t>(g.heap.size()) == k) {
    if (k == 1) {
      g.heap[0] = s;
      return;
    }
    heap_pop(g.heap, less);
  }
  heap_push(g.heap, s, less);
}

double quantile(double q, std::vector<Elem>& v) {
  if (v.empty() || std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(v.begin(), v.end(), [](const Elem& a, const Elem& b) {
    if (std::isnan(a.value)) return !std::isnan(b.value);
    return a.value < b.value;
  });
  double n = static_cast<double>(v.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return v[static_cast<std::size_t>(lower)].value * (1 - weight) +
         v[static_cast<std::size_t>(upper)].value * weight;
}

void add_to(Group& g, AggOp op, const Elem& s, std::int64_t k) {
  switch (op) {
    case AggOp::kSum:
      g.value += s.value;
      break;
    case AggOp::kAvg:
      g.count++;
      if (std::isinf(g.mean)) {
        if (std::isinf(s.value) && (g.mean > 0) == (s.value > 0)) break;
        if (!std::isinf(s.value) && !std::isnan(s.value)) break;
      }
      g.mean += s.value / static_cast<double>(g.count) - g.mean / static_cast<double>(g.count);
      break;
    case AggOp::kGroup:
      break;
    case AggOp::kMax:
      if (g.value < s.value || std::isnan(g.value)) g.value = s.value;
      break;
    case AggOp::kMin:
      if (g.value > s.value || std::isnan(g.value)) g.value = s.value;
      break;
    case AggOp::kCount:
      g.count++;
      break;
    case AggOp::kStddev:
    case AggOp::kStdvar: {
      g.count++;
      double delta = s.value - g.mean;
      g.mean += delta / static_cast<double>(g.count);
      g.value += delta * (s.value - g.mean);
      break;
    }
    case AggOp::kTopk:
      keep_k(g, s, k, true);
      break;
    case AggOp::kBottomk:
      keep_k(g, s, k, false);
      break;
    case AggOp::kQuantile:
      g.heap.push_back(s);
      break;
  }
}

// Group keys (an element's kept labels: `by` the listed ones, `without` the others but the
// name) interned in an AggKeys table, found by hashing the labels in place and comparing
// them with the key's: no key is built per element (this was half the cost of an
// aggregation over a few hundred series). With a series id or a label set id the key is
// remembered (AggKeys::key_of, key_of_labels): later evaluations look it up instead of hashing.
class KeyTable {
 public:
  KeyTable(const Node& n, AggKeys& t, LabelTable& labels) : n_(n), t_(t), labels_(labels) {}

  // The key of an element with these labels; `drop_name`: the element's labels are
  // `labels` without "__name__".
  std::size_t key(const SeriesView& sv, bool drop_name) {
    if (sv.id == SeriesView::kUnknown) return find(sv.labels, drop_name);
    if (sv.id >= t_.key_of.size()) t_.key_of.resize(sv.id + 1, AggKeys::kNoKey);
    std::size_t& k = t_.key_of[sv.id];
    if (k == AggKeys::kNoKey) k = find(sv.labels, drop_name);
    return k;
  }
  // The key of an element with labels `id`.
  std::size_t key(LabelsId id) {
    if (id >= t_.key_of_labels.size()) t_.key_of_labels.resize(id + 1, AggKeys::kNoKey);
    std::size_t k = t_.key_of_labels[id];
    if (k == AggKeys::kNoKey) {
      k = find(labels_[id], false);
      t_.key_of_labels[id] = k;  // after find: interning the key may have grown the table
    }
    return k;
  }
  std::size_t find(const Labels& labels, bool drop_name) {
    kept_.clear();
    std::size_t h = kSeed;
    for (const auto& l : labels) {
      if (!kept(l, drop_name)) continue;
      kept_.push_back(&l);
      h = (h ^ hash_text(l.name)) * kPrime;
      h = (h ^ hash_text(l.value)) * kPrime;
    }
    if (2 * (t_.keys.size() + 1) > t_.slots.size()) grow();
    const std::size_t mask = t_.slots.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      auto& [hash, index] = t_.slots[i];
      if (index == AggKeys::kNoKey) {
        hash = h;
        index = t_.keys.size();
        Labels key;
        key.reserve(kept_.size());
        for (const Label* l : kept_)
          key.push_back(*l);
        t_.keys.push_back(labels_.intern(std::move(key)));
        return index;
      }
      if (hash == h && same(labels_[t_.keys[index]])) return index;
    }
  }
  LabelsId labels(std::size_t key) const { return t_.keys[key]; }
  AggKeys& table() { return t_; }

 private:
  static constexpr std::size_t kSeed = 14695981039346656037ULL;  // FNV-1a's
  static constexpr std::size_t kPrime = 1099511628211ULL;
  static constexpr std::size_t kMinSlots = 16;

  static bool equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && (a.empty() || (a[0] == b[0] && a == b));
  }
  bool kept(const Label& l, bool drop_name) const {
    if (equal(l.name, "__name__") && (n_.without || drop_name)) return false;
    bool listed = false;
    for (const auto& g : n_.grouping)
      if (equal(l.name, g)) {
        listed = true;
        break;
      }
    return n_.without != listed;
  }
  bool same(const Labels& key) const {
    if (key.size() != kept_.size()) return false;
    for (std::size_t j = 0; j < key.size(); ++j)
      if (!equal(key[j].value, kept_[j]->value) || !equal(key[j].name, kept_[j]->name))
        return false;
    return true;
  }
  void grow() {
    std::vector<std::pair<std::size_t, std::size_t>> old(std::max(kMinSlots, 2 * t_.slots.size()),
                                                         {0, AggKeys::kNoKey});
    old.swap(t_.slots);
    const std::size_t mask = t_.slots.size() - 1;
    for (const auto& [hash, index] : old) {
      if (index == AggKeys::kNoKey) continue;
      std::size_t i = hash & mask;
      while (t_.slots[i].second != AggKeys::kNoKey)
        i = (i + 1) & mask;
      t_.slots[i] = {hash, index};
    }
  }

  const Node& n_;
  AggKeys& t_;
  LabelTable& labels_;
  std::vector<const Label*> kept_;  ///< the element's kept labels, during find
};

// This evaluation's groups, in order of first appearance. Indexed by key in the AggKeys'
// group_of (sized once for the keys known, entries reset when done), no map per evaluation.
class Groups {
 public:
  explicit Groups(KeyTable& keys) : keys_(keys), group_of_(keys.table().group_of) {
    groups_.reserve(keys.table().keys.size());
  }
  Groups(const Groups&) = delete;
  Groups& operator=(const Groups&) = delete;
  ~Groups() {
    for (const Group& g : groups_)
      group_of_[g.key] = AggKeys::kNoKey;
  }
  // The group of key `key`; `fresh` when it was just created.
  Group& of(std::size_t key, bool& fresh) {
    if (key >= group_of_.size())
      group_of_.resize(std::max(key + 1, keys_.table().keys.size()), AggKeys::kNoKey);
    std::size_t& g = group_of_[key];
    fresh = g == AggKeys::kNoKey;
    if (fresh) {
      g = groups_.size();
      groups_.emplace_back();
      groups_.back().key = key;
      groups_.back().labels = keys_.labels(key);
    }
    return groups_[g];
  }
  std::vector<Group>& all() { return groups_; }

 private:
  KeyTable& keys_;
  std::vector<std::size_t>& group_of_;  ///< key -> index in groups_, or kNoKey
  std::vector<Group> groups_;
};

void start_group(Group& g, AggOp op, const Elem& s) {
  g.value = s.value;
  g.mean = s.value;
  g.count = 1;
  if (op == AggOp::kStddev || op == AggOp::kStdvar) g.value = 0;
  if (op == AggOp::kGroup) g.value = 1;
  if (op == AggOp::kTopk || op == AggOp::kBottomk || op == AggOp::kQuantile) g.heap.push_back(s);
}

// Adds the elements of the aggregation's argument to `groups`, streaming them from the
// source when the argument allows it and the operator needs no element's labels.
// `in`: the argument, already evaluated, or null.
void collect(const Node& n, const Ctx& ctx, std::int64_t k, const Vec* in, KeyTable& keys,
             Groups& groups) {
  const bool streams = in == nullptr && n.agg != AggOp::kQuantile;
  bool fresh = false;
  if (streams &&
      stream_vector(*n.children.back(), ctx, [&](const SeriesView& sv, bool drop_name, double v) {
        const Elem s{LabelTable::kNone, v};  // the value is all add_to reads here
        Group& g = groups.of(keys.key(sv, drop_name), fresh);
        if (fresh) {
          start_group(g, n.agg, s);
        } else {
          add_to(g, n.agg, s, k);
        }
      }))
    return;
  Vec evaluated;
  if (in == nullptr) {
    evaluated = eval(*n.children.back(), ctx).vec;
    in = &evaluated;
  }
  for (const auto& s : *in) {
    Group& g = groups.of(keys.key(s.labels), fresh);
    if (fresh) {
      start_group(g, n.agg, s);
    } else {
      add_to(g, n.agg, s, k);
    }
  }
}

}  // namespace

Vec eval_aggregate(const Node& n, const Ctx& ctx) {
  double param = 0;
  std::int64_t k = 0;
  if (n.children.size() == 2) param = eval_scalar(*n.children[0], ctx);
  Vec in;  // topk/bottomk's argument, evaluated before k is checked (as Prometheus does)
  const bool by_rank = n.agg == AggOp::kTopk || n.agg == AggOp::kBottomk;
  if (by_rank) {
    in = eval(*n.children.back(), ctx).vec;
    constexpr double kMaxK = 9.2e18;  // Prometheus: "Scalar value ... overflows int64"
    if (std::isnan(param) || param >= kMaxK || param <= -kMaxK)
      eval_fail("Scalar value " + std::to_string(param) + " overflows int64");
    k = static_cast<std::int64_t>(param);
    if (k < 1) return {};
  }
  KeyTable keys{n, ctx.memo.aggregations[&n], ctx.labels()};
  Groups groups{keys};
  collect(n, ctx, k, by_rank ? &in : nullptr, keys, groups);
  Vec out;
  out.reserve(groups.all().size());
  for (auto& g : groups.all()) {
    double c = static_cast<double>(g.count);
    switch (n.agg) {
      case AggOp::kAvg:
        g.value = g.mean;
        break;
      case AggOp::kCount:
        g.value = c;
        break;
      case AggOp::kStdvar:
        g.value = g.value / c;
        break;
      case AggOp::kStddev:
        g.value = std::sqrt(g.value / c);
        break;
      case AggOp::kQuantile:
        g.value = quantile(param, g.heap);
        break;
      case AggOp::kTopk:
      case AggOp::kBottomk:
        for (auto& s : g.heap)
          out.push_back(std::move(s));
        continue;
      default:
        break;
    }
    out.push_back({g.labels, g.value});
  }
  return out;  // unique by construction: one element per group, or topk's distinct inputs
}

}  // namespace selfheal::promql::detail
