// The telemetry part alone (sim/telemetry.hpp): the ring keeps the retention and drops the
// oldest tick, a window's ticks, the chart buckets (rates averaged, peaks kept, counts
// added), halved when full, the last bucket completed by flush(), and the intervals outside
// objectives kept exactly. Driven tick by tick with samples written by the test (no world).
#include "sim/telemetry.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "cluster_fixtures.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace telemetry_test {

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;

namespace {

constexpr Duration kScrape = 15s;

/// A sample whose values all derive from `k` (rate k, error k/100, ready 4 - k % 2, ...).
model::Sample sample(int k, std::uint32_t cum_oom) {
  model::Sample s;
  s.rps = static_cast<float>(k);
  s.err = static_cast<float>(k) / 100.0f;
  s.p99 = static_cast<float>(100 - k);
  s.ready = static_cast<float>(4 - k % 2);
  s.desired = 4;
  s.cum_oom = cum_oom;
  s.cum_restarts = cum_oom;
  return s;
}

/// One service's telemetry over a timeline, `cap` chart points.
struct Rig {
  Timeline tl;
  Telemetry telemetry{tl, kScrape, true};
  TimePoint start{};
  explicit Rig(std::size_t cap, Duration retention = 1min) {
    tl.services.resize(1);
    tl.services[0].step = kScrape;
    telemetry.build(1, retention, cap);
  }
  /// Tick k (from 1) at start + (k - 1) x scrape: writes `s` and records it.
  void tick(int k, const model::Sample& s, bool within = true) {
    telemetry.advance();
    telemetry.latest(0) = s;
    telemetry.record(0, s, within, start + kScrape * (k - 1));
  }
  const std::vector<SeriesPoint>& points() const { return tl.services[0].points; }
};

}  // namespace

TEST_CASE("the ring keeps the retention plus two ticks and drops the oldest", "[sim][telemetry]") {
  Rig r{100, 1min};  // 4 ticks of 15 s, + the tick being written and the window's base
  for (int k = 1; k <= 10; ++k)
    r.tick(k, sample(k, 0));
  CHECK(r.telemetry.filled() == 6);
  CHECK(r.telemetry.back(0, 0).rps == 10.0f);
  CHECK(r.telemetry.back(0, 4).rps == 6.0f);  // a 1-minute window's base
  CHECK(r.telemetry.back(0, 5).rps == 5.0f);  // the oldest kept
  CHECK(r.telemetry.back(0, 6).rps == 0.0f);  // dropped: a zero sample
  CHECK(r.telemetry.ticks_in(1min) == 4);
  CHECK(r.telemetry.ticks_in(5s) == 1);  // at least one
  CHECK(r.telemetry.span_of(4) == 1min);

  Rig young{100, 1min};
  young.tick(1, sample(1, 0));
  CHECK(young.telemetry.filled() == 1);
  CHECK(young.telemetry.back(0, 1).rps == 0.0f);  // before the first tick
}

TEST_CASE("fold_into averages rates, keeps peaks and adds counts", "[sim][telemetry]") {
  SeriesPoint into;
  into.request_rate = 10;
  into.error_rate = 0.5f;
  into.ready = 3;
  into.oom_kills = 1;
  SeriesPoint p;
  p.request_rate = 30;
  p.error_rate = 0.1f;
  p.ready = 1;
  p.oom_kills = 2;
  p.within_objectives = false;
  Telemetry::fold_into(into, p, 3.0f);  // `into` stands for 3 samples
  CHECK(into.request_rate == 15.0f);    // (10 x 3 + 30) / 4
  CHECK(into.error_rate == 0.5f);       // the worst
  CHECK(into.ready == 1.0f);            // the fewest ready pods
  CHECK(into.oom_kills == 3);
  CHECK_FALSE(into.within_objectives);
}

TEST_CASE("chart buckets halve when the series is full, and flush completes the last one",
          "[sim][telemetry]") {
  Rig r{4};
  const std::uint32_t cum_oom[] = {0, 0, 1, 1, 3, 3, 4};
  for (int k = 1; k <= 4; ++k)
    r.tick(k, sample(k, cum_oom[k - 1]));
  REQUIRE(r.points().size() == 4);
  CHECK(r.points()[2].oom_kills == 1);  // the counter's increase in the point
  r.tick(5, sample(5, cum_oom[4]));     // full: pairs merged, then a new point
  REQUIRE(r.points().size() == 3);
  CHECK(r.tl.services[0].step == 2 * kScrape);
  CHECK(r.points()[0].time == r.start);
  CHECK(r.points()[1].time == r.start + 2 * kScrape);
  CHECK(r.points()[2].time == r.start + 4 * kScrape);
  CHECK(r.points()[0].request_rate == 1.5f);
  CHECK(r.points()[1].request_rate == 3.5f);
  CHECK(r.points()[1].error_rate == 0.04f);
  CHECK(r.points()[1].latency_p99_ms == 97.0f);
  CHECK(r.points()[1].ready == 3.0f);
  CHECK(r.points()[0].oom_kills == 0);
  CHECK(r.points()[1].oom_kills == 1);
  CHECK(r.points()[2].oom_kills == 2);
  // Tick 6 folds into the open bucket of tick 5: the series shows it after flush().
  r.tick(6, sample(6, cum_oom[5]));
  CHECK(r.points().back().request_rate == 5.0f);
  r.telemetry.flush();
  CHECK(r.points().back().request_rate == 5.5f);
  CHECK(r.points().back().ready == 3.0f);
  // Tick 7 opens a new bucket: 4 points, the cap.
  r.tick(7, sample(7, cum_oom[6]));
  REQUIRE(r.points().size() == 4);
  CHECK(r.points()[2].request_rate == 5.5f);
  CHECK(r.points()[3].time == r.start + 6 * kScrape);
}

TEST_CASE("ticks outside objectives make exact intervals", "[sim][telemetry]") {
  Rig r{100};
  const bool within[] = {true, false, false, true, false};
  for (int k = 1; k <= 5; ++k)
    r.tick(k, sample(k, 0), within[k - 1]);
  const auto& iv = r.tl.services[0].outside_objectives;
  REQUIRE(iv.size() == 2);
  CHECK(iv[0].begin == r.start + kScrape);
  CHECK(iv[0].end == r.start + 3 * kScrape);
  CHECK(iv[1].begin == r.start + 4 * kScrape);
  CHECK(iv[1].end == r.start + 5 * kScrape);
  CHECK_FALSE(r.points()[1].within_objectives);
}

}  // namespace telemetry_test
