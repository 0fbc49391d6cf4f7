// Pods & rollouts: the Deployment and ReplicaSet controllers (surge, unavailability,
// scale-in order), the kubelet (start-up, crash back-off, OOM kills of leaking containers),
// helm releases and pod templates. A good release rolled out ends a bad-deploy incident.
#include "sim/world_impl.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
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
    if (ss.releases.empty()) {
      Release r;
      r.revision = 1;
      r.version = "1.0.0";
      r.deployed = spec.start - kDefaultReleaseAge;
      v.releases.push_back(r);
    } else {
      for (const auto& rs : ss.releases)
        v.releases.push_back(make_release(rs, spec.start));
    }
    v.current = v.releases.size() - 1;
    v.last_deploy = v.releases.back().deployed;
    v.templates.push_back(v.current);
    v.tmpl_err.push_back(release_error(v.releases[v.current]));
    v.tmpl = 0;
    v.completed_tmpl = 0;
    v.desired = ss.replicas;
    for (const auto& f : ss.feature_flags)
      v.flags.push_back({f, 0.0, true, kNever});
    v.pods.reserve(static_cast<std::size_t>(std::max(4, ss.replicas * 2 + 2)));
    for (int k = 0; k < ss.replicas; ++k) {
      Pod p;
      p.leak_factor = leak_factor_for(v.pod_seq++);
      p.tmpl = 0;
      if (slots_used < capacity) {
        p.phase = Phase::kRunning;
        p.started = spec.start - kInitialPodAge;
        p.ready = spec.start - kInitialPodAge;
        if (v.releases[v.current].crash_loop) {
          p.next = spec.start + v.releases[v.current].crash_after;
        }
        ++slots_used;
      } else {
        p.phase = Phase::kPending;
      }
      v.pods.push_back(p);
    }
    const double u0 = ss.traffic.rps / std::max(1.0, ss.replicas * ss.capacity_rps_per_replica);
    v.util = std::min(1.0, u0);
    v.p99 = ss.base_latency_ms * latency_factor(u0);
    v.err = ss.base_error_rate;
  }
  // Calls in flight before the first tick, so upstreams do not start from zero.
  for (std::size_t i = 0; i < svcs.size(); ++i) {
    svcs[i].calls = baseline_rps(i, spec.start, 0);
  }
  ring.reset(static_cast<std::size_t>(opts.telemetry_retention / scrape) + 2, svcs.size());
  const std::size_t fair_share = opts.series_point_budget / std::max<std::size_t>(1, svcs.size());
  series_cap =
      std::max<std::size_t>(kMinSeriesPoints, std::min(opts.series_max_points, fair_share));
}

inline void World::Impl::build_adjacency() {
  seen.resize(svcs.size());
  seen_next.resize(svcs.size());
  open_buckets.assign(svcs.size(), OpenBucket{});
  adj_at.push_back(0);
  for (const Svc& v : svcs) {
    for (const auto* list : {&v.dependents, &v.upstreams}) {
      for (std::size_t d : *list)
        adj.push_back(static_cast<std::uint32_t>(d));
      adj_at.push_back(static_cast<std::uint32_t>(adj.size()));
    }
  }
}

inline Release World::Impl::make_release(const ReleaseSpec& rs, TimePoint start) {
  Release r;
  r.revision = rs.revision;
  r.version = rs.version;
  r.bad = rs.bad;
  r.error_rate = rs.error_rate;
  r.crash_loop = rs.crash_loop;
  r.crash_after = rs.crash_after;
  r.deployed = start - rs.deployed_ago;
  return r;
}

inline double World::Impl::release_error(const Release& r) {
  if (!r.bad || r.crash_loop) return 0.0;
  return or_default(r.error_rate, kDefaultBadReleaseErrorRate);
}

inline std::uint32_t World::Impl::new_template(Svc& v, std::size_t rel, const std::string& why) {
  v.templates.push_back(rel);
  v.tmpl_err.push_back(release_error(v.releases[rel]));
  v.tmpl = static_cast<std::uint32_t>(v.templates.size() - 1);
  v.current = rel;
  v.rollout = true;
  log_at(EventKind::kDeploy, v.index, "revision " + std::to_string(v.releases[rel].revision),
         why + ": rolling out " + v.releases[rel].version);
  return v.tmpl;
}

inline std::uint32_t World::Impl::deploy_release(Svc& v, Release r, const std::string& why) {
  v.last_deploy = r.deployed;
  v.releases.push_back(std::move(r));
  return new_template(v, v.releases.size() - 1, why);
}

inline void World::Impl::schedule_pod(Svc& v, Pod& p, TimePoint now) {
  if (slots_used >= capacity) {
    p.phase = Phase::kPending;
    p.next = kNever;
    return;
  }
  ++slots_used;
  p.phase = Phase::kStarting;
  p.started = now;
  p.ready = kNever;
  p.next = now + v.spec->startup_delay;
  p.leaked_mb = 0;
}

