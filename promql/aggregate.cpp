// Aggregation operators with Prometheus 2.42's arithmetic: sum in input order, avg as an
// incremental mean (with its special cases for infinities), stddev/stdvar by Welford's
// method, max/min replacing a NaN. topk/bottomk keep a binary heap exactly as Go's
// container/heap does, so that among equal values the same elements are kept as in
// Prometheus given the same input order.
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "promql/eval.hpp"

namespace selfheal::promql::detail {
namespace {

struct Group {
  Labels labels;
  double value = 0;
  double mean = 0;
  std::int64_t count = 0;
  std::vector<Series> heap;  ///< topk/bottomk candidates; quantile: all elements
};

// Go's container/heap over `h` with `less`.
template <typename Less>
void heap_up(std::vector<Series>& h, std::size_t j, Less less) {
  while (j > 0) {
    std::size_t i = (j - 1) / 2;
    if (!less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    j = i;
  }
}
template <typename Less>
void heap_down(std::vector<Series>& h, std::size_t i, std::size_t n, Less less) {
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
void heap_push(std::vector<Series>& h, Series s, Less less) {
  h.push_back(std::move(s));
  heap_up(h, h.size() - 1, less);
}
template <typename Less>
void heap_pop(std::vector<Series>& h, Less less) {
  std::size_t n = h.size() - 1;
  std::swap(h[0], h[n]);
  heap_down(h, 0, n, less);
  h.pop_back();
}

bool topk_less(const Series& a, const Series& b) {
  return std::isnan(a.value) || a.value < b.value;
}
bool bottomk_less(const Series& a, const Series& b) {
  return std::isnan(a.value) || a.value > b.value;
}

void keep_k(Group& g, const Series& s, std::int64_t k, bool top) {
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

double quantile(double q, std::vector<Series>& v) {
  if (v.empty() || std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(v.begin(), v.end(), [](const Series& a, const Series& b) {
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

void add_to(Group& g, AggOp op, const Series& s, std::int64_t k) {
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

Labels group_labels(const Labels& l, const Node& n) {
  Labels out;
  for (const auto& x : l) {
    bool listed = std::find(n.grouping.begin(), n.grouping.end(), x.name) != n.grouping.end();
    if (n.without ? (!listed && x.name != "__name__") : listed) out.push_back(x);
  }
  return out;
}

}  // namespace

Vec eval_aggregate(const Node& n, const Ctx& ctx) {
  double param = 0;
  std::int64_t k = 0;
  if (n.children.size() == 2) param = eval_scalar(*n.children[0], ctx);
  Vec in = eval(*n.children.back(), ctx).vec;
  if (n.agg == AggOp::kTopk || n.agg == AggOp::kBottomk) {
    constexpr double kMaxK = 9.2e18;  // Prometheus: "Scalar value ... overflows int64"
    if (std::isnan(param) || param >= kMaxK || param <= -kMaxK)
      eval_fail("Scalar value " + std::to_string(param) + " overflows int64");
    k = static_cast<std::int64_t>(param);
    if (k < 1) return {};
  }
  std::unordered_map<std::string, std::size_t> index;
  std::vector<Group> groups;
  for (const auto& s : in) {
    // The group's labels are built only for a new group; the key comes from the input's.
    auto [it, fresh] = index.emplace(signature(s.labels, !n.without, n.grouping), groups.size());
    if (!fresh) {
      add_to(groups[it->second], n.agg, s, k);
      continue;
    }
    Group g;
    g.labels = group_labels(s.labels, n);
    g.value = s.value;
    g.mean = s.value;
    g.count = 1;
    if (n.agg == AggOp::kStddev || n.agg == AggOp::kStdvar) g.value = 0;
    if (n.agg == AggOp::kGroup) g.value = 1;
    if (n.agg == AggOp::kTopk || n.agg == AggOp::kBottomk || n.agg == AggOp::kQuantile)
      g.heap.push_back(s);
    groups.push_back(std::move(g));
  }
  Vec out;
  for (auto& g : groups) {
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
    out.push_back({std::move(g.labels), g.value});
  }
  return out;  // unique by construction: one element per group, or topk's distinct inputs
}

}  // namespace selfheal::promql::detail
