// Pods & rollouts (sim/pods.hpp). Compiled in the world's unity translation unit, so the
// tick's calls inline: the members the tick reaches are `inline`.
#include "sim/pods.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace selfheal::sim {

using namespace model;
using engine::ActionKind;

void Pods::build(TimePoint start) {
  if (spec_.capacity_pods) capacity_ = *spec_.capacity_pods;
  sets_.resize(spec_.services.size());
  for (std::size_t i = 0; i < spec_.services.size(); ++i) {
    PodSet& s = sets_[i];
    const ServiceSpec& ss = spec_.services[i];
    s.spec = &ss;
    s.index = i;
    if (ss.releases.empty()) {
      Release r;
      r.revision = 1;
      r.version = "1.0.0";
      r.deployed = start - kDefaultReleaseAge;
      s.releases.push_back(r);
    } else {
      for (const auto& rs : ss.releases)
        s.releases.push_back(make_release(rs, start));
    }
    s.current = s.releases.size() - 1;
    s.last_deploy = s.releases.back().deployed;
    s.templates.push_back(s.current);
    s.tmpl_err.push_back(release_error(s.releases[s.current]));
    s.tmpl = 0;
    s.completed_tmpl = 0;
    s.desired = ss.replicas;
    s.pods.reserve(static_cast<std::size_t>(std::max(4, ss.replicas * 2 + 2)));
    for (int k = 0; k < ss.replicas; ++k) {
      Pod p;
      p.leak_factor = leak_factor_for(s.pod_seq++);
      p.tmpl = 0;
      if (slots_used_ < capacity_) {
        p.phase = Phase::kRunning;
        p.started = start - kInitialPodAge;
        p.ready = start - kInitialPodAge;
        if (s.releases[s.current].crash_loop) {
          p.next = start + s.releases[s.current].crash_after;
        }
        ++slots_used_;
      } else {
        p.phase = Phase::kPending;
      }
      s.pods.push_back(p);
    }
  }
}

Release Pods::make_release(const ReleaseSpec& rs, TimePoint start) {
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

double Pods::release_error(const Release& r) {
  if (!r.bad || r.crash_loop) return 0.0;
  return or_default(r.error_rate, kDefaultBadReleaseErrorRate);
}

std::uint32_t Pods::new_template(PodSet& v, std::size_t rel, const std::string& why) {
  v.templates.push_back(rel);
  v.tmpl_err.push_back(release_error(v.releases[rel]));
  v.tmpl = static_cast<std::uint32_t>(v.templates.size() - 1);
  v.current = rel;
  v.rollout = true;
  env_->log_at(EventKind::kDeploy, v.index, "revision " + std::to_string(v.releases[rel].revision),
               why + ": rolling out " + v.releases[rel].version);
  return v.tmpl;
}

std::uint32_t Pods::deploy(std::size_t svc, Release r, const std::string& why) {
  PodSet& v = sets_[svc];
  v.last_deploy = r.deployed;
  v.releases.push_back(std::move(r));
  return new_template(v, v.releases.size() - 1, why);
}

inline void Pods::schedule_pod(PodSet& v, Pod& p, TimePoint now) {
  if (slots_used_ >= capacity_) {
    p.phase = Phase::kPending;
    p.next = kNever;
    return;
  }
  ++slots_used_;
  p.phase = Phase::kStarting;
  p.started = now;
  p.ready = kNever;
  p.next = now + v.spec->startup_delay;
  p.leaked_mb = 0;
}

inline float Pods::leak_factor_for(std::uint32_t seq) {
  const double x = static_cast<double>(seq) * kGoldenRatioFraction;
  return static_cast<float>(kLeakSpreadMin + kLeakSpreadWidth * (x - std::floor(x)));
}

inline void Pods::create_pod(PodSet& v, TimePoint now) {
  Pod p;
  p.leak_factor = leak_factor_for(v.pod_seq++);
  p.tmpl = v.tmpl;
  schedule_pod(v, p, now);
  v.pods.push_back(p);
}

inline void Pods::terminate(PodSet& v, Pod& p, TimePoint now) {
  if (p.phase == Phase::kPending) {
    p.phase = Phase::kGone;
    return;
  }
  p.phase = Phase::kTerminating;
  p.ready = kNever;
  p.next = now + v.spec->termination_grace;
}

inline void Pods::container_died(PodSet& v, Pod& p, TimePoint t, bool oom) {
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

inline void Pods::account(const PodSet& v, const Pod& p, TimePoint now, PodStats& st) const {
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

inline PodStats Pods::pod_stats(const PodSet& v, TimePoint now) const {
  PodStats st;
  for (const auto& p : v.pods)
    account(v, p, now, st);
  return st;
}

inline PodStats Pods::advance(PodSet& v, TimePoint now, Duration dt, double util) {
  PodStats st;
  const double base_mem = base_memory_mb(v.spec->memory_per_pod_mb, util);
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
          --slots_used_;
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
        env_->log_at(EventKind::kPodEvent, v.index, "OOMKilled",
                     "container exceeded its " + fmt(limit) + " MB limit (restart " +
                         std::to_string(p.restarts) + ")");
      }
    }
    account(v, p, now, st);
  }
  return st;
}