inline float World::Impl::leak_factor_for(std::uint32_t seq) {
  const double x = static_cast<double>(seq) * kGoldenRatioFraction;
  return static_cast<float>(kLeakSpreadMin + kLeakSpreadWidth * (x - std::floor(x)));
}

inline void World::Impl::create_pod(Svc& v, TimePoint now) {
  Pod p;
  p.leak_factor = leak_factor_for(v.pod_seq++);
  p.tmpl = v.tmpl;
  schedule_pod(v, p, now);
  v.pods.push_back(p);
}

inline void World::Impl::terminate(Svc& v, Pod& p, TimePoint now) {
  if (p.phase == Phase::kPending) {
    p.phase = Phase::kGone;
    return;
  }
  p.phase = Phase::kTerminating;
  p.ready = kNever;
  p.next = now + v.spec->termination_grace;
}

inline void World::Impl::container_died(Svc& v, Pod& p, TimePoint t, bool oom) {
  if (t - p.started >= kBackoffReset) p.failures = 0;
  const Duration backoff = std::min<Duration>(
      kBackoffMax, kBackoffBase * (1 << std::min<int>(p.failures, kBackoffMaxShift)));
  if (p.failures < kBackoffMaxFailures) ++p.failures;
  ++p.restarts;
  ++v.cum_restarts;
  v.last_restart = t;
  if (oom) {
    ++v.cum_oom;
    v.last_oom = t;
    p.flags = static_cast<std::uint8_t>(p.flags | kFlagOom);
  } else {
    p.flags = static_cast<std::uint8_t>(p.flags & ~kFlagOom);
  }
  // A new process: runaway threads and stuck consumers are gone with the old one.
  p.flags = static_cast<std::uint8_t>(p.flags & ~(kFlagHog | kFlagStalled));
  p.phase = Phase::kBackoff;
  p.ready = kNever;
  p.next = t + backoff;
  p.leaked_mb = 0;
}

inline void World::Impl::account(const Svc& v, const Pod& p, TimePoint now, PodStats& st) const {
  st.next_event = std::min(st.next_event, p.next);
  switch (p.phase) {
    case Phase::kGone:
      st.gone = true;
      return;
    case Phase::kTerminating:
      return;
    case Phase::kPending:
      ++st.active;
      ++st.pending;
      return;
    case Phase::kStarting:
      ++st.active;
      st.any_live = true;
      st.max_leaked = std::max(st.max_leaked, p.leaked_mb);
      return;
    case Phase::kRunning: {
      ++st.active;
      ++st.ready;
      st.any_live = true;
      st.max_leaked = std::max(st.max_leaked, p.leaked_mb);
      double pc = v.spec->capacity_rps_per_replica;
      if (now - p.ready < v.spec->warmup) {
        pc *= kWarmupCapacityShare;
        st.next_event = std::min(st.next_event, p.ready + v.spec->warmup);
      }
      if (p.flags & kFlagHog) {
        pc *= 1.0 - v.hog_severity;
        ++st.hogs;
      }
      if ((p.flags & kFlagStalled) && v.spec->kind == ServiceKind::kWorker) pc = 0.0;
      st.cap += pc;
      st.rel_err_w += pc * v.tmpl_err[p.tmpl];
      return;
    }
    case Phase::kBackoff:
    case Phase::kLost:
      ++st.active;
      return;
  }
}

inline PodStats World::Impl::pod_stats(const Svc& v, TimePoint now) const {
  PodStats st;
  for (const auto& p : v.pods)
    account(v, p, now, st);
  return st;
}

inline PodStats World::Impl::advance_pods(Svc& v, TimePoint now, Duration dt) {
  PodStats st;
  const double base_mem = base_memory_mb(v.spec->memory_per_pod_mb, v.util);
  const double limit = v.spec->memory_limit_mb;
  const float grow = static_cast<float>(v.leak_mb_per_ms * count_as<Millis>(dt));
  for (auto& p : v.pods) {
    while (p.next <= now) {
      const TimePoint t = p.next;
      switch (p.phase) {
        case Phase::kStarting: {
          p.phase = Phase::kRunning;
          p.ready = t;
          const Release& r = v.releases[v.templates[p.tmpl]];
          p.next = r.crash_loop ? t + r.crash_after : kNever;
          break;
        }
        case Phase::kRunning:
          container_died(v, p, t, false);
          break;
        case Phase::kBackoff:
          p.phase = Phase::kStarting;
          p.started = t;
          p.next = t + v.spec->startup_delay;
          break;
        case Phase::kTerminating:
        case Phase::kLost:
          p.phase = Phase::kGone;
          p.next = kNever;
          --slots_used;
          break;
        case Phase::kPending:
        case Phase::kGone:
          p.next = kNever;
          break;
      }
    }
    if (grow > 0 && (p.phase == Phase::kRunning || p.phase == Phase::kStarting)) {
      p.leaked_mb += grow * p.leak_factor;
      if (base_mem + p.leaked_mb >= limit) {
        container_died(v, p, now, true);
        log_at(EventKind::kPodEvent, v.index, "OOMKilled",
               "container exceeded its " + fmt(limit) + " MB limit (restart " +
                   std::to_string(p.restarts) + ")");
      }
    }
    account(v, p, now, st);
  }
  return st;
}

