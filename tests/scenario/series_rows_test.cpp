// SeriesRows alone (scenario/series_rows.hpp): whatever windows are asked, in whatever order,
// as the source's retention moves on, a column's window is what the source itself gives for
// it, its last drop is where a scan finds it, and a column missing a tick is refused.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "scenario/series_rows.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace series_rows_test {

using namespace selfheal;
using namespace std::chrono_literals;
using scenario::SeriesRows;

namespace {

constexpr core::Duration kStep = 15s;
const core::TimePoint kT0 = core::from_unix_ms(1'700'000'000'000);

// `columns` series at every tick from kT0 to `last`, keeping `retention`: counters for even
// columns (a reset every 37 + c ticks), gauges going up and down for odd ones.
struct Source {
  std::size_t columns;
  core::Duration retention;
  core::TimePoint last = kT0;
  bool gap = false;      // column 1 misses the tick at kT0 + 10 steps
  bool all_gap = false;  // every column misses it
  double shift = 0;      // added to every value, past ones too (a memory limit changing)

  core::TimePoint first() const { return std::max(kT0, last - retention); }
  static double value(std::size_t c, std::int64_t tick) {
    if (c % 2 == 1) return static_cast<double>((tick * 7 + static_cast<std::int64_t>(c)) % 11);
    return 0.25 * static_cast<double>(tick % (37 + static_cast<std::int64_t>(c))) + 0.1;
  }
  void read(std::size_t c, core::TimePoint from, core::TimePoint to,
            std::vector<sim::PromPoint>& out) const {
    for (core::TimePoint t = first(); t <= std::min(to, last); t += kStep) {
      const std::int64_t tick = (t - kT0) / kStep;
      if (t < from || missing(c, tick)) continue;
      out.push_back({t, value(c, tick) + shift});
    }
  }
  bool missing(std::size_t c, std::int64_t tick) const {
    return tick == 10 && (all_gap || (gap && c == 1));
  }
  // As World::prom_row: the columns' samples at tick `t` (one the source holds).
  sim::PromRow read_row(core::TimePoint t, double* row) const {
    REQUIRE(t >= first());
    REQUIRE(t <= last);
    REQUIRE((t - kT0) % kStep == core::Duration{0});
    const std::int64_t tick = (t - kT0) / kStep;
    std::size_t present = 0;
    for (std::size_t c = 0; c < columns; ++c) {
      if (missing(c, tick)) continue;
      row[c] = value(c, tick) + shift;
      ++present;
    }
    if (present == 0) return sim::PromRow::kNone;
    return present == columns ? sim::PromRow::kFull : sim::PromRow::kPartial;
  }
  SeriesRows::Reader reader() const {
    return [this](core::TimePoint t, double* row) { return read_row(t, row); };
  }
};

}  // namespace

TEST_CASE("SeriesRows answers every window as its source does", "[scenario][promql]") {
  Source src{5, 20min};
  SeriesRows rows{src.columns, kStep};
  const SeriesRows::Reader read = src.reader();
  // (range, offset): growing, shrinking, past the retention, offset, ending between ticks.
  const std::vector<std::pair<core::Duration, core::Duration>> windows{
      {5min, 0min},  {1min, 0min}, {30min, 0min}, {2min, 3min},
      {15min, 0min}, {0min, 7s},   {4min, 22s}};
  std::size_t compared = 0, dropped = 0, tracked = 0;
  for (int step = 0; step < 300; ++step) {
    src.last = kT0 + kStep * (step * 3 / 2);  // one or two ticks a step
    for (const auto& [range, offset] : windows) {
      if (range > 10min && step < 150) continue;  // longer windows asked late
      const core::TimePoint end = src.last - offset, start = end - range;
      REQUIRE(rows.update(start, src.first(), src.last, read));
      for (std::size_t c = 0; c < src.columns; ++c) {
        std::size_t last_drop = 0;
        const promql::SampleGrid g = rows.window(c, start, end, src.first(), last_drop);
        std::vector<sim::PromPoint> want;
        src.read(c, start, end, want);
        INFO("step " << step << " range " << range.count() << " column " << c);
        REQUIRE(g.size() == want.size());
        std::size_t drop = 0;
        for (std::size_t i = 0; i < g.size(); ++i) {
          const promql::Sample got = g[i];
          REQUIRE(got.t == want[i].t);
          REQUIRE(std::memcmp(&got.v, &want[i].v, sizeof(double)) == 0);
          if (i > 0 && want[i].v < want[i - 1].v) drop = i;
        }
        // Unknown only when a drop lies past the window's end (an offset window).
        if (last_drop != promql::SeriesView::kUnknown) {
          REQUIRE(last_drop == drop);
          ++tracked;
        }
        compared += g.size();
        if (drop > 0) ++dropped;
      }
    }
  }
  CHECK(compared > 50000);
  CHECK(dropped > 500);
  CHECK(tracked > 5000);
  CHECK(rows.rows() <= 2 * (30min / kStep) + 2);  // kept back to the longest window, compacted
}

