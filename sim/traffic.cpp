// Traffic & service physics (sim/traffic.hpp). Compiled in the world's unity translation
// unit, so the tick's calls inline: the members the tick reaches are `inline`.
//
// Hot loop layout (docs/model.md "Performance"): each part keeps its per-service records in
// one vector (model::Svc here, model::PodSet in the pods part), each service's pods in one
// contiguous vector of small PODs; the telemetry ring is one preallocated array
// [slot x service]. Nothing in a tick allocates except amortised growth of the
// series / event log and the rare event (a pod created, an alert firing).
#include "sim/traffic.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace selfheal::sim {

using namespace model;

void Traffic::build() {
  phi_ = std::exp(-count_as<Millis>(spec_.scrape_interval) / count_as<Millis>(kNoiseCorrelation));
  phi_innov_ = std::sqrt(1.0 - phi_ * phi_);
  svcs_.resize(spec_.services.size());
  graph_ = load_graph(spec_);
  for (std::size_t i = 0; i < spec_.services.size(); ++i)
    by_name_[spec_.services[i].name] = i;
  for (std::size_t i = 0; i < spec_.services.size(); ++i) {
    Svc& v = svcs_[i];
    const ServiceSpec& ss = spec_.services[i];
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
    v.rng = sim_->stream("svc/" + ss.name + "/traffic");
    if (ss.traffic.noise > 0) v.noise = v.rng.normal(0.0, ss.traffic.noise);
    for (const auto& d : ss.depends_on) {
      v.upstreams.push_back(by_name_.at(d));
      svcs_[by_name_.at(d)].dependents.push_back(i);
    }
    for (const auto& f : ss.feature_flags)
      v.flags.push_back({f, 0.0, true, kNever});
    noted(i);
    const double u0 = ss.traffic.rps / std::max(1.0, ss.replicas * ss.capacity_rps_per_replica);
    v.util = std::min(1.0, u0);
    v.p99 = ss.base_latency_ms * latency_factor(u0);
    v.err = ss.base_error_rate;
  }
  // Calls in flight before the first tick, so upstreams do not start from zero.
  for (std::size_t i = 0; i < svcs_.size(); ++i) {
    svcs_[i].calls = baseline_rps(i, spec_.start, 0);
  }
  seen_.resize(svcs_.size());
  seen_next_.resize(svcs_.size());
  adj_at_.push_back(0);
  for (const Svc& v : svcs_) {
    for (const auto* list : {&v.dependents, &v.upstreams}) {
      for (std::size_t d : *list)
        adj_.push_back(static_cast<std::uint32_t>(d));
      adj_at_.push_back(static_cast<std::uint32_t>(adj_.size()));
    }
  }
}

inline double Traffic::call_factor(const Seen& d, TimePoint now) {
  const bool cache = d.cache;
  double f = cache ? kCacheCallShare : 1.0;
  const Duration age = now - d.purged;
  if (age >= Duration::zero() && age < kPurgeWarmup) {
    const double peak = cache ? kPurgeCallPeakCache : kPurgeCallPeakOther;
    f *= 1.0 + (peak - 1.0) * (1.0 - count_as<Millis>(age) / count_as<Millis>(kPurgeWarmup));
  }
  return f;
}

// What a tick reads of every service ends where the effects begin (four lines); what it
// writes is in the first three (the random stream's state included); the neighbours' copy
// (seen) is the first line.
constexpr std::size_t kSvcHotBytes = 4 * 64;
static_assert(offsetof(model::Svc, fx) <= kSvcHotBytes && alignof(model::Svc) == 64);
static_assert(offsetof(model::Svc, effects) < 64 &&
              offsetof(model::Svc, noise) + sizeof(double) <= 64);
static_assert(offsetof(model::Svc, index) + sizeof(std::size_t) <= 2 * 64);
static_assert(offsetof(model::Svc, rng) >= 2 * 64 &&
              offsetof(model::Svc, rng) + sizeof(Rng) <= 3 * 64);

// A service with no effect and no flag reads these instead of its own (equal, bit for bit:
// Traffic::noted compares the bits), so the tick does not touch the line they are in.
constexpr Effects kNoEffects{};

void Traffic::noted(std::size_t svc) {
  Svc& v = svcs_[svc];
  const auto bits = [](const Effects& e) {
    return std::array{std::bit_cast<std::uint64_t>(e.outage),
                      std::bit_cast<std::uint64_t>(e.maintenance),
                      std::bit_cast<std::uint64_t>(e.degrade_err),
                      std::bit_cast<std::uint64_t>(e.degrade_latency),
                      std::bit_cast<std::uint64_t>(e.ext_mult),
                      std::bit_cast<std::uint64_t>(e.shift),
                      std::bit_cast<std::uint64_t>(e.poison)};
  };
  v.effects = bits(v.fx) != bits(kNoEffects) || !v.flags.empty();
}

