// Telemetry: chart series (bucketed, halved when full, objectives intervals kept exactly)
// and the Telemetry port's signals, read from the full-resolution ring of recent ticks;
// the snapshot view for tests.
#include "sim/world_impl.hpp"

#include <algorithm>
#include <string>

namespace selfheal::sim {

using namespace model;
using engine::ActionKind;

inline void World::Impl::record_series(Svc& v, const Sample& s, TimePoint t) {
  const bool out = !v.within;
  if (out) {
    auto& iv = tl.services[v.index].outside_objectives;
    if (!iv.empty() && iv.back().end == t) {
      iv.back().end = t + spec.scrape_interval;
    } else {
      iv.push_back({t, t + spec.scrape_interval});
    }
  }
  if (!opts.record_series) return;
  const std::uint32_t d_oom = s.cum_oom - v.series_oom;
  const std::uint32_t d_rst = s.cum_restarts - v.series_restarts;
  v.series_oom = s.cum_oom;
  v.series_restarts = s.cum_restarts;
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
  // Most ticks fold into the open bucket, which lives in the compact open_buckets array:
  // the series itself (a cache miss a service at thousands of services) is touched only
  // when a bucket closes. The same fold_into calls on the same values as folding into the
  // series' last point: the points are bit for bit the same.
  OpenBucket& ob = open_buckets[v.index];
  if (ob.fill > 0 && ob.fill < ob.ticks) {
    fold_into(ob.point, p, static_cast<float>(ob.fill));
    ++ob.fill;
    return;
  }
  ServiceSeries& ser = tl.services[v.index];
  if (ob.fill > 1) ser.points.back() = ob.point;  // close the bucket (unchanged if 1 tick)
  if (ser.points.size() >= series_cap) {
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
  if (ser.points.size() == ser.points.capacity() && 2 * ser.points.capacity() > series_cap) {
    ser.points.reserve(series_cap);  // the last growth: exactly the cap, not the next doubling
  }
  ser.points.push_back(p);
  ob.point = p;
  ob.fill = 1;
}

inline void World::Impl::flush_series() {
  if (!series_open) return;
  series_open = false;
  if (tl.services.size() != open_buckets.size()) return;  // taken by take_timeline()
  for (std::size_t i = 0; i < open_buckets.size(); ++i) {
    if (open_buckets[i].fill > 1) tl.services[i].points.back() = open_buckets[i].point;
  }
}

inline void World::Impl::fold_into(SeriesPoint& into, const SeriesPoint& p, float weight) {
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

inline engine::ServiceSignals World::Impl::signals_for(const engine::ServiceRef& ref,
                                                       Duration window) {
  engine::ServiceSignals out;
  auto it = by_name.find(ref.name);
  if (ref.ns != spec.ns || it == by_name.end() || ring.filled() == 0) {
    out.missing = {"error_rate",   "latency_p99_ms",   "cpu_utilization", "memory_utilization",
                   "oom_kills",    "restarts",         "ready_ratio",     "queue_lag",
                   "request_rate", "dependency_errors"};
    return out;
  }
  const Svc& v = svcs[it->second];
  const std::size_t n = std::min(ticks_in(window), ring.filled());
  double rps = 0, err = 0, p99 = 0, cpu = 0, dep = 0;
  for (std::size_t b = 0; b < n; ++b) {
    const Sample& s = sample_back(v, b);
    rps += s.rps;
    err += s.err;
    p99 += s.p99;
    cpu += s.cpu;
    dep += s.dep_err;
  }
  const double dn = static_cast<double>(n);
  const Sample& last = sample_back(v, 0);
  const Sample& first = sample_back(v, n - 1);
  const Sample& before = sample_back(v, n);  // zero before the start
  out.request_rate = rps / dn;
  out.error_rate = err / dn;
  out.latency_p99_ms = p99 / dn;
  out.cpu_utilization = cpu / dn;
  out.dependency_errors = dep / dn;
  out.memory_utilization = last.mem;
  const double hours = count_as<Hours>(ticks_span(n - 1));
  out.memory_growth_per_hour = hours > 0 ? (last.mem - first.mem) / hours : 0.0;
  out.oom_kills = static_cast<double>(last.cum_oom - (n < ring.filled() ? before.cum_oom : 0u));
  out.restarts =
      static_cast<double>(last.cum_restarts - (n < ring.filled() ? before.cum_restarts : 0u));
  out.ready_replicas = last.ready;
  out.desired_replicas = last.desired;
  out.queue_lag = last.queue;
  const double mins = count_as<Minutes>(ticks_span(n - 1));
  out.queue_lag_trend = mins > 0 ? (last.queue - first.queue) / mins : 0.0;
  const model::PodSet& ps = pods[v.index];
  out.since_last_deploy = sim.now() - ps.last_deploy;
  out.current_revision = ps.releases[ps.current].revision;
  const TimePoint now = sim.now();
  out.request_rate_baseline = baseline_rps(v.index, now, 0);
  out.error_rate_baseline = v.spec->base_error_rate;
  out.latency_p99_baseline_ms = baseline_p99(v.index, now, 0);
  out.error_rate_objective = v.spec->slo.error_rate;
  out.latency_p99_objective_ms = v.spec->slo.latency_p99_ms;
  out.queue_lag_objective = v.spec->slo.queue_lag;
  return out;
}

inline ServiceSnapshot World::Impl::snapshot(std::string_view name) const {
  auto it = by_name.find(std::string(name));
  if (it == by_name.end()) throw std::out_of_range("unknown service " + std::string(name));
  const Svc& v = svcs[it->second];
  ServiceSnapshot s;
  s.name = v.spec->name;
  const model::PodSet& ps = pods[v.index];
  s.desired = ps.desired;
  const double base_mem = base_memory_mb(v.spec->memory_per_pod_mb, v.util);
  for (const auto& p : ps.pods) {
    switch (p.phase) {
      case Phase::kPending:
        ++s.pending;
        break;
      case Phase::kStarting:
        ++s.starting;
        s.max_memory_mb = std::max(s.max_memory_mb, base_mem + p.leaked_mb);
        break;
      case Phase::kRunning:
        ++s.running;
        ++s.ready;
        s.max_memory_mb = std::max(s.max_memory_mb, base_mem + p.leaked_mb);
        break;
      case Phase::kBackoff:
        ++s.crashloop;
        break;
      case Phase::kTerminating:
        ++s.terminating;
        break;
      case Phase::kLost:
      case Phase::kGone:
        break;
    }
  }
  s.restarts = static_cast<int>(ps.cum_restarts);
  s.oom_kills = static_cast<int>(ps.cum_oom);
  s.revision = ps.releases[ps.current].revision;
  s.version = ps.releases[ps.current].version;
  s.rollout_in_progress = ps.rollout;
  s.request_rate = v.rps;
  s.error_rate = v.err;
  s.cpu = v.cpu;
  s.latency_p99_ms = v.p99;
  s.queue_lag = v.queue;
  s.dependency_errors = v.dep_err;
  for (const auto& f : v.flags) {
    if (f.enabled) s.enabled_flags.push_back(f.name);
  }
  return s;
}

}  // namespace selfheal::sim