TEST_CASE("SeriesRows refuses a column that misses a tick", "[scenario][promql]") {
  Source src{3, 1h};
  src.gap = true;
  src.last = kT0 + 5 * kStep;
  SeriesRows rows{src.columns, kStep};
  const SeriesRows::Reader read = src.reader();
  CHECK(rows.update(src.last - 5min, src.first(), src.last, read));  // before the gap
  src.last = kT0 + 12 * kStep;
  CHECK_FALSE(rows.update(src.last - 5min, src.first(), src.last, read));  // appending it
  CHECK_FALSE(rows.update(src.last - 1min, src.first(), src.last, read));  // and for good
  SeriesRows fresh{src.columns, kStep};
  CHECK_FALSE(fresh.update(src.last - 5min, src.first(), src.last, read));  // reading it
}

TEST_CASE("SeriesRows refuses a tick every column misses between two they have",
          "[scenario][promql]") {
  Source src{3, 1h};
  src.all_gap = true;
  src.last = kT0 + 10 * kStep;  // the gap is the last tick: nothing missing between
  SeriesRows rows{src.columns, kStep};
  const SeriesRows::Reader read = src.reader();
  REQUIRE(rows.update(src.last - 5min, src.first(), src.last, read));
  std::size_t last_drop = 0;
  CHECK(rows.window(0, src.last - 5min, src.last, src.first(), last_drop).size() == 10);
  src.last = kT0 + 12 * kStep;
  CHECK_FALSE(rows.update(src.last - 5min, src.first(), src.last, read));  // appending past it
  SeriesRows fresh{src.columns, kStep};
  CHECK_FALSE(fresh.update(src.last - 5min, src.first(), src.last, read));  // reading across it
  SeriesRows after{src.columns, kStep};
  CHECK(after.update(src.last - 20s, src.first(), src.last, read));  // a window after it
  CHECK(after.window(2, src.last - 20s, src.last, src.first(), last_drop).size() == 2);
}

TEST_CASE("SeriesRows answers the same window again after its rows changed", "[scenario][promql]") {
  // A window's rows are remembered for the next column: asking the same window after the
  // rows were read again further back, appended to or compacted must not reuse them.
  Source src{4, 1h};
  src.last = kT0 + 40 * kStep;
  SeriesRows rows{src.columns, kStep};
  const SeriesRows::Reader read = src.reader();
  auto check = [&](core::TimePoint start, core::TimePoint end) {
    for (std::size_t c = 0; c < src.columns; ++c) {
      std::size_t last_drop = 0;
      const promql::SampleGrid g = rows.window(c, start, end, src.first(), last_drop);
      std::vector<sim::PromPoint> want;
      src.read(c, start, end, want);
      REQUIRE(g.size() == want.size());
      for (std::size_t i = 0; i < g.size(); ++i) {
        const promql::Sample got = g[i];
        REQUIRE(got.t == want[i].t);
        REQUIRE(std::memcmp(&got.v, &want[i].v, sizeof(double)) == 0);
      }
    }
  };
  const core::TimePoint start = src.last - 2min, end = src.last - 1min;
  REQUIRE(rows.update(start, src.first(), src.last, read));
  check(start, end);
  REQUIRE(rows.update(src.last - 8min, src.first(), src.last, read));  // read again, further back
  check(start, end);
  src.last += 3 * kStep;  // appended
  REQUIRE(rows.update(start, src.first(), src.last, read));
  check(start, end);
  src.last += 60 * kStep;  // appended and compacted: the older rows dropped
  REQUIRE(rows.update(src.last - 8min, src.first(), src.last, read));
  check(src.last - 8min, src.last);
  REQUIRE(rows.update(start, src.first(), src.last, read));  // the first window: read again
  check(start, end);
}

TEST_CASE("SeriesRows reads every column again after a reset", "[scenario][promql]") {
  // The source's past values changed (WorldSeriesSource: a memory limit): rows kept from
  // before answer the old values until reset, then the source's.
  Source src{3, 1h};
  src.last = kT0 + 30 * kStep;
  SeriesRows rows{src.columns, kStep};
  const SeriesRows::Reader read = src.reader();
  auto same_as_source = [&](core::TimePoint start) {
    for (std::size_t c = 0; c < src.columns; ++c) {
      std::size_t last_drop = 0;
      const promql::SampleGrid g = rows.window(c, start, src.last, src.first(), last_drop);
      std::vector<sim::PromPoint> want;
      src.read(c, start, src.last, want);
      if (g.size() != want.size()) return false;
      for (std::size_t i = 0; i < g.size(); ++i) {
        const promql::Sample got = g[i];
        if (got.t != want[i].t || std::memcmp(&got.v, &want[i].v, sizeof(double)) != 0)
          return false;
      }
    }
    return true;
  };
  const core::TimePoint start = src.last - 5min;
  REQUIRE(rows.update(start, src.first(), src.last, read));
  CHECK(same_as_source(start));
  src.shift = 1024;
  src.last += 2 * kStep;
  REQUIRE(rows.update(start + 2 * kStep, src.first(), src.last, read));
  CHECK_FALSE(same_as_source(start + 2 * kStep));  // the old rows, the new ticks appended
  rows.reset();
  REQUIRE(rows.update(start + 2 * kStep, src.first(), src.last, read));
  CHECK(same_as_source(start + 2 * kStep));
}

}  // namespace series_rows_test
