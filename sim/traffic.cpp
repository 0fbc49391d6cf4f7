// Traffic & service physics: the scrape tick. Each tick every service's demand (external
// traffic with a daily shape and AR(1) noise, plus its dependents' calls), capacity (ready
// pods), errors, latency, CPU, memory and queue are computed from the PREVIOUS tick's
// values of the others, so the order services are computed in never matters. Then rules
// are evaluated, incidents tracked, waits checked and groups flushed; notifications and
// action results are handed out last (the engine may call back into any port).
//
// Hot loop layout (docs/model.md "Performance"): each part keeps its per-service records in
// one vector (model::Svc here, model::PodSet in the pods part), each service's pods in one
// contiguous vector of small PODs; the telemetry ring is one preallocated array
// [slot x service]. Nothing in a tick allocates except amortised growth of the
// series / event log and the rare event (a pod created, an alert firing).
#include "sim/baseline_health.hpp"
#include "sim/world_impl.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace selfheal::sim {

using namespace model;
using engine::ActionKind;

inline void World::Impl::build_services() {
  svcs.resize(spec.services.size());
  graph = load_graph(spec);
  for (std::size_t i = 0; i < spec.services.size(); ++i)
    by_name[spec.services[i].name] = i;
  for (std::size_t i = 0; i < spec.services.size(); ++i) {
    Svc& v = svcs[i];
    const ServiceSpec& ss = spec.services[i];
    v.spec = &ss;
    v.index = i;
    v.base_error_rate = ss.base_error_rate;
    v.cache = ss.kind == ServiceKind::kCache;
    v.worker = ss.kind == ServiceKind::kWorker;
    v.daily_shape = ss.traffic.daily_shape;
    v.traffic_rps = ss.traffic.rps;
    v.traffic_noise = ss.traffic.noise;
    v.base_latency_ms = ss.base_latency_ms;
    v.memory_per_pod_mb = ss.memory_per_pod_mb;
    v.memory_limit_mb = ss.memory_limit_mb;
    v.slo_error_rate = ss.slo.error_rate;
    v.slo_latency_p99_ms = ss.slo.latency_p99_ms;
    v.slo_queue_lag = ss.slo.queue_lag;
    v.rng = sim.stream("svc/" + ss.name + "/traffic");
    if (ss.traffic.noise > 0) v.noise = v.rng.normal(0.0, ss.traffic.noise);
    for (const auto& d : ss.depends_on) {
      v.upstreams.push_back(by_name.at(d));
      svcs[by_name.at(d)].dependents.push_back(i);
    }
    for (const auto& f : ss.feature_flags)
      v.flags.push_back({f, 0.0, true, kNever});
    const double u0 = ss.traffic.rps / std::max(1.0, ss.replicas * ss.capacity_rps_per_replica);
    v.util = std::min(1.0, u0);
    v.p99 = ss.base_latency_ms * latency_factor(u0);
    v.err = ss.base_error_rate;
  }
  // Calls in flight before the first tick, so upstreams do not start from zero.
  for (std::size_t i = 0; i < svcs.size(); ++i) {
    svcs[i].calls = baseline_rps(i, spec.start, 0);
  }
  const std::size_t fair_share = opts.series_point_budget / std::max<std::size_t>(1, svcs.size());
  telemetry.build(
      svcs.size(), opts.telemetry_retention,
      std::max<std::size_t>(kMinSeriesPoints, std::min(opts.series_max_points, fair_share)));
}

inline void World::Impl::build_adjacency() {
  seen.resize(svcs.size());
  seen_next.resize(svcs.size());
  adj_at.push_back(0);
  for (const Svc& v : svcs) {
    for (const auto* list : {&v.dependents, &v.upstreams}) {
      for (std::size_t d : *list)
        adj.push_back(static_cast<std::uint32_t>(d));
      adj_at.push_back(static_cast<std::uint32_t>(adj.size()));
    }
  }
}

inline double World::Impl::call_factor(const Seen& d, TimePoint now) {
  const bool cache = d.cache;
  double f = cache ? kCacheCallShare : 1.0;
  const Duration age = now - d.purged;
  if (age >= Duration::zero() && age < kPurgeWarmup) {
    const double peak = cache ? kPurgeCallPeakCache : kPurgeCallPeakOther;
    f *= 1.0 + (peak - 1.0) * (1.0 - count_as<Millis>(age) / count_as<Millis>(kPurgeWarmup));
  }
  return f;
}

