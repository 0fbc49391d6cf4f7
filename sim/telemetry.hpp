// Telemetry, one part of the simulated world (sim/world_impl.hpp lists the parts): the
// full-resolution ring of recent ticks every service's sample goes into (what the Telemetry
// port and the alert rules read), and the chart series of the timeline (bucketed, halved
// when full; the intervals outside objectives kept exactly). It owns the ring, the open
// chart buckets and the series' counters; the world writes each tick's sample and records it.
//
// The tick calls latest() and record() for every service: their definitions are in
// sim/telemetry.cpp, compiled in the same unity translation unit as the tick so they inline
// (call the inline members only from the world's parts).
//
//   Telemetry telemetry{tl, spec.scrape_interval, options.record_series};
//   telemetry.build(services, options.telemetry_retention, series_cap);
//   telemetry.advance();                        // a new tick
//   model::Sample& s = telemetry.latest(svc);   // filled by the world
//   telemetry.record(svc, s, within, now);      // the chart series
//   const model::Sample& a = telemetry.back(svc, 4);
//   telemetry.flush();                          // before the timeline is read
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/time.hpp"
#include "sim/model_types.hpp"
#include "sim/telemetry_ring.hpp"
#include "sim/timeline.hpp"

namespace selfheal::sim {

class Telemetry {
 public:
  /// `tl` must outlive the Telemetry: its services' series and objectives intervals are
  /// written here. `scrape` is a tick's span; `record_series` false keeps no chart points.
  Telemetry(Timeline& tl, core::Duration scrape, bool record_series)
      : tl_(&tl), scrape_(scrape), record_series_(record_series) {}
  /// A copy of `o`'s state (the ring, the open chart buckets) writing to another world's
  /// timeline `tl`; `record_series` false: it keeps no chart points from now on (tl has none).
  Telemetry(const Telemetry& o, Timeline& tl, bool record_series) : Telemetry(o) {
    tl_ = &tl;
    record_series_ = record_series_ && record_series;
    series_open_ = series_open_ && record_series_;
  }

  /// Sizes the ring for `retention` of ticks of `services` services, and the chart
  /// series for `series_cap` points each.
  void build(std::size_t services, core::Duration retention, std::size_t series_cap);

  /// Starts a new tick.
  void advance() {
    ring_.advance();
    series_open_ = record_series_;
  }
  /// This tick's sample of `svc`, to write.
  model::Sample& latest(std::size_t svc) { return ring_.latest(svc); }
  /// This tick's sample of `svc`, to read: back(svc, 0) without its checks.
  const model::Sample& latest(std::size_t svc) const { return ring_.latest(svc); }
  /// The sample `n` ticks before the latest (0 = the latest); a zero sample for ticks before
  /// the first one kept.
  const model::Sample& back(std::size_t svc, std::size_t n) const { return ring_.back(svc, n); }
  /// Ticks kept so far.
  std::size_t filled() const { return ring_.filled(); }
  /// A tick's span.
  core::Duration scrape() const { return scrape_; }
  /// Ticks in `window` (at least one).
  std::size_t ticks_in(core::Duration window) const {
    return static_cast<std::size_t>(std::max<core::Duration::rep>(1, window / scrape_));
  }
  /// The span of `ticks` ticks.
  core::Duration span_of(std::size_t ticks) const {
    return scrape_ * static_cast<core::Duration::rep>(ticks);
  }
  /// Fetches what record() writes of `svc`, and claims this tick's ring row of `row_svc`
  /// (a few services ahead: memory last written a retention ago).
  void prefetch(std::size_t svc, std::size_t row_svc) {
    __builtin_prefetch(&open_[svc], 1);
    __builtin_prefetch(&ring_.latest(row_svc), 1);
  }
  /// The chart series of `svc` from this tick's sample `s` at `t`: within its objectives or
  /// not (intervals kept exactly), folded into the open bucket.
  void record(std::size_t svc, const model::Sample& s, bool within, core::TimePoint t);
  /// Writes every open bucket into its series' last point, so the timeline is complete;
  /// the world calls it before handing the timeline out. Cheap when no tick ran since.
  void flush();
  /// Folds `p` into `into`, which already stands for `weight` samples: rates average,
  /// peaks keep the worst value (max, or min for ready pods), counts add. One rule for both
  /// filling a bucket and halving the series, so a long run's points mean what short ones do.
  static void fold_into(SeriesPoint& into, const SeriesPoint& p, float weight);

 private:
  /// A service's cumulative counters at its last chart point (the point's counts are the
  /// difference).
  struct Counted {
    std::uint32_t oom = 0, restarts = 0;
  };

  Telemetry(const Telemetry&) = default;  // the state; the public copy above rebinds tl_

  Timeline* tl_;
  core::Duration scrape_;
  bool record_series_;
  model::TelemetryRing ring_;   // the last telemetry_retention of ticks, every service
  std::size_t series_cap_ = 2;  // points per service's chart series
  /// [service] the chart bucket being filled; its point reaches the series when the bucket
  /// closes or flush() runs.
  std::vector<model::OpenBucket> open_;
  std::vector<Counted> counted_;  // [service]
  bool series_open_ = false;      // some open bucket may be newer than the series' last point
};

}  // namespace selfheal::sim