inline bool Pods::reconcile(PodSet& v, TimePoint now, const PodStats& st) {
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

const PodStats& Pods::refresh_due(std::size_t svc, TimePoint now, Duration dt, double util) {
  PodSet& v = sets_[svc];
  PodStats& st = v.stats;
  if (due(svc, now)) {
    st = advance(v, now, dt, util);
    if (st.gone) {
      v.pods.erase(std::remove_if(v.pods.begin(), v.pods.end(),
                                  [](const Pod& p) { return p.phase == Phase::kGone; }),
                   v.pods.end());
      st.gone = false;
    }
  }
  // The controllers have nothing to do in the steady state (checked here, not behind
  // a call: it is every service on almost every tick).
  if (controllers_due(svc) && reconcile(v, now, st)) {
    st = pod_stats(v, now);
  }
  v.dirty = false;
  return st;
}

inline void Pods::roll_out(PodSet& v, TimePoint now) {
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

void Pods::finish_rollout(PodSet& v) {
  v.rollout = false;
  v.completed_tmpl = v.tmpl;
  const Release& r = v.releases[v.current];
  // A good release now serves everything: a bad-deploy incident on this service is over.
  if (!r.bad) env_->good_release_rolled_out(v.index, r);
}

std::uint32_t Pods::restart(std::size_t svc, const std::string& why) {
  return new_template(sets_[svc], sets_[svc].current, why);
}

void Pods::add_leak(std::size_t svc, double mb_per_min) {
  sets_[svc].leak_mb_per_ms += mb_per_min / kMsPerMinute;
}

void Pods::remove_leak(std::size_t svc, double mb_per_min) {
  PodSet& s = sets_[svc];
  s.leak_mb_per_ms = std::max(0.0, s.leak_mb_per_ms - mb_per_min / kMsPerMinute);
}

int Pods::mark(PodSet& s, std::uint8_t flag) {
  int n = 0;
  for (auto& pod : s.pods) {
    if (pod.phase != Phase::kGone && pod.phase != Phase::kTerminating) {
      pod.flags |= flag;
      ++n;
    }
  }
  return n;
}

void Pods::clear(PodSet& s, std::uint8_t flag) {
  for (auto& pod : s.pods)
    pod.flags &= static_cast<std::uint8_t>(~flag);
}

int Pods::start_hog(std::size_t svc, double severity) {
  sets_[svc].hog_severity = severity;
  return mark(sets_[svc], kFlagHog);
}

void Pods::end_hog(std::size_t svc) {
  sets_[svc].hog_severity = 0.0;
  clear(sets_[svc], kFlagHog);
}

int Pods::stall(std::size_t svc) {
  return mark(sets_[svc], kFlagStalled);
}

void Pods::end_stall(std::size_t svc) {
  clear(sets_[svc], kFlagStalled);
}

int Pods::lose(std::size_t svc, int pods, TimePoint replace_at) {
  int lost = 0;
  for (auto& pod : sets_[svc].pods) {
    if (lost >= pods) break;
    if (pod.phase == Phase::kRunning || pod.phase == Phase::kStarting ||
        pod.phase == Phase::kBackoff) {
      pod.phase = Phase::kLost;
      pod.ready = kNever;
      pod.next = replace_at;
      ++lost;
    }
  }
  return lost;
}

bool Pods::take_capacity(std::int64_t slots) {
  if (capacity_ == std::numeric_limits<std::int64_t>::max()) return false;  // unbounded
  capacity_ -= slots;
  return true;
}

}  // namespace selfheal::sim