inline void Traffic::prefetch(std::size_t svc) const {
  const char* next = reinterpret_cast<const char*>(&svcs_[svc]);
  for (std::size_t off = 0; off < kSvcHotBytes; off += 64)
    __builtin_prefetch(next + off);
}

inline void Traffic::begin_tick(bool first) {
  // The neighbours' view of the previous tick. On one thread a copy pass: the array it
  // writes is then in the cache for the tick's random reads (serve() publishing into a second
  // buffer took ~10% more CPU at 5,000 services, its lines written a whole tick earlier).
  // On several, what the previous tick's serve() calls published (no pass: one hand-over a
  // tick instead of two). The first tick copies the records as built.
  if (first || threads_ <= 1) {
    copy_seen(0, svcs_.size());
  } else {
    seen_.swap(seen_next_);
  }
  if (any_shift_) {
    // No service has been computed yet this tick: `shifted` is the previous tick's.
    std::fill(shift_in_.begin(), shift_in_.end(), 0.0);
    for (const auto& o : svcs_) {
      if (o.shift_to >= 0) shift_in_[static_cast<std::size_t>(o.shift_to)] += o.shifted;
    }
  }
}

inline void Traffic::copy_seen(std::size_t lo, std::size_t hi) {
  for (std::size_t i = lo; i < hi; ++i) {
    const Svc& v = svcs_[i];
    seen_[i] = {v.err, v.p99, v.calls, v.base_error_rate, v.purged, v.cache};
  }
}

inline double Traffic::demand_of(Svc& v, const Effects& fx, TimePoint now, double shape) {
  // Demand: external traffic (daily shape, AR(1) noise, multipliers) plus calls.
  if (v.traffic_noise > 0) {
    // Innovation: a triangular variate (sum of two uniforms) with unit variance; the
    // AR(1) sum of many of them is close to normal, at a quarter of the cost of a
    // normal draw in the hottest loop.
    const std::uint64_t bits = v.rng.next_u64();  // two 32-bit uniforms from one draw
    const double u1 = static_cast<double>(bits >> 32) * 0x1.0p-32;
    const double u2 = static_cast<double>(bits & 0xffffffffULL) * 0x1.0p-32;
    const double tri = (u1 + u2 - 1.0) * kTriangularToUnitVariance;
    v.noise = phi_ * v.noise + phi_innov_ * v.traffic_noise * tri;
  }
  double ext =
      v.traffic_rps * (v.daily_shape ? shape : 1.0) * std::max(0.0, 1.0 + v.noise) * fx.ext_mult;
  v.shifted = ext * fx.shift;
  ext -= v.shifted;
  double demand = ext;
  const std::uint32_t* a = adj_.data();
  for (std::uint32_t k = adj_at_[2 * v.index], e = adj_at_[2 * v.index + 1]; k < e; ++k) {
    const Seen& d = seen_[a[k]];
    demand += d.calls * call_factor(d, now);
  }
  if (any_shift_) demand += shift_in_[v.index];
  return demand;
}

inline double Traffic::upstream_errors(const Svc& v, double& up_lat) const {
  double dep_ok = 1.0;
  const std::uint32_t* a = adj_.data();
  for (std::uint32_t k = adj_at_[2 * v.index + 1], e = adj_at_[2 * v.index + 2]; k < e; ++k) {
    const Seen& up = seen_[a[k]];
    // Only errors above the upstream's background rate reach callers as failures
    // (background errors are retried away), so a healthy call chain does not compound.
    const double base = up.base_error_rate;
    dep_ok *= 1.0 - std::clamp((up.err - base) / (1.0 - base), 0.0, 1.0);
    up_lat = std::max(up_lat, up.p99);
  }
  return 1.0 - dep_ok;
}

inline double Traffic::flag_errors(const Svc& v, TimePoint now) {
  double flag_err = 0.0;
  for (const auto& fl : v.flags) {
    if (fl.severity > 0 && (fl.enabled || now < fl.off_at))
      flag_err = std::max(flag_err, fl.severity);
  }
  return flag_err;
}