// What a tick reads of every service ends where the fields read on a change begin; the
// neighbours' copy (seen) is the first line. Of the pods part's record the tick reads the
// first two lines unless the pods are due.
static_assert(offsetof(model::Svc, shift_to) <= 5 * 64 && alignof(model::Svc) == 64);
static_assert(offsetof(model::Svc, ready) + sizeof(int) <= 64 && offsetof(model::Svc, within) < 64);
static_assert(offsetof(model::PodSet, tmpl_err) + sizeof(std::vector<double>) <= 2 * 64 &&
              alignof(model::PodSet) == 64);
constexpr std::size_t kPodSetHotBytes = 2 * 64;

// Services ahead of the one computed whose telemetry row is claimed (prefetch_service):
// a memory round trip is a few services' work.
constexpr std::size_t kRingPrefetchAhead = 8;

inline void World::Impl::prefetch_service(std::size_t i) {
  const char* next = reinterpret_cast<const char*>(&svcs[i]);
  for (std::size_t off = 0; off < offsetof(Svc, shift_to); off += 64)
    __builtin_prefetch(next + off);
  const char* pods_next = reinterpret_cast<const char*>(&pods[i]);
  for (std::size_t off = 0; off < kPodSetHotBytes; off += 64)
    __builtin_prefetch(pods_next + off);
  // The tick's telemetry row is memory last written a retention ago (not in any cache):
  // claim it a few services ahead, so the sample's stores do not hold up the store buffer
  // (a 44-byte sample: every line of the row is claimed at least once).
  telemetry.prefetch(i, std::min(i + kRingPrefetchAhead, svcs.size() - 1));
}

inline void World::Impl::tick() {
  const TimePoint at = sim.now();
  const Duration dt = tick_count == 0 ? Duration::zero() : at - last_tick;
  last_tick = at;
  ++tick_count;
  // The neighbours' view of the previous tick. On one thread a copy pass: the array it
  // writes is then in the cache for the tick's random reads (serve() publishing into a second
  // buffer took ~10% more CPU at 5,000 services, its lines written a whole tick earlier).
  // On several, what the previous tick's serve() calls published (no pass: one hand-over a
  // tick instead of two). The first tick copies the records as built.
  if (tick_count == 1 || opts.threads <= 1) {
    copy_seen(0, svcs.size());
  } else {
    seen.swap(seen_next);
  }
  if (any_shift) {
    // No service has been computed yet this tick: `shifted` is the previous tick's.
    std::fill(shift_in.begin(), shift_in.end(), 0.0);
    for (const auto& o : svcs) {
      if (o.shift_to >= 0) shift_in[static_cast<std::size_t>(o.shift_to)] += o.shifted;
    }
  }
  const double shape = daily_shape(at);
  telemetry.advance();
  if (opts.prometheus_series) prom_ring.advance();
  const double dt_s = count_as<Seconds>(scrape);

  if (opts.threads > 1) {
    tick_parallel(at, dt, shape, dt_s);
  } else {
    for (auto& v : svcs) {
      // The whole state of a service is read on every tick and all services together do
      // not fit in L1: fetch the next one's while this one is computed.
      if (&v != &svcs.back()) prefetch_service(v.index + 1);
      tick_service(v, at, dt, shape, dt_s);
    }
  }

  if (!external_rules.empty()) evaluate_external(at);
  faults.track(at);
  actuation.check_waits(at);
  flush_groups(at);
  tl.end = sim.now();

  // Hand results and notifications out last: the engine may call back into any port.
  auto done = actuation.take_completions();
  for (auto& [cb, res] : done) {
    if (cb) cb(res);
  }
  auto out = std::move(outbox);
  outbox.clear();
  if (sink) {
    for (const auto& i : out)
      sink(i);
  }
  sim.at(at + scrape, [this] { tick(); });
}

inline void World::Impl::copy_seen(std::size_t lo, std::size_t hi) {
  for (std::size_t i = lo; i < hi; ++i) {
    const Svc& v = svcs[i];
    seen[i] = {v.err, v.p99, v.calls, v.base_error_rate, v.purged, v.cache};
  }
}