inline bool World::Impl::reconcile(Svc& v, TimePoint now, const PodStats& st) {
  const int active = st.active;
  if (!v.rollout && active == v.desired && st.pending == 0) return false;
  for (auto& p : v.pods) {
    if (p.phase == Phase::kPending) schedule_pod(v, p, now);
  }
  if (!v.rollout) {
    for (int k = active; k < v.desired; ++k)
      create_pod(v, now);
    int extra = active - v.desired;
    // Scale-in: unready pods first, then the newest ready ones.
    for (int rank = 0; rank < 3 && extra > 0; ++rank) {
      for (auto it = v.pods.rbegin(); it != v.pods.rend() && extra > 0; ++it) {
        Pod& p = *it;
        const bool match =
            (rank == 0 && p.phase == Phase::kPending) ||
            (rank == 1 && (p.phase == Phase::kStarting || p.phase == Phase::kBackoff)) ||
            (rank == 2 && p.phase == Phase::kRunning);
        if (match) {
          terminate(v, p, now);
          --extra;
        }
      }
    }
    return true;
  }
  roll_out(v, now);
  return true;
}

inline const PodStats& World::Impl::refresh_pods(Svc& v, TimePoint now, Duration dt) {
  PodStats& st = v.stats;
  if (pods_due(v, now)) {
    st = advance_pods(v, now, dt);
    if (st.gone) {
      v.pods.erase(std::remove_if(v.pods.begin(), v.pods.end(),
                                  [](const Pod& p) { return p.phase == Phase::kGone; }),
                   v.pods.end());
      st.gone = false;
    }
  }
  // The controllers have nothing to do in the steady state (checked here, not behind
  // a call: it is every service on almost every tick).
  if (controllers_due(v, st) && reconcile(v, now, st)) {
    st = pod_stats(v, now);
  }
  v.pods_dirty = false;
  return st;
}

inline void World::Impl::roll_out(Svc& v, TimePoint now) {
  const int surge0 = v.spec->max_surge.resolve(v.desired, true);
  int unav = v.spec->max_unavailable.resolve(v.desired, false);
  if (surge0 == 0 && unav == 0) unav = 1;
  const int min_avail = v.desired - unav;
  int new_count = 0, new_ready = 0, old_count = 0, old_ready = 0;
  for (const auto& p : v.pods) {
    if (p.phase == Phase::kGone || p.phase == Phase::kTerminating) continue;
    const bool ready = p.phase == Phase::kRunning;
    if (p.tmpl == v.tmpl) {
      ++new_count;
      new_ready += ready;
    } else {
      ++old_count;
      old_ready += ready;
    }
  }
  // Scale the old ReplicaSets down as far as availability allows, unhealthy pods first.
  int max_down = new_count + old_count - min_avail - (new_count - new_ready);
  for (int rank = 0; rank < 2; ++rank) {
    for (auto& p : v.pods) {
      if (p.tmpl == v.tmpl || p.phase == Phase::kGone || p.phase == Phase::kTerminating ||
          p.phase == Phase::kLost) {
        continue;
      }
      const bool ready = p.phase == Phase::kRunning;
      if (rank == 0 && !ready) {
        // Unhealthy old pods can always go: they serve nothing.
        terminate(v, p, now);
        --old_count;
        --max_down;
      } else if (rank == 1 && ready && max_down > 0) {
        terminate(v, p, now);
        --old_count;
        --old_ready;
        --max_down;
      }
    }
  }
  // Scale the new ReplicaSet up within the surge.
  const int room = v.desired + surge0 - (new_count + old_count);
  const int add = std::min(v.desired - new_count, room);
  for (int k = 0; k < add; ++k)
    create_pod(v, now);
  new_count += std::max(0, add);
  // Too many new pods (scaled in during a rollout).
  for (auto it = v.pods.rbegin(); it != v.pods.rend() && new_count > v.desired; ++it) {
    if (it->tmpl == v.tmpl && it->phase != Phase::kGone && it->phase != Phase::kTerminating &&
        it->phase != Phase::kLost) {
      terminate(v, *it, now);
      --new_count;
    }
  }
  if (new_count == v.desired && new_ready >= v.desired && old_count == 0) {
    finish_rollout(v);
  }
}

inline void World::Impl::finish_rollout(Svc& v) {
  v.rollout = false;
  v.completed_tmpl = v.tmpl;
  const Release& r = v.releases[v.current];
  // A good release now serves everything: a bad-deploy incident on this service is over.
  if (!r.bad) faults.good_release_rolled_out(v.index, r);
}

}  // namespace selfheal::sim
