// A source may hand series out as strided grids (SeriesView::grid, a metric's series side by
// side, one row per tick) instead of spans: every function and selector must read a grid
// exactly as the same samples in a span, bit for bit, with and without the source's reset
// positions.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>

#include "tests/promql/fixture.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace sample_grid_test {

using namespace selfheal;
using namespace selfheal::promql;
using namespace selfheal::promql::test;

namespace {

constexpr core::Duration kStep = 15s;
constexpr int kTicks = 300;

// `inner`'s series (all sampled at every tick from kT0) as grids over one row-major copy.
// `track`: with reset positions; `loose`: grids start up to 3 ticks before the window (a
// loose source: the evaluator clips), their reset positions found by a scan.
class GridSource final : public SeriesSource {
 public:
  GridSource(const MemorySource& inner, std::size_t series, bool track, bool loose = false)
      : inner_(inner), width_(series), track_(track), loose_(loose), rows_(series * kTicks) {
    inner.select_series({}, kT0, at(kStep * kTicks), [&](const SeriesView& v) {
      for (std::size_t i = 0; i < v.samples.size(); ++i)
        rows_[i * width_ + v.id] = v.samples[i].v;
    });
  }
  void select_series(std::span<const Matcher> matchers, core::TimePoint start, core::TimePoint end,
                     const SeriesVisit& visit) const override {
    inner_.select_series(matchers, start, end, [&](const SeriesView& v) {
      auto row = static_cast<std::size_t>((v.samples.front().t - kT0) / kStep);
      const std::size_t extra = loose_ ? std::min<std::size_t>(row, 3) : 0;
      row -= extra;
      const SampleGrid g{rows_.data() + row * width_ + v.id, static_cast<std::ptrdiff_t>(width_),
                         kT0 + kStep * static_cast<std::int64_t>(row), kStep,
                         v.samples.size() + extra};
      std::size_t drop = track_ ? v.last_drop : SeriesView::kUnknown;
      if (loose_) {
        drop = 0;
        for (std::size_t i = 1; i < g.size(); ++i)
          if (g[i].v < g[i - 1].v) drop = i;
      }
      visit(SeriesView{v.labels, {}, v.id, drop, g});
    });
  }
  void select(std::span<const Matcher>, core::TimePoint, core::TimePoint,
              const std::function<void(const Labels&, std::span<const Sample>)>&) const override {}

 private:
  const MemorySource& inner_;
  std::size_t width_;
  bool track_;
  bool loose_;
  std::vector<double> rows_;
};

bool same(const core::Result<Value>& a, const core::Result<Value>& b) {
  if (!a || !b) return !a && !b && a.error().message == b.error().message;
  if (a->kind != b->kind || a->vector.size() != b->vector.size()) return false;
  for (std::size_t i = 0; i < a->vector.size(); ++i) {
    if (a->vector[i].labels != b->vector[i].labels ||
        std::memcmp(&a->vector[i].value, &b->vector[i].value, sizeof(double)) != 0)
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("promql reads a source's strided grids as the same samples in spans", "[promql][grid]") {
  MemorySource src;
  constexpr std::size_t kSeries = 6;
  for (std::size_t p = 0; p < kSeries; ++p) {
    std::vector<double> v;
    double x = 0.1 * static_cast<double>(p + 1);
    for (int i = 0; i < kTicks; ++i) {
      // Counters with resets every 11 + p ticks (odd p), gauges up and down (even p).
      x = p % 2 == 1 ? (i % static_cast<int>(11 + p) == 5 ? 0.3 : x + 1.7)
                     : static_cast<double>((i * 5 + static_cast<int>(p)) % 13) / 3;
      v.push_back(x);
    }
    src.add(labels("m", {{"p", std::to_string(p)}, {"odd", p % 2 == 1 ? "y" : "n"}}),
            every(0s, kStep, v));
  }
  const GridSource tracked{src, kSeries, true}, untracked{src, kSeries, false},
      loose{src, kSeries, true, true};
  const char* queries[] = {"m",
                           "m offset 2m",
                           "rate(m[5m])",
                           "increase(m[10m])",
                           "delta(m[2m] offset 1m)",
                           "irate(m[1m])",
                           "idelta(m[1m])",
                           "changes(m[5m])",
                           "resets(m[5m])",
                           "avg_over_time(m[5m])",
                           "min_over_time(m[3m])",
                           "max_over_time(m[3m])",
                           "sum_over_time(m[5m])",
                           "count_over_time(m[1m])",
                           "last_over_time(m[1m])",
                           "absent_over_time(m[1m])",
                           "sum by (odd) (rate(m[5m]))",
                           "max by (odd) (m)"};
  std::size_t compared = 0;
  for (const char* q : queries) {
    auto e = parse(q);
    REQUIRE(e);
    for (int s = 0; s < kTicks * 15; s += 23) {  // ends on, between and past ticks
      INFO(q << " at +" << s << "s");
      const auto t = at(std::chrono::seconds(s));
      const auto want = evaluate(*e, src, t);
      REQUIRE(same(evaluate(*e, tracked, t), want));
      REQUIRE(same(evaluate(*e, untracked, t), want));
      REQUIRE(same(evaluate(*e, loose, t), want));
      ++compared;
    }
  }
  CHECK(compared > 3000);
}

TEST_CASE("promql SampleGrid reads like a span of Sample", "[promql][grid]") {
  const double rows[] = {1, 10, 2, 20, 3, 30, 4, 40};  // two columns, four rows
  const SampleGrid g{rows + 1, 2, kT0, kStep, 4};
  CHECK(g.size() == 4);
  CHECK(g[2].v == 30);
  CHECK(g[2].t == kT0 + 30s);
  CHECK(g.front().v == 10);
  CHECK(g.back().v == 40);
  const SampleGrid tail = g.subspan(1, 2);
  CHECK(tail.size() == 2);
  CHECK(tail.front().t == kT0 + 15s);
  CHECK(tail.back().v == 30);
  CHECK(g.subspan(3).size() == 1);
  double sum = 0;
  for (const Sample s : g)
    sum += s.v;
  CHECK(sum == 100);
  CHECK(SampleGrid{}.empty());
}

}  // namespace sample_grid_test