inline void World::Impl::record_sample(Svc& v, TimePoint at, double dt_s) {
  Sample& s = telemetry.latest(v.index);
  s.rps = static_cast<float>(v.rps);
  s.err = static_cast<float>(v.err);
  s.p99 = static_cast<float>(v.p99);
  s.cpu = static_cast<float>(v.cpu);
  s.mem = static_cast<float>(v.mem);
  s.ready = static_cast<float>(v.ready);
  const model::PodSet& ps = pods[v.index];
  s.desired = static_cast<float>(ps.desired);
  s.queue = static_cast<float>(v.queue);
  s.dep_err = static_cast<float>(v.dep_err);
  s.cum_oom = ps.cum_oom;
  s.cum_restarts = ps.cum_restarts;
  if (opts.prometheus_series) prom_accumulate(v, s, dt_s);
  telemetry.record(v.index, s, v.within, at);
}

inline void World::Impl::tick_service(Svc& v, TimePoint at, Duration elapsed, double shape,
                                      double dt_s) {
  const PodStats& st = pods.refresh(v.index, at, elapsed, v.util);
  serve(v, st, at, shape, dt_s);
  record_sample(v, at, dt_s);
  evaluate_rules(v, at);
}

// Why the parallel tick is exact: a service's physics reads the others only through what
// the previous tick left (prev_* fields, copied before the loop) and their constants, so
// the chunks may compute services in any order. Everything that touches shared state (the
// pod slots, the event log, incidents, alert groups, the event queue) happens in the pods'
// controllers and the alert state machine; a service needing either is deferred, and the
// serial pass runs that work in service order, exactly as the one-thread loop would have
// interleaved it (the work of the services in between changed nothing shared). Nothing a
// deferred service's work changes is read by another service's physics within the tick.
inline void World::Impl::tick_own(Svc& v, TimePoint at, double shape, double dt_s,
                                  std::vector<Deferred>& out) {
  const auto idx = static_cast<std::uint32_t>(v.index);
  const PodStats& st = pods[v.index].stats;
  // Pods::refresh's two conditions for work (the same predicates it tests).
  if (pods.due(v.index, at) || pods.controllers_due(v.index)) {
    out.push_back({idx, true});
    return;
  }
  serve(v, st, at, shape, dt_s);
  record_sample(v, at, dt_s);
  if (check_rules<false>(v, at)) out.push_back({idx, false});
}

inline void World::Impl::tick_parallel(TimePoint at, Duration elapsed, double shape, double dt_s) {
  // Blocks of kBlockServices services, claimed by whichever thread is free: the block, not
  // the thread, decides what is computed and where its deferrals go. One run a tick (the
  // neighbours' view is published by serve(), no copy pass): at 5,000 services ~80 blocks
  // of a few µs each.
  constexpr std::size_t kBlockServices = 64;
  if (!workers) {
    workers = std::make_unique<model::TickWorkers>(opts.threads);
    deferred.resize((svcs.size() + kBlockServices - 1) / kBlockServices);
  }
  // One pointer to the tick's values: the job fits std::function's inline buffer (no
  // allocation per tick).
  struct Tick {
    TimePoint at;
    double shape, dt_s;
  } const t{at, shape, dt_s};
  workers->run(static_cast<std::uint32_t>(deferred.size()), [this, tp = &t](unsigned b) {
    auto& out = deferred[b].list;
    out.clear();
    const std::size_t lo = b * kBlockServices;
    const std::size_t hi = std::min(svcs.size(), lo + kBlockServices);
    for (std::size_t i = lo; i < hi; ++i) {
      if (i + 1 < svcs.size()) prefetch_service(i + 1);
      tick_own(svcs[i], tp->at, tp->shape, tp->dt_s, out);
    }
  });
  for (const auto& block : deferred) {
    for (const Deferred& d : block.list) {
      Svc& v = svcs[d.svc];
      if (d.whole) {
        tick_service(v, at, elapsed, shape, dt_s);
      } else {
        evaluate_rules(v, at);
      }
    }
  }
}

