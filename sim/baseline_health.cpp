// Why offered load propagates UNCAPPED: an overloaded caller passes on only what it serves,
// so the simulator's upstream would see less — but the check asks whether the world meets
// its objectives, and once the caller is given the capacity it needs the upstream gets the
// full load. Reporting both names every service that must change. In a healthy world (the
// only one the check lets through) capped and uncapped are the same numbers.
#include "sim/baseline_health.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/duration.hpp"

namespace selfheal::sim {

namespace {

/// The daily shape peaks at 14:00 UTC (kDailyPhaseHour + 6 h: a quarter of the sine).
constexpr Duration kPeakTimeOfDay = std::chrono::hours(14);

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v >= 10 || v == static_cast<long long>(v) ? "%.0f" : "%.1f", v);
  return buf;
}

std::string pct(double share) {
  return num(share * 100.0) + "%";
}

/// The offset in [0, window] where the daily shape is highest (the earliest on ties):
/// the start, the end, or a 14:00 UTC in between — a sine has no other maximum on an
/// interval.
Duration peak_offset(TimePoint start, Duration window) {
  std::vector<Duration> cands{Duration{0}, window};
  const Duration since_midnight =
      (start.time_since_epoch() % model::kDay + model::kDay) % model::kDay;
  TimePoint first = start - since_midnight + kPeakTimeOfDay;
  if (first < start) first += model::kDay;
  for (TimePoint t = first; t - start <= window; t += model::kDay)
    cands.push_back(t - start);
  Duration best{0};
  double best_shape = daily_shape(start);
  for (const Duration c : cands) {
    const double s = daily_shape(start + c);
    if (s > best_shape || (s == best_shape && c < best)) {
      best_shape = s;
      best = c;
    }
  }
  return best;
}

}  // namespace

LoadGraph load_graph(const ClusterSpec& spec) {
  LoadGraph g;
  g.upstreams.resize(spec.services.size());
  g.dependents.resize(spec.services.size());
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < spec.services.size(); ++i)
    index[spec.services[i].name] = i;
  for (std::size_t i = 0; i < spec.services.size(); ++i) {
    for (const auto& d : spec.services[i].depends_on) {
      const auto it = index.find(d);
      if (it == index.end()) continue;  // validate() reports it
      g.upstreams[i].push_back(it->second);
      g.dependents[it->second].push_back(i);
    }
  }
  return g;
}

double offered_rps(const ClusterSpec& spec, const LoadGraph& g, std::size_t i, TimePoint at,
                   int depth) {
  const ServiceSpec& s = spec.services[i];
  double r = s.traffic.rps * (s.traffic.daily_shape ? daily_shape(at) : 1.0);
  if (depth > model::kBaselineMaxDepth) return r;
  for (std::size_t d : g.dependents[i])
    r += offered_rps(spec, g, d, at, depth + 1) * call_share(spec.services[d].kind);
  return r;
}

double baseline_p99_ms(const ClusterSpec& spec, const LoadGraph& g, std::size_t i, TimePoint at,
                       int depth) {
  const ServiceSpec& s = spec.services[i];
  const double cap = std::max(1.0, s.replicas * s.capacity_rps_per_replica);
  double lat = s.base_latency_ms * model::latency_factor(offered_rps(spec, g, i, at, 0) / cap);
  if (depth > model::kBaselineMaxDepth) return lat;
  double up = 0.0;
  for (std::size_t u : g.upstreams[i])
    up = std::max(up, baseline_p99_ms(spec, g, u, at, depth + 1));
  return lat + up;
}

BaselineHealth check_baseline(const ClusterSpec& spec, Duration run_duration) {
  BaselineHealth h;
  h.window = run_duration;
  h.before_fault = false;
  for (const auto& f : spec.faults) {
    if (f.at <= h.window) {
      h.window = f.at;
      h.before_fault = true;
    }
  }
  for (const auto& p : spec.planned) {
    if (p.start <= h.window) {
      h.window = p.start;
      h.before_fault = true;
    }
  }
  h.peak_offset = peak_offset(spec.start, h.window);
  const TimePoint peak_at = spec.start + h.peak_offset;
  const std::string when = h.before_fault ? " before any fault" : " (no fault in the run)";
  const std::string at_peak =
      h.peak_offset == Duration{0}
          ? " at the start"
          : " at the daily peak (+" + core::format_duration(h.peak_offset) + ")";
  const LoadGraph g = load_graph(spec);
  // Pod slots are handed out in spec order at the start, as the World does.
  std::int64_t slots = spec.capacity_pods ? *spec.capacity_pods : INT64_MAX;
  for (std::size_t i = 0; i < spec.services.size(); ++i) {
    const ServiceSpec& s = spec.services[i];
    ServiceLoad l;
    l.service = s.name;
    l.offered_start_rps = offered_rps(spec, g, i, spec.start);
    l.offered_peak_rps = offered_rps(spec, g, i, peak_at);
    l.replicas = s.replicas;
    l.scheduled =
        static_cast<int>(std::min<std::int64_t>(s.replicas, std::max<std::int64_t>(slots, 0)));
    slots -= l.scheduled;
    l.per_replica_rps = s.capacity_rps_per_replica;
    l.capacity_rps = l.scheduled * l.per_replica_rps;
    const std::string pods =
        l.scheduled == l.replicas
            ? std::to_string(l.replicas)
            : std::to_string(l.scheduled) + " of " + std::to_string(l.replicas) + " scheduled";
    const double worst = std::max(l.offered_start_rps, l.offered_peak_rps);
    if (worst > l.capacity_rps) {
      const bool start_worse = l.offered_start_rps >= l.offered_peak_rps;
      h.problems.push_back(s.name + ": " + num(worst) + " rps offered vs " + num(l.capacity_rps) +
                           " capacity (" + pods + " × " + num(l.per_replica_rps) + " rps)" +
                           (start_worse ? std::string(" at the start") : at_peak) + when);
    }
    if (s.base_error_rate > s.slo.error_rate) {
      h.problems.push_back(s.name + ": background error rate " + pct(s.base_error_rate) +
                           " above its objective " + pct(s.slo.error_rate) + when);
    }
    if (s.slo.latency_p99_ms > 0) {
      const double p99 =
          std::max(baseline_p99_ms(spec, g, i, spec.start), baseline_p99_ms(spec, g, i, peak_at));
      if (p99 > s.slo.latency_p99_ms) {
        h.problems.push_back(s.name + ": p99 " + num(p99) +
                             " ms without faults, above its objective " +
                             num(s.slo.latency_p99_ms) + " ms" + when);
      }
    }
    h.services.push_back(std::move(l));
  }
  return h;
}

}  // namespace selfheal::sim
