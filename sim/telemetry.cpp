// Telemetry (sim/telemetry.hpp). Compiled in the world's unity translation unit, so the
// tick's calls inline: the members the tick reaches are `inline`.
#include "sim/telemetry.hpp"

#include <algorithm>
#include <string>

namespace selfheal::sim {

using namespace model;

void Telemetry::build(std::size_t services, Duration retention, std::size_t series_cap) {
  ring_.reset(static_cast<std::size_t>(retention / scrape_) + 2, services);
  series_cap_ = series_cap;
  open_.assign(services, OpenBucket{});
  counted_.assign(services, Counted{});
}

inline void Telemetry::record(std::size_t svc, const Sample& s, bool within, TimePoint t) {
  const bool out = !within;
  if (out) {
    auto& iv = tl_->services[svc].outside_objectives;
    if (!iv.empty() && iv.back().end == t) {
      iv.back().end = t + scrape_;
    } else {
      iv.push_back({t, t + scrape_});
    }
  }
  if (!record_series_) return;
  Counted& counted = counted_[svc];
  const std::uint32_t d_oom = s.cum_oom - counted.oom;
  const std::uint32_t d_rst = s.cum_restarts - counted.restarts;
  counted.oom = s.cum_oom;
  counted.restarts = s.cum_restarts;
  SeriesPoint p;
  p.time = t;
  p.request_rate = s.rps;
  p.error_rate = s.err;
  p.latency_p99_ms = s.p99;
  p.cpu = s.cpu;
  p.memory = s.mem;
  p.ready = s.ready;
  p.desired = s.desired;
  p.queue_lag = s.queue;
  p.dependency_errors = s.dep_err;
  p.oom_kills = d_oom;
  p.restarts = d_rst;
  p.within_objectives = !out;
  // Most ticks fold into the open bucket, which lives in the compact open_ array:
  // the series itself (a cache miss a service at thousands of services) is touched only
  // when a bucket closes. The same fold_into calls on the same values as folding into the
  // series' last point: the points are bit for bit the same.
  OpenBucket& ob = open_[svc];
  if (ob.fill > 0 && ob.fill < ob.ticks) {
    fold_into(ob.point, p, static_cast<float>(ob.fill));
    ++ob.fill;
    return;
  }
  ServiceSeries& ser = tl_->services[svc];
  if (ob.fill > 1) ser.points.back() = ob.point;  // close the bucket (unchanged if 1 tick)
  if (ser.points.size() >= series_cap_) {
    // Merge adjacent pairs: half the points, twice the step.
    auto& pts = ser.points;
    std::size_t w = 0;
    for (std::size_t r = 0; r + 1 < pts.size(); r += 2) {
      SeriesPoint a = pts[r];
      fold_into(a, pts[r + 1], 1.0f);
      pts[w++] = a;
    }
    if (pts.size() % 2 == 1) pts[w++] = pts.back();
    pts.resize(w);
    ob.ticks *= 2;
    ser.step = ser.step * 2;
  }
  if (ser.points.size() == ser.points.capacity() && 2 * ser.points.capacity() > series_cap_) {
    ser.points.reserve(series_cap_);  // the last growth: exactly the cap, not the next doubling
  }
  ser.points.push_back(p);
  ob.point = p;
  ob.fill = 1;
}

void Telemetry::flush() {
  if (!series_open_) return;
  series_open_ = false;
  if (tl_->services.size() != open_.size()) return;  // taken by take_timeline()
  for (std::size_t i = 0; i < open_.size(); ++i) {
    if (open_[i].fill > 1) tl_->services[i].points.back() = open_[i].point;
  }
}

inline void Telemetry::fold_into(SeriesPoint& into, const SeriesPoint& p, float weight) {
  into.request_rate = (into.request_rate * weight + p.request_rate) / (weight + 1.0f);
  into.error_rate = std::max(into.error_rate, p.error_rate);
  into.latency_p99_ms = std::max(into.latency_p99_ms, p.latency_p99_ms);
  into.cpu = std::max(into.cpu, p.cpu);
  into.memory = std::max(into.memory, p.memory);
  into.ready = std::min(into.ready, p.ready);
  into.desired = std::max(into.desired, p.desired);
  into.queue_lag = std::max(into.queue_lag, p.queue_lag);
  into.dependency_errors = std::max(into.dependency_errors, p.dependency_errors);
  into.oom_kills += p.oom_kills;
  into.restarts += p.restarts;
  into.within_objectives = into.within_objectives && p.within_objectives;
}

}  // namespace selfheal::sim