inline double World::Impl::demand_of(Svc& v, TimePoint now, double shape) {
  // Demand: external traffic (daily shape, AR(1) noise, multipliers) plus calls.
  if (v.traffic_noise > 0) {
    // Innovation: a triangular variate (sum of two uniforms) with unit variance; the
    // AR(1) sum of many of them is close to normal, at a quarter of the cost of a
    // normal draw in the hottest loop.
    const std::uint64_t bits = v.rng.next_u64();  // two 32-bit uniforms from one draw
    const double u1 = static_cast<double>(bits >> 32) * 0x1.0p-32;
    const double u2 = static_cast<double>(bits & 0xffffffffULL) * 0x1.0p-32;
    const double tri = (u1 + u2 - 1.0) * kTriangularToUnitVariance;
    v.noise = phi * v.noise + phi_innov * v.traffic_noise * tri;
  }
  double ext =
      v.traffic_rps * (v.daily_shape ? shape : 1.0) * std::max(0.0, 1.0 + v.noise) * v.ext_mult;
  v.shifted = ext * v.shift;
  ext -= v.shifted;
  double demand = ext;
  const std::uint32_t* a = adj.data();
  for (std::uint32_t k = adj_at[2 * v.index], e = adj_at[2 * v.index + 1]; k < e; ++k) {
    const Seen& d = seen[a[k]];
    demand += d.calls * call_factor(d, now);
  }
  if (any_shift) demand += shift_in[v.index];
  return demand;
}

inline double World::Impl::upstream_errors(const Svc& v, double& up_lat) const {
  double dep_ok = 1.0;
  const std::uint32_t* a = adj.data();
  for (std::uint32_t k = adj_at[2 * v.index + 1], e = adj_at[2 * v.index + 2]; k < e; ++k) {
    const Seen& up = seen[a[k]];
    // Only errors above the upstream's background rate reach callers as failures
    // (background errors are retried away), so a healthy call chain does not compound.
    const double base = up.base_error_rate;
    dep_ok *= 1.0 - std::clamp((up.err - base) / (1.0 - base), 0.0, 1.0);
    up_lat = std::max(up_lat, up.p99);
  }
  return 1.0 - dep_ok;
}

inline double World::Impl::flag_errors(const Svc& v, TimePoint now) {
  double flag_err = 0.0;
  for (const auto& fl : v.flags) {
    if (fl.severity > 0 && (fl.enabled || now < fl.off_at))
      flag_err = std::max(flag_err, fl.severity);
  }
  return flag_err;
}

inline void World::Impl::serve(Svc& v, const PodStats& st, TimePoint now, double shape,
                               double dt_s) {
  const int ready = st.ready;
  const int hogs = st.hogs;
  const double cap = st.cap;
  const double rel_err_w = st.rel_err_w;
  const double base_mem = base_memory_mb(v.memory_per_pod_mb, v.util);
  const double max_mem = st.any_live ? base_mem + static_cast<double>(st.max_leaked) : 0.0;
  const bool worker = v.worker;
  v.ready = ready;

  const double demand = demand_of(v, now, shape);

  // Upstreams, as seen on the previous tick.
  double up_lat = 0.0;
  const double dep_err = upstream_errors(v, up_lat);

  const double flag_err = flag_errors(v, now);
  const double rel_err = cap > 0 ? rel_err_w / cap : 0.0;
  const double unavail = 1.0 - (1.0 - v.outage) * (1.0 - v.maintenance);
  const double own_ok = (1.0 - v.base_error_rate) * (1.0 - rel_err) * (1.0 - flag_err) *
                        (1.0 - v.poison) * (1.0 - v.degrade_err) * (1.0 - unavail);
  const double hog_cpu = ready > 0 ? pods[v.index].hog_severity * hogs / ready : 0.0;

  if (!worker) {
    v.rps = demand;
    if (demand <= 0) {
      v.util = 0;
      v.err = 0;
      v.cpu = ready > 0 ? kIdleCpu + hog_cpu : 0.0;
      v.calls = 0;
      v.p99 = v.base_latency_ms + up_lat;
    } else if (cap <= 0) {
      v.util = 1.0;
      v.err = 1.0;  // no endpoints: the ingress answers 503
      v.cpu = 0.0;
      v.calls = 0;
      v.p99 = v.base_latency_ms;
    } else {
      const double u = demand / cap;
      v.util = u;
      const double overload = u > 1.0 ? 1.0 - 1.0 / u : 0.0;
      v.err = 1.0 - own_ok * (1.0 - overload) * (1.0 - dep_err);
      v.cpu = kIdleCpu +
              kLoadCpu * std::min(u, 1.0) * (1.0 - kDependencyWaitCpuSaving * dep_err) *
                  (1.0 - unavail) +
              hog_cpu;
      v.calls = demand * (1.0 - overload) * (1.0 - unavail);
      double lat = v.base_latency_ms * latency_factor(u) + v.degrade_latency + up_lat;
      if (dep_err > kTimeoutThreshold || unavail > kTimeoutThreshold)
        lat = std::max(lat, kDependencyTimeoutMs);
      v.p99 = std::min(lat, kMaxLatencyMs);
    }
  } else {
    const double backlog_rate = v.queue / dt_s;
    const double processed = std::min(cap, demand + backlog_rate);
    v.queue = std::max(0.0, v.queue + (demand - processed) * dt_s);
    v.rps = processed;
    v.util = cap > 0 ? processed / cap : (demand > 0 ? 1.0 : 0.0);
    v.err = processed > 0 ? 1.0 - own_ok * (1.0 - dep_err) : 0.0;
    v.cpu =
        ready > 0 ? kIdleCpu + kLoadCpu * std::min(v.util, 1.0) * (1.0 - unavail) + hog_cpu : 0.0;
    v.calls = processed * (1.0 - unavail);
    double lat = v.base_latency_ms * latency_factor(v.util) + v.degrade_latency + up_lat;
    if (dep_err > kTimeoutThreshold) lat = std::max(lat, kDependencyTimeoutMs);
    v.p99 = std::min(lat, kMaxLatencyMs);
  }
  v.dep_err = dep_err;
  v.mem = max_mem / v.memory_limit_mb;
  v.within =
      !(v.err > v.slo_error_rate || (v.slo_latency_p99_ms > 0 && v.p99 > v.slo_latency_p99_ms) ||
        (v.slo_queue_lag > 0 && v.queue > v.slo_queue_lag));
  if (opts.threads > 1) publish_seen(v);
}

