// Instant selectors, unary minus, parentheses, and the API entry point. Selectors read the
// source over [at - offset - lookback, at - offset] (both ends inclusive, as Prometheus 2.x)
// and keep each series' latest sample; there are no staleness markers in our sources, so
// the lookback alone decides whether a series is present.
#include <algorithm>
#include <string_view>
#include <tuple>

#include "promql/eval.hpp"

namespace selfheal::promql {
namespace detail {

namespace {
constexpr std::size_t kHashMultiplier = 1'000'003;
}  // namespace

void eval_fail(std::string message) {
  throw EvalError{std::move(message)};
}

Labels drop_name(Labels labels) {
  std::erase_if(labels, [](const Label& l) { return l.name == "__name__"; });
  return labels;
}

bool has_duplicate_labels(const Vec& v, std::span<const std::size_t> part) {
  if (v.size() < 2) return false;
  // Equal sets have equal ids (LabelTable): sort the (part, id) pairs and compare neighbours.
  std::vector<std::pair<std::size_t, LabelsId>> ids;
  ids.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    ids.emplace_back(part.empty() ? 0 : part[i], v[i].labels);
  std::sort(ids.begin(), ids.end());
  return std::adjacent_find(ids.begin(), ids.end()) != ids.end();
}

void check_unique(const Vec& v) {
  if (has_duplicate_labels(v)) eval_fail("vector cannot contain metrics with the same labelset");
}

std::string signature(const Labels& labels, bool on, const std::vector<std::string>& names) {
  std::string out;
  for (const auto& l : labels) {
    bool listed = std::find(names.begin(), names.end(), l.name) != names.end();
    if (on ? !listed : (listed || l.name == "__name__")) continue;
    out += l.name;
    out += '\xff';
    out += l.value;
    out += '\xff';
  }
  return out;
}

namespace {
bool matching_kept(const Label& l, bool on, const std::vector<std::string>& names) {
  bool listed = std::find(names.begin(), names.end(), l.name) != names.end();
  return on ? listed : !(listed || l.name == "__name__");
}
}  // namespace

std::size_t signature_hash(const Labels& labels, bool on, const std::vector<std::string>& names) {
  std::size_t x = 0;
  for (const auto& l : labels) {
    if (!matching_kept(l, on, names)) continue;
    x = x * kHashMultiplier + hash_text(l.name);
    x = x * kHashMultiplier + hash_text(l.value);
  }
  return x;
}

bool same_signature(const Labels& a, const Labels& b, bool on,
                    const std::vector<std::string>& names) {
  auto i = a.begin(), j = b.begin();
  for (;;) {
    while (i != a.end() && !matching_kept(*i, on, names))
      ++i;
    while (j != b.end() && !matching_kept(*j, on, names))
      ++j;
    if (i == a.end() || j == b.end()) return i == a.end() && j == b.end();
    if (!(*i == *j)) return false;
    ++i;
    ++j;
  }
}

double eval_scalar(const Node& n, const Ctx& ctx) {
  Val v = eval(n, ctx);
  return v.scalar;
}

namespace {

Vec eval_selector(const Node& n, const Ctx& ctx) {
  core::TimePoint end = ctx.at - n.offset;
  core::TimePoint start = end - ctx.options.lookback;
  Vec out;
  ctx.source.select_series(n.matchers, start, end, [&](const SeriesView& sv) {
    // The source promises [start, end]; guard anyway so a loose source cannot change results.
    const auto v = with_samples(sv, [&](const auto& s) { return latest_in(s, start, end); });
    if (v) out.push_back({ctx.labels().of_series(sv), *v});
  });
  return out;
}

}  // namespace

Val eval(const Node& n, const Ctx& ctx) {
  Val v;
  v.type = n.type;
  switch (n.kind) {
    case NodeKind::kNumber:
      v.scalar = n.number;
      return v;
    case NodeKind::kString:
      v.str = n.text;
      return v;
    case NodeKind::kSelector:
      v.vec = eval_selector(n, ctx);
      return v;
    case NodeKind::kMatrix:
      eval_fail("internal: range vector evaluated outside a function");
    case NodeKind::kParen:
      return eval(*n.children[0], ctx);
    case NodeKind::kCall:
      return eval_call(n, ctx);
    case NodeKind::kAggregate:
      v.vec = eval_aggregate(n, ctx);
      return v;
    case NodeKind::kBinary:
      return eval_binary(n, ctx);
    case NodeKind::kUnary: {
      v = eval(*n.children[0], ctx);
      if (v.type == Type::kScalar) {
        v.scalar = -v.scalar;
        return v;
      }
      for (auto& s : v.vec) {
        s.labels = ctx.labels().without_name(s.labels);
        s.value = -s.value;
      }
      check_unique(v.vec);
      return v;
    }
  }
  eval_fail("internal: unknown node");
}

}  // namespace detail

EvalCache::EvalCache() : impl_(std::make_unique<Impl>()) {}
EvalCache::~EvalCache() = default;
EvalCache::EvalCache(EvalCache&&) noexcept = default;
EvalCache& EvalCache::operator=(EvalCache&&) noexcept = default;
EvalCache EvalCache::rebound(const SeriesSource& source) const {
  EvalCache c;
  *c.impl_ = *impl_;
  if (c.impl_->source != nullptr) c.impl_->source = &source;
  return c;
}

core::Result<Value> evaluate(const Expr& expr, const SeriesSource& source, core::TimePoint at,
                             const EvalOptions& options) {
  EvalCache::Impl local;  // without a cache: what this evaluation derives
  EvalCache::Impl* memo = &local;
  if (options.cache != nullptr) {
    memo = &options.cache->impl();
    if (!memo->expr || &memo->expr->root() != &expr.root() || memo->source != &source) {
      *memo = EvalCache::Impl{};  // another expression or source: start over
      memo->expr.emplace(expr);
      memo->source = &source;
    }
  }
  detail::Ctx ctx{source, at, options, *memo};
  try {
    detail::Val v = detail::eval(expr.root(), ctx);
    Value out;
    if (v.type == detail::Type::kScalar) {
      out.kind = Value::Kind::kScalar;
      out.scalar = v.scalar;
      return out;
    }
    out.kind = Value::Kind::kVector;
    const detail::LabelTable& table = memo->labels;
    // Sources usually visit series in label order, and most operators keep it.
    auto by_labels = [&](const detail::Elem& a, const detail::Elem& b) {
      return a.labels != b.labels && table[a.labels] < table[b.labels];
    };
    if (!std::is_sorted(v.vec.begin(), v.vec.end(), by_labels))
      std::sort(v.vec.begin(), v.vec.end(), by_labels);
    out.vector.reserve(v.vec.size());
    for (const auto& e : v.vec)
      out.vector.push_back({table[e.labels], e.value});
    return out;
  } catch (const detail::EvalError& e) {
    return core::Error(e.message);
  }
}

}  // namespace selfheal::promql