inline void Traffic::serve(std::size_t svc, const PodStats& st, double hog_severity, TimePoint now,
                           double shape, double dt_s) {
  Svc& v = svcs_[svc];
  if (v.effects) {
    // A copy: read through a reference, every value would be reloaded after each store to v.
    const Effects fx = v.fx;
    serve_with(v, fx, st, hog_severity, now, shape, dt_s);
  } else {
    // The constants fold (x * 1.0 is x, 1.0 - 0.0 is 1.0: exact in IEEE arithmetic, so
    // the compiler may and does): a quiet service's physics without its effects' work.
    serve_with(v, kNoEffects, st, hog_severity, now, shape, dt_s);
  }
}

inline void Traffic::serve_with(Svc& v, const Effects& fx, const PodStats& st, double hog_severity,
                                TimePoint now, double shape, double dt_s) {
  const int ready = st.ready;
  const int hogs = st.hogs;
  const double cap = st.cap;
  const double rel_err_w = st.rel_err_w;
  const double base_mem = base_memory_mb(v.memory_per_pod_mb, v.util);
  const double max_mem = st.any_live ? base_mem + static_cast<double>(st.max_leaked) : 0.0;
  const bool worker = v.worker;
  v.ready = ready;

  const double demand = demand_of(v, fx, now, shape);

  // Upstreams, as seen on the previous tick.
  double up_lat = 0.0;
  const double dep_err = upstream_errors(v, up_lat);

  const double flag_err = v.effects ? flag_errors(v, now) : 0.0;  // no flags: 0
  const double rel_err = cap > 0 ? rel_err_w / cap : 0.0;
  const double unavail = 1.0 - (1.0 - fx.outage) * (1.0 - fx.maintenance);
  const double own_ok = (1.0 - v.base_error_rate) * (1.0 - rel_err) * (1.0 - flag_err) *
                        (1.0 - fx.poison) * (1.0 - fx.degrade_err) * (1.0 - unavail);
  const double hog_cpu = ready > 0 ? hog_severity * hogs / ready : 0.0;

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
      double lat = v.base_latency_ms * latency_factor(u) + fx.degrade_latency + up_lat;
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
    double lat = v.base_latency_ms * latency_factor(v.util) + fx.degrade_latency + up_lat;
    if (dep_err > kTimeoutThreshold) lat = std::max(lat, kDependencyTimeoutMs);
    v.p99 = std::min(lat, kMaxLatencyMs);
  }
  v.dep_err = dep_err;
  v.mem = max_mem / v.memory_limit_mb;
  v.within =
      !(v.err > v.slo_error_rate || (v.slo_latency_p99_ms > 0 && v.p99 > v.slo_latency_p99_ms) ||
        (v.slo_queue_lag > 0 && v.queue > v.slo_queue_lag));
  if (threads_ > 1) publish_seen(v);
}

void Traffic::flag_on(std::size_t svc, const std::string& name, double severity) {
  auto& flags = svcs_[svc].flags;
  auto it = std::find_if(flags.begin(), flags.end(), [&](const Flag& f) { return f.name == name; });
  if (it == flags.end()) {
    flags.push_back({name, severity, true, kNever});
  } else {
    *it = {name, severity, true, kNever};
  }
  noted(svc);
}

void Traffic::flag_off(std::size_t svc, const std::string& name, TimePoint at) {
  for (auto& f : svcs_[svc].flags) {
    if (f.name == name && f.enabled) {
      f.enabled = false;
      f.off_at = at;
    }
  }
}

std::optional<bool> Traffic::disable_flag(std::size_t svc, const std::string& name,
                                          TimePoint effective) {
  auto& flags = svcs_[svc].flags;
  auto fl = std::find_if(flags.begin(), flags.end(), [&](const Flag& f) { return f.name == name; });
  if (fl == flags.end()) return std::nullopt;
  const bool was_on = fl->enabled;
  fl->enabled = false;
  fl->off_at = std::min(fl->off_at, effective);
  return was_on;
}

bool Traffic::purge_cache(std::size_t svc, TimePoint now) {
  Svc& v = svcs_[svc];
  const bool poisoned = v.fx.poison > 0;
  v.fx.poison = 0.0;
  noted(svc);
  v.purged = now;
  // The next tick's callers read the purge from seen_next_ (no tick copies it any more).
  seen_next_[svc].purged = now;
  return poisoned;
}

double Traffic::shift_traffic(std::size_t svc, double share, std::ptrdiff_t to) {
  Svc& v = svcs_[svc];
  const double before = v.fx.shift;
  v.fx.shift = share;
  v.shift_to = to;
  noted(svc);
  if (to >= 0) {
    // A service now shifts traffic to another one: the tick starts counting shifted load.
    any_shift_ = true;
    shift_in_.assign(svcs_.size(), 0.0);
  }
  return before;
}

}  // namespace selfheal::sim