// The no-fault baselines are the pure functions the baseline health check uses
// (sim/baseline_health.hpp): the check and the model cannot disagree.
inline double World::Impl::baseline_rps(std::size_t i, TimePoint at, int depth) const {
  return offered_rps(spec, graph, i, at, depth);
}

inline double World::Impl::baseline_p99(std::size_t i, TimePoint at, int depth) const {
  return baseline_p99_ms(spec, graph, i, at, depth);
}

inline engine::DependencyHealth World::Impl::service_health(std::size_t u) const {
  const Svc& up = svcs[u];
  const int desired = pods[u].desired;
  engine::DependencyHealth h;
  h.service = {spec.ns, up.spec->name};
  const double ready_ratio = desired > 0 ? static_cast<double>(up.ready) / desired : 1.0;
  h.error_rate = up.err;
  const char* what = up.spec->kind == ServiceKind::kDatabase ? "db-connection-errors"
                     : up.spec->kind == ServiceKind::kCache  ? "cache-errors"
                                                             : "upstream-errors";
  if (up.err > kUnhealthyErrorRate) {
    h.healthy = false;
    h.reason = std::string(what) + " " + fmt(up.err) + " > " + fmt(kUnhealthyErrorRate);
  } else if (ready_ratio < kUnhealthyReadyRatio) {
    h.healthy = false;
    h.reason = "ready replicas " + std::to_string(up.ready) + "/" + std::to_string(desired);
  } else if (up.p99 > kUnhealthyLatencyFactor * std::max(1.0, baseline_p99(u, sim.now(), 0))) {
    h.healthy = false;
    h.reason = "p99 " + fmt(up.p99) + " ms, " + fmt(up.p99 / baseline_p99(u, sim.now(), 0)) +
               "x its baseline";
  }
  return h;
}

inline std::vector<engine::DependencyHealth> World::Impl::upstream_health(
    const engine::ServiceRef& ref) const {
  std::vector<engine::DependencyHealth> out;
  auto it = by_name.find(ref.name);
  if (ref.ns != spec.ns || it == by_name.end()) return out;
  for (std::size_t u : svcs[it->second].upstreams)
    out.push_back(service_health(u));
  return out;
}

inline engine::DependencyHealth World::Impl::health_of(const engine::ServiceRef& ref) const {
  auto it = by_name.find(ref.name);
  if (ref.ns != spec.ns || it == by_name.end()) {
    engine::DependencyHealth h;
    h.service = ref;
    h.reason = "unknown service " + ref.key();
    return h;
  }
  return service_health(it->second);
}

}  // namespace selfheal::sim
