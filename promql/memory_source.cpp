// Series in a std::map keyed by their labels, so select() visits them in label order whatever
// the order they were added in. select() scans every series: meant for fixtures and tests,
// not for large stores.
#include <algorithm>
#include <map>

#include "promql/ast.hpp"
#include "promql/promql.hpp"

namespace selfheal::promql {

struct MemorySource::Impl {
  std::map<Labels, std::vector<Sample>> series;
};

MemorySource::MemorySource() : impl_(std::make_unique<Impl>()) {}
MemorySource::~MemorySource() = default;
MemorySource::MemorySource(MemorySource&&) noexcept = default;
MemorySource& MemorySource::operator=(MemorySource&&) noexcept = default;

void MemorySource::add(Labels labels, std::span<const Sample> samples) {
  sort_labels(labels);
  auto& s = impl_->series[std::move(labels)];
  s.insert(s.end(), samples.begin(), samples.end());
}

std::size_t MemorySource::series_count() const {
  return impl_->series.size();
}

void MemorySource::select(
    std::span<const Matcher> matchers, core::TimePoint start, core::TimePoint end,
    const std::function<void(const Labels&, std::span<const Sample>)>& visit) const {
  // Regexes compiled once per call rather than looked up per series.
  std::vector<std::shared_ptr<const std::regex>> res;
  for (const auto& m : matchers) {
    std::string err;
    bool re = m.op == Matcher::Op::kRe || m.op == Matcher::Op::kNre;
    res.push_back(re ? detail::compile_regex(m.value, &err) : nullptr);
  }
  auto ok_for = [&](const Labels& labels) {
    for (std::size_t i = 0; i < matchers.size(); ++i) {
      std::string_view v = label_value(labels, matchers[i].name);
      if (!res[i]) {
        if (!matches(matchers[i], v)) return false;
        continue;
      }
      bool hit = std::regex_match(v.begin(), v.end(), *res[i]);
      if (hit != (matchers[i].op == Matcher::Op::kRe)) return false;
    }
    return true;
  };
  for (const auto& entry : impl_->series) {
    const Labels& labels = entry.first;
    const std::vector<Sample>& samples = entry.second;
    if (!ok_for(labels)) continue;
    auto lo = std::lower_bound(samples.begin(), samples.end(), start,
                               [](const Sample& s, core::TimePoint t) { return s.t < t; });
    auto hi = std::upper_bound(samples.begin(), samples.end(), end,
                               [](core::TimePoint t, const Sample& s) { return t < s.t; });
    if (lo >= hi) continue;
    visit(labels, std::span<const Sample>(&*lo, static_cast<std::size_t>(hi - lo)));
  }
}

}  // namespace selfheal::promql
