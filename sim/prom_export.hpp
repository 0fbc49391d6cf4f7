// PromExport, one part of the simulated world (sim/world_impl.hpp lists the parts): the model
// published as Prometheus series (sim/prom_series.hpp, docs/prometheus-series.md). It owns
// the catalogue of series, every service's running counters and the ring of their values at
// each tick; gauges are read from Telemetry's ring (the same length, the same ticks) and a
// service's memory limit from Traffic, when a series is read. Built only with
// WorldOptions::prometheus_series (a run without PromQL pays nothing).
//
// The tick calls accumulate() for every service: its definition is in sim/prom_series.cpp,
// compiled in the same unity translation unit as the tick so that it inlines (call it only
// from the world's parts).
//
//   PromExport prom{spec, telemetry, traffic};
//   prom.build(options.telemetry_retention);  // once, after the services exist
//   prom.advance();                           // a new tick, with telemetry.advance()
//   prom.accumulate(svc, sample, dt_s);       // the tick's sample of svc, once written
//   prom.samples(i, now - 5min, now, last_tick, out);
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "sim/cluster_spec.hpp"
#include "sim/model_types.hpp"
#include "sim/prom_series.hpp"
#include "sim/telemetry.hpp"
#include "sim/telemetry_ring.hpp"
#include "sim/traffic.hpp"

namespace selfheal::sim {

class PromExport {
 public:
  /// All three must outlive the PromExport; `traffic` holds the services when build() runs.
  PromExport(const ClusterSpec& spec, const Telemetry& telemetry, const Traffic& traffic)
      : spec_(spec), telemetry_(&telemetry), traffic_(&traffic), scrape_(spec.scrape_interval) {}
  /// A copy of `o`'s state (running counters, their ring) reading another world's parts;
  /// the catalogue is shared, not copied.
  PromExport(const PromExport& o, const Telemetry& telemetry, const Traffic& traffic)
      : PromExport(o) {
    telemetry_ = &telemetry;
    traffic_ = &traffic;
  }

  /// The catalogue (every service's series, names after the spec's metric_names) and a ring
  /// of counters as long as Telemetry's for `retention`.
  void build(core::Duration retention);
  void advance() { ring_.advance(); }
  /// Adds the tick's requests, errors, CPU seconds and latency histogram of sample `s` of
  /// service `svc` (dt_s: the tick's span in seconds) to its counters and stores them.
  void accumulate(std::size_t svc, const model::Sample& s, double dt_s);

  const std::vector<PromSeriesInfo>& catalogue() const { return *catalogue_; }
  /// Appends to `out` the samples of catalogue()[index] at the ticks in [start, end] that the
  /// rings still hold; `last_tick` is the latest tick's instant. See World::prom_samples.
  void samples(std::size_t index, core::TimePoint start, core::TimePoint end,
               core::TimePoint last_tick, std::vector<PromPoint>& out) const;
  /// The samples of catalogue()[indices[j]] at tick `t` (on the scrape grid, kept) into
  /// out[j], as samples() gives them; written only for the series present there.
  PromRow row(std::span<const std::size_t> indices, core::TimePoint t, core::TimePoint last_tick,
              double* out) const;
  /// The first and last tick samples() can return, or nullopt before the first tick.
  std::optional<std::pair<core::TimePoint, core::TimePoint>> kept(core::TimePoint last_tick) const;

 private:
  /// Cumulative counters of one service at one tick.
  struct Counters {
    double ok = 0, err = 0, cpu_s = 0, dur_sum = 0;
    std::array<double, kLatencyBuckets.size()> bucket{};
    bool oom_last = false;  // the latest container termination was an OOM kill
    bool present = false;   // written by a tick (zero-filled slots are not)
  };
  double value(const PromSeriesInfo& info, const model::Sample& s, const Counters& c) const;

  PromExport(const PromExport&) = default;  // the state; the public copy rebinds the parts

  const ClusterSpec& spec_;
  const Telemetry* telemetry_;
  const Traffic* traffic_;
  core::Duration scrape_;
  /// Fixed once built: copies of the world share it.
  std::shared_ptr<const std::vector<PromSeriesInfo>> catalogue_ =
      std::make_shared<const std::vector<PromSeriesInfo>>();
  std::vector<Counters> cum_;  // per service, running
  model::BasicRing<Counters> ring_;
};

}  // namespace selfheal::sim
