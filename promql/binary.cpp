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

Vec vector_scalar(BinOp op, Vec v, double scalar, bool scalar_left, bool return_bool,
                  LabelTable& table) {
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
    if (drops_name(op) || return_bool) s.labels = table.without_name(s.labels);
    s.value = value;
    out.push_back(s);
  }
  return out;
}

// Signatures (the labels matching compares) numbered per operator, remembered by label set
// id (MatchMemo): after the first evaluation, matching compares integers.
class Signatures {
 public:
  Signatures(const Node& n, MatchMemo& m, LabelTable& table) : n_(n), m_(m), table_(table) {}
  std::uint32_t of(LabelsId id) {
    if (id >= m_.sig_of.size()) m_.sig_of.resize(id + 1, LabelTable::kNone);
    if (m_.sig_of[id] != LabelTable::kNone) return m_.sig_of[id];
    const Labels& l = table_[id];
    const std::size_t h = signature_hash(l, n_.on, n_.matching_labels);
    auto [it, end] = m_.sig_index.equal_range(h);
    while (it != end &&
           !same_signature(table_[m_.sigs[it->second].second], l, n_.on, n_.matching_labels))
      ++it;
    std::uint32_t sig = 0;
    if (it == end) {
      sig = static_cast<std::uint32_t>(m_.sigs.size());
      m_.sigs.emplace_back(h, id);
      m_.sig_index.emplace(h, sig);
    } else {
      sig = it->second;
    }
    m_.sig_of[id] = sig;
    return sig;
  }
  std::size_t count() const { return m_.sigs.size(); }

 private:
  const Node& n_;
  MatchMemo& m_;
  LabelTable& table_;
};

constexpr std::size_t kNoElement = static_cast<std::size_t>(-1);

// By signature number, the first element of `v` with it (kNoElement when none).
std::vector<std::size_t> first_by_signature(const Vec& v, Signatures& sigs) {
  std::vector<std::uint32_t> of(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    of[i] = sigs.of(v[i].labels);
  std::vector<std::size_t> first(sigs.count(), kNoElement);
  for (std::size_t i = v.size(); i-- > 0;)
    first[of[i]] = i;
  return first;
}

Vec set_op(const Node& n, const Ctx& ctx, Vec lhs, Vec rhs) {
  Signatures sigs{n, ctx.memo.matches[&n], ctx.labels()};
  Vec out;
  if (n.op == BinOp::kOr) {
    const auto left = first_by_signature(lhs, sigs);
    out = std::move(lhs);
    for (const auto& s : rhs) {
      const std::uint32_t sig = sigs.of(s.labels);
      if (sig >= left.size() || left[sig] == kNoElement) out.push_back(s);
    }
    return out;
  }
  const auto right = first_by_signature(rhs, sigs);
  bool want = n.op == BinOp::kAnd;
  for (const auto& s : lhs) {
    const std::uint32_t sig = sigs.of(s.labels);
    if ((sig < right.size() && right[sig] != kNoElement) == want) out.push_back(s);
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

// The id of result_labels(table[l], table[r], n), remembered: by `l` alone for one-to-one
// matching (the right side then adds nothing), by the pair otherwise.
LabelsId result_id(const Node& n, MatchMemo& m, LabelTable& table, LabelsId l, LabelsId r) {
  constexpr int kShift = 32;
  if (n.card == Card::kOneToOne && n.include.empty()) {
    if (l >= m.result_of.size()) m.result_of.resize(l + 1, LabelTable::kNone);
    if (m.result_of[l] == LabelTable::kNone) {
      const LabelsId id = table.intern(result_labels(table[l], table[r], n));
      m.result_of[l] = id;
    }
    return m.result_of[l];
  }
  const std::uint64_t key = (static_cast<std::uint64_t>(l) << kShift) | r;
  auto it = m.group_result.find(key);
  if (it != m.group_result.end()) return it->second;
  const LabelsId id = table.intern(result_labels(table[l], table[r], n));
  m.group_result.emplace(key, id);
  return id;
}

Vec vector_vector(const Node& n, const Ctx& ctx, Vec lhs, Vec rhs) {
  if (lhs.empty() || rhs.empty()) return {};
  bool swapped = n.card == Card::kOneToMany;
  if (swapped) std::swap(lhs, rhs);
  MatchMemo& memo = ctx.memo.matches[&n];
  LabelTable& table = ctx.labels();
  Signatures sigs{n, memo, table};
  std::vector<std::size_t> right(sigs.count(), kNoElement);  // by signature: rhs's element
  for (std::size_t i = 0; i < rhs.size(); ++i) {
    const std::uint32_t sig = sigs.of(rhs[i].labels);
    if (sig >= right.size()) right.resize(sig + 1, kNoElement);
    const std::size_t first = right[sig];
    if (first != kNoElement) {
      eval_fail("found duplicate series for the match group on the " +
                std::string(swapped ? "left" : "right") + " hand-side of the operation: [" +
                format_labels(table[rhs[i].labels]) + ", " +
                format_labels(table[rhs[first].labels]) +
                "];many-to-many matching not allowed: matching labels must be unique on one side");
    }
    right[sig] = i;
  }
  // Per right element (one per signature): whether matched (one-to-one), or the result
  // label sets it gave (group_left/group_right).
  std::vector<char> matched(rhs.size(), 0);
  std::vector<std::size_t> right_of;  // group_left/right: out[i]'s right element
  Vec out;
  for (const auto& ls : lhs) {
    const std::uint32_t sig = sigs.of(ls.labels);
    const std::size_t j = sig < right.size() ? right[sig] : kNoElement;
    if (j == kNoElement) continue;
    const Elem& rs = rhs[j];
    double vl = swapped ? rs.value : ls.value;
    double vr = swapped ? ls.value : rs.value;
    auto [value, keep] = elem(n.op, vl, vr);
    if (n.return_bool) {
      value = keep ? 1 : 0;
    } else if (!keep) {
      continue;
    }
    const LabelsId labels = result_id(n, memo, table, ls.labels, rs.labels);
    if (n.card == Card::kOneToOne) {
      if (matched[j])
        eval_fail(
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
      matched[j] = 1;
    } else {
      right_of.push_back(j);
    }
    out.push_back({labels, value});
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
    out.vec = is_set_op(n.op) ? set_op(n, ctx, std::move(l.vec), std::move(r.vec))
                              : vector_vector(n, ctx, std::move(l.vec), std::move(r.vec));
  } else if (l.type == Type::kVector) {
    out.vec = vector_scalar(n.op, std::move(l.vec), r.scalar, false, n.return_bool, ctx.labels());
  } else {
    out.vec = vector_scalar(n.op, std::move(r.vec), l.scalar, true, n.return_bool, ctx.labels());
  }
  check_unique(out.vec);
  return out;
}

}  // namespace selfheal::promql::detail
