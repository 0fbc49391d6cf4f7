// Binary operators with Prometheus 2.42's rules: arithmetic drops the metric name;
// comparisons filter (keeping the vector side's value and name) unless `bool`, which gives
// 0/1 and drops the name; one-to-one matching with `on` keeps only the `on` labels;
// group_left/group_right copy the listed labels from the "one" side; and/or/unless match on
// all labels but the name (or the on/ignoring set) and never compute values.
#include <algorithm>
#include <cmath>
#include <vector>

#include "promql/eval.hpp"

namespace selfheal::promql::detail {
namespace {

bool drops_name(BinOp op) {
  return op == BinOp::kAdd || op == BinOp::kSub || op == BinOp::kMul || op == BinOp::kDiv ||
         op == BinOp::kMod || op == BinOp::kPow;
}

// Go's math.Mod: the result has the sign of x, as std::fmod.
double arith(BinOp op, double l, double r) {
  switch (op) {
    case BinOp::kAdd:
      return l + r;
    case BinOp::kSub:
      return l - r;
    case BinOp::kMul:
      return l * r;
    case BinOp::kDiv:
      return l / r;
    case BinOp::kPow:
      return std::pow(l, r);
    case BinOp::kMod:
      return std::fmod(l, r);
    default:
      return 0;
  }
}

bool compare(BinOp op, double l, double r) {
  switch (op) {
    case BinOp::kEq:
      return l == r;
    case BinOp::kNe:
      return l != r;
    case BinOp::kGt:
      return l > r;
    case BinOp::kLt:
      return l < r;
    case BinOp::kGe:
      return l >= r;
    case BinOp::kLe:
      return l <= r;
    default:
      return false;
  }
}

// (value, keep) of one element pair, as Prometheus's vectorElemBinop.
std::pair<double, bool> elem(BinOp op, double l, double r) {
  if (is_comparison(op)) return {l, compare(op, l, r)};
  return {arith(op, l, r), true};
}

Vec vector_scalar(BinOp op, Vec v, double scalar, bool scalar_left, bool return_bool) {
  Vec out;
  out.reserve(v.size());
  for (auto& s : v) {
    double l = scalar_left ? scalar : s.value;
    double r = scalar_left ? s.value : scalar;
    auto [value, keep] = elem(op, l, r);
    if (is_comparison(op) && scalar_left) value = r;  // keep the vector's value
    if (return_bool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    if (drops_name(op) || return_bool) s.labels = drop_name(std::move(s.labels));
    s.value = value;
    out.push_back(std::move(s));
  }
  return out;
}

// The elements of `v` by signature hash, to find an element's match without building
// signatures.
class SignatureIndex {
 public:
  SignatureIndex(const Node& n, const Vec& v) : n_(n), v_(v) {
    index_.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
      index_.emplace_back(hash(v[i].labels), i);
    std::sort(index_.begin(), index_.end());  // one allocation, not one per element
  }
  std::size_t hash(const Labels& l) const { return signature_hash(l, n_.on, n_.matching_labels); }
  // The first element (in `v`'s order) with the signature of `l`, or npos; `skip` excluded.
  std::size_t find(const Labels& l, std::size_t skip = kNone) const {
    std::size_t best = kNone;
    const std::size_t h = hash(l);
    auto it = std::lower_bound(index_.begin(), index_.end(), std::pair{h, std::size_t{0}});
    for (; it != index_.end() && it->first == h; ++it) {
      if (it->second == skip || it->second >= best) continue;
      if (same_signature(v_[it->second].labels, l, n_.on, n_.matching_labels)) best = it->second;
    }
    return best;
  }
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

 private:
  const Node& n_;
  const Vec& v_;
  std::vector<std::pair<std::size_t, std::size_t>> index_;  ///< (hash, element), sorted
};

Vec set_op(const Node& n, Vec lhs, Vec rhs) {
  Vec out;
  if (n.op == BinOp::kOr) {
    SignatureIndex left{n, lhs};
    std::vector<Series> add;
    for (auto& s : rhs) {
      if (left.find(s.labels) == SignatureIndex::kNone) add.push_back(std::move(s));
    }
    out = std::move(lhs);
    for (auto& s : add)
      out.push_back(std::move(s));
    return out;
  }
  SignatureIndex right{n, rhs};
  bool want = n.op == BinOp::kAnd;
  for (auto& s : lhs) {
    if ((right.find(s.labels) != SignatureIndex::kNone) == want) out.push_back(std::move(s));
  }
  return out;
}

Labels result_labels(const Labels& l, const Labels& r, const Node& n) {
  Labels out;
  for (const auto& x : l) {
    if (drops_name(n.op) && x.name == "__name__") continue;
    if (n.card == Card::kOneToOne) {
      bool listed = std::find(n.matching_labels.begin(), n.matching_labels.end(), x.name) !=
                    n.matching_labels.end();
      if (n.on != listed) continue;
    }
    out.push_back(x);
  }
  for (const auto& name : n.include) {
    std::erase_if(out, [&](const Label& x) { return x.name == name; });
    std::string_view v = label_value(r, name);
    if (!v.empty()) out.push_back({name, std::string(v)});
  }
  // A subsequence of `l` is sorted already: only included labels need sorting in.
  if (!n.include.empty()) sort_labels(out);
  if (n.return_bool) out = drop_name(std::move(out));
  return out;
}

Vec vector_vector(const Node& n, Vec lhs, Vec rhs) {
  if (lhs.empty() || rhs.empty()) return {};
  bool swapped = n.card == Card::kOneToMany;
  if (swapped) std::swap(lhs, rhs);
  SignatureIndex right{n, rhs};
  for (std::size_t i = 0; i < rhs.size(); ++i) {
    std::size_t first = right.find(rhs[i].labels);
    if (first < i) {
      eval_fail("found duplicate series for the match group on the " +
                std::string(swapped ? "left" : "right") + " hand-side of the operation: [" +
                format_labels(rhs[i].labels) + ", " + format_labels(rhs[first].labels) +
                "];many-to-many matching not allowed: matching labels must be unique on one side");
    }
  }
  // Per right element (one per signature): whether matched (one-to-one), or the result
  // label sets it gave (group_left/group_right).
  std::vector<char> matched(rhs.size(), 0);
  std::vector<std::size_t> right_of;  // group_left/right: out[i]'s right element
  Vec out;
  for (const auto& ls : lhs) {
    const std::size_t j = right.find(ls.labels);
    if (j == SignatureIndex::kNone) continue;
    const Series& rs = rhs[j];
    double vl = swapped ? rs.value : ls.value;
    double vr = swapped ? ls.value : rs.value;
    auto [value, keep] = elem(n.op, vl, vr);
    if (n.return_bool) {
      value = keep ? 1 : 0;
    } else if (!keep) {
      continue;
    }
    Labels labels = result_labels(ls.labels, rs.labels, n);
    if (n.card == Card::kOneToOne) {
      if (matched[j])
        eval_fail(
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
      matched[j] = 1;
    } else {
      right_of.push_back(j);
    }
    out.push_back({std::move(labels), value});
  }
  // group_left/group_right: one right element may not give two results with the same labels.
  // Checked after the loop, where nothing else can fail any more.
  if (n.card != Card::kOneToOne && has_duplicate_labels(out, right_of))
    eval_fail("multiple matches for labels: grouping labels must ensure unique matches");
  return out;
}

double scalar_scalar(BinOp op, double l, double r) {
  if (is_comparison(op)) return compare(op, l, r) ? 1 : 0;
  return arith(op, l, r);
}

}  // namespace

Val eval_binary(const Node& n, const Ctx& ctx) {
  Val l = eval(*n.children[0], ctx);
  Val r = eval(*n.children[1], ctx);
  Val out;
  out.type = n.type;
  if (l.type == Type::kScalar && r.type == Type::kScalar) {
    out.scalar = scalar_scalar(n.op, l.scalar, r.scalar);
    return out;
  }
  if (l.type == Type::kVector && r.type == Type::kVector) {
    out.vec = is_set_op(n.op) ? set_op(n, std::move(l.vec), std::move(r.vec))
                              : vector_vector(n, std::move(l.vec), std::move(r.vec));
  } else if (l.type == Type::kVector) {
    out.vec = vector_scalar(n.op, std::move(l.vec), r.scalar, false, n.return_bool);
  } else {
    out.vec = vector_scalar(n.op, std::move(r.vec), l.scalar, true, n.return_bool);
  }
  check_unique(out.vec);
  return out;
}

}  // namespace selfheal::promql::detail
