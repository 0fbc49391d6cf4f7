// Faults and incidents: the scenario's ground truth (faults and planned events, each an
// incident), their effects on the model when they start and end, attribution of timeline
// events to the incident active on a service, and impact / recovery tracking.
#include "core/duration.hpp"
#include "sim/world_impl.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace selfheal::sim {

using namespace model;
using engine::ActionKind;

inline void World::Impl::build_timeline() {
  tl.start = spec.start;
  tl.end = spec.start;
  tl.scrape_interval = spec.scrape_interval;
  for (const auto& s : spec.services) {
    ServiceSeries ss;
    ss.service = s.name;
    ss.slo = s.slo;
    ss.step = spec.scrape_interval;
    tl.services.push_back(std::move(ss));
  }
  auto truths = ground_truths(spec);
  for (std::size_t k = 0; k < truths.size(); ++k) {
    IncidentRecord rec;
    rec.truth = std::move(truths[k]);
    rec.start = spec.start + rec.truth.start;
    IncidentRuntime rt;
    rt.affects.assign(svcs.size(), 0);
    rt.impacted.assign(svcs.size(), 0);
    for (const auto& a : rec.truth.affected) {
      rt.affects[by_name.at(a)] = 1;
      rt.affected_index.push_back(by_name.at(a));
    }
    if (!rec.truth.root_service.empty())
      rt.root = static_cast<std::ptrdiff_t>(by_name.at(rec.truth.root_service));
    if (k < spec.faults.size()) {
      rt.fault = static_cast<std::ptrdiff_t>(k);
    } else {
      rt.planned = static_cast<std::ptrdiff_t>(k - spec.faults.size());
    }
    tl.incidents.push_back(std::move(rec));
    inc.push_back(std::move(rt));
  }
}

inline void World::Impl::schedule_scenario() {
  for (std::size_t k = 0; k < inc.size(); ++k) {
    const auto& rec = tl.incidents[k];
    sim.at(rec.start, [this, k] { begin_incident(k); });
    if (inc[k].fault >= 0) {
      const FaultSpec& f = spec.faults[static_cast<std::size_t>(inc[k].fault)];
      if (f.duration && f.kind != FaultKind::kBadDeploy) {
        sim.at(rec.start + *f.duration, [this, k] { end_incident(k, "duration elapsed"); });
      }
      if (f.intermittent) {
        phase_rng.emplace(k, sim.stream("fault/" + rec.truth.id + "/intermittent"));
        sim.at(rec.start + jittered(k, f.intermittent->on, *f.intermittent),
               [this, k] { intermittent_phase(k, false); });
      }
    } else {
      const PlannedEventSpec& p = spec.planned[static_cast<std::size_t>(inc[k].planned)];
      sim.at(spec.start + p.end, [this, k] { end_incident(k, "planned end"); });
    }
  }
}

inline Duration World::Impl::jittered(std::size_t k, Duration phase, const IntermittentSpec& spec) {
  const double j = spec.jitter_fraction > 0
                       ? spec.jitter_fraction * static_cast<double>(phase.count())
                       : static_cast<double>(spec.jitter.count());
  if (j <= 0) return phase;
  const double d = phase_rng.at(k).uniform_real(-j, j);
  return std::max(Duration{1}, phase + Duration{static_cast<std::int64_t>(std::llround(d))});
}

inline void World::Impl::intermittent_phase(std::size_t k, bool on) {
  auto& rt = inc[k];
  if (rt.ended || !rt.started) return;
  const FaultSpec& f = spec.faults[static_cast<std::size_t>(rt.fault)];
  Svc& v = svcs[static_cast<std::size_t>(rt.root)];
  std::string detail;
  if (on) {
    detail = "intermittent: on again: " + apply_fault(k, f, v);
  } else {
    v.pods_dirty = true;
    if (f.kind == FaultKind::kDependencyOutage) v.outage = 0.0;
    if (f.kind == FaultKind::kDependencyDegradation) {
      v.degrade_err = 0.0;
      v.degrade_latency = 0.0;
    }
    detail = "intermittent: off for now (the fault is not over)";
  }
  rt.effect_off = !on;
  auto& e = log(EventKind::kFaultPhase, f.target, std::string(to_string(f.kind)), detail);
  e.incident = tl.incidents[k].truth.id;
  const Duration next = jittered(k, on ? f.intermittent->on : f.intermittent->off, *f.intermittent);
  sim.after(next, [this, k, on] { intermittent_phase(k, !on); });
}

inline bool World::Impl::active_for(std::size_t k, std::size_t svc) const {
  const auto& rt = inc[k];
  if (!rt.started || !rt.affects[svc]) return false;
  const auto& rec = tl.incidents[k];
  return !rt.ended || (rec.impact && !rec.recovered);
}

inline std::ptrdiff_t World::Impl::attribute(std::size_t svc) const {
  std::ptrdiff_t best = -1;
  bool best_root = false;
  for (const std::size_t k : live) {
    if (!active_for(k, svc)) continue;
    const bool root = inc[k].root == static_cast<std::ptrdiff_t>(svc);
    if (best < 0 || (root && !best_root) ||
        (root == best_root &&
         tl.incidents[static_cast<std::size_t>(best)].start <= tl.incidents[k].start)) {
      best = static_cast<std::ptrdiff_t>(k);
      best_root = root;
    }
  }
  return best;
}

inline std::string World::Impl::incident_id_for(std::string_view service) const {
  auto it = by_name.find(std::string(service));
  if (it == by_name.end()) return {};
  const auto k = attribute(it->second);
  return k < 0 ? std::string{} : tl.incidents[static_cast<std::size_t>(k)].truth.id;
}

inline TimelineEvent& World::Impl::log_at(EventKind kind, std::size_t svc, std::string name,
                                          std::string detail) {
  TimelineEvent e;
  e.time = sim.now();
  e.kind = kind;
  const auto k = attribute(svc);
  if (k >= 0) e.incident = tl.incidents[static_cast<std::size_t>(k)].truth.id;
  e.service = svcs[svc].spec->name;
  e.name = std::move(name);
  e.detail = std::move(detail);
  tl.events.push_back(std::move(e));
  return tl.events.back();
}

inline TimelineEvent& World::Impl::log(EventKind kind, std::string service, std::string name,
                                       std::string detail) {
  TimelineEvent e;
  e.time = sim.now();
  e.kind = kind;
  e.incident = incident_id_for(service);
  e.service = std::move(service);
  e.name = std::move(name);
  e.detail = std::move(detail);
  tl.events.push_back(std::move(e));
  return tl.events.back();
}

inline void World::Impl::begin_incident(std::size_t k) {
  auto& rt = inc[k];
  auto& rec = tl.incidents[k];
  rt.started = true;
  live.push_back(k);
  const std::string& id = rec.truth.id;
  if (rt.fault >= 0) {
    const FaultSpec& f = spec.faults[static_cast<std::size_t>(rt.fault)];
    Svc& v = svcs[static_cast<std::size_t>(rt.root)];
    std::string detail = apply_fault(k, f, v);
    auto& e = log(EventKind::kFaultStart, f.target, std::string(to_string(f.kind)), detail);
    e.incident = id;
  } else {
    const PlannedEventSpec& p = spec.planned[static_cast<std::size_t>(rt.planned)];
    std::string detail;
    if (rt.root >= 0) {
      Svc& v = svcs[static_cast<std::size_t>(rt.root)];
      switch (p.kind) {
        case PlannedKind::kMarketingCampaign:
          v.ext_mult *= p.traffic_multiplier;
          detail = "external traffic x" + fmt(p.traffic_multiplier);
          break;
        case PlannedKind::kDeployWindow: {
          ReleaseSpec rs = *p.release;
          if (rs.revision <= v.releases.back().revision)
            rs.revision = v.releases.back().revision + 1;
          Release r = make_release(rs, now_ms());
          r.deployed_ms = now_ms();
          detail =
              "helm upgrade to revision " + std::to_string(r.revision) + " (" + r.version + ")";
          deploy_release(v, std::move(r), "planned deploy " + id);
          break;
        }
        case PlannedKind::kMaintenance:
          v.maintenance = p.severity;
          detail = "maintenance: " + fmt(p.severity) + " of requests fail";
          break;
      }
    }
    auto& e = log(EventKind::kPlannedStart, p.service, std::string(to_string(p.kind)), detail);
    e.incident = id;
  }
}

inline std::string World::Impl::apply_fault(std::size_t k, const FaultSpec& f, Svc& v) {
  const ServiceSpec& ss = *v.spec;
  v.pods_dirty = true;
  const auto& p = f.params;
  switch (f.kind) {
    case FaultKind::kMemoryLeak: {
      double rate = p.rate;
      if (rate <= 0) rate = default_leak_mb_per_min(ss.memory_limit_mb, ss.memory_per_pod_mb);
      v.leak_mb_per_ms += rate / kMsPerMinute;
      return "memory leak " + fmt(rate) + " MB/min per container";
    }
    case FaultKind::kCpuHog: {
      v.hog_severity = or_default(p.severity, kDefaultHogSeverity);
      int n = 0;
      for (auto& pod : v.pods) {
        if (pod.phase != Phase::kGone && pod.phase != Phase::kTerminating) {
          pod.flags |= kFlagHog;
          ++n;
        }
      }
      return "runaway threads in " + std::to_string(n) + " pods take " + fmt(v.hog_severity) +
             " of their CPU";
    }
    case FaultKind::kBadDeploy:
      return deploy_bad_release(p, v);
    case FaultKind::kDependencyOutage:
      v.outage = 1.0;
      return ss.name + " unavailable";
    case FaultKind::kDependencyDegradation:
      v.degrade_err = or_default(p.severity, kDefaultDegradeErrorRate);
      v.degrade_latency = or_default(p.latency_ms, kDefaultDegradeLatencyMs);
      return ss.name + " fails " + fmt(v.degrade_err) + " of calls, +" + fmt(v.degrade_latency) +
             " ms";
    case FaultKind::kTrafficSpike:
      v.ext_mult *= p.multiplier;
      return "unplanned external traffic x" + fmt(p.multiplier);
    case FaultKind::kPodLoss:
      return lose_pods(k, p, v);
    case FaultKind::kConsumerStall: {
      int n = 0;
      for (auto& pod : v.pods) {
        if (pod.phase != Phase::kGone && pod.phase != Phase::kTerminating) {
          pod.flags |= kFlagStalled;
          ++n;
        }
      }
      return std::to_string(n) + " consumers stalled";
    }
    case FaultKind::kBadFeatureFlag: {
      const std::string name = p.flag.empty() ? "new-" + ss.name + "-flow" : p.flag;
      const double sev = or_default(p.severity, kDefaultFlagSeverity);
      auto it = std::find_if(v.flags.begin(), v.flags.end(),
                             [&](const Flag& fl) { return fl.name == name; });
      if (it == v.flags.end()) {
        v.flags.push_back({name, sev, true, kNever});
      } else {
        *it = {name, sev, true, kNever};
      }
      return "flag " + name + " on: " + fmt(sev) + " of requests fail";
    }
    case FaultKind::kPoisonedCache:
      v.poison = or_default(p.severity, kDefaultPoisonSeverity);
      return "cache serves bad entries: " + fmt(v.poison) + " of requests fail";
  }
  return {};
}

inline std::string World::Impl::lose_pods(std::size_t k, const FaultParams& p, Svc& v) {
  int lost = 0;
  for (auto& pod : v.pods) {
    if (lost >= p.pods) break;
    if (pod.phase == Phase::kRunning || pod.phase == Phase::kStarting ||
        pod.phase == Phase::kBackoff) {
      pod.phase = Phase::kLost;
      pod.ready_ms = kNever;
      pod.next_ms = now_ms() + p.replace_after.count();
      ++lost;
    }
  }
  if (p.capacity_loss > 0 && capacity != std::numeric_limits<int64_t>::max()) {
    capacity -= p.capacity_loss;
    inc[k].capacity_lost = p.capacity_loss;
  }
  return "node failure: " + std::to_string(lost) + " pods lost";
}

inline std::string World::Impl::deploy_bad_release(const FaultParams& p, Svc& v) {
  Release r;
  r.revision = v.releases.back().revision + 1;
  r.version = p.version.empty() ? v.releases[v.current].version + "-bad" : p.version;
  r.bad = true;
  r.crash_loop = p.crash_loop;
  r.error_rate = or_default(p.severity, kDefaultBadReleaseErrorRate);
  r.deployed_ms = now_ms();
  std::string d =
      "helm upgrade to revision " + std::to_string(r.revision) + " (" + r.version +
      (r.crash_loop ? ", crash-loops)" : ", " + fmt(r.error_rate) + " of requests fail)");
  deploy_release(v, std::move(r), "bad deploy");
  return d;
}

inline void World::Impl::end_incident(std::size_t k, const std::string& why) {
  auto& rt = inc[k];
  if (rt.ended || !rt.started) return;
  rt.ended = true;
  auto& rec = tl.incidents[k];
  rec.end = sim.now();
  std::string service;
  std::string name;
  EventKind kind = EventKind::kFaultEnd;
  if (rt.fault >= 0) {
    const FaultSpec& f = spec.faults[static_cast<std::size_t>(rt.fault)];
    Svc& v = svcs[static_cast<std::size_t>(rt.root)];
    v.pods_dirty = true;
    service = f.target;
    name = std::string(to_string(f.kind));
    const auto& p = f.params;
    switch (f.kind) {
      case FaultKind::kMemoryLeak: {
        double rate = p.rate;
        if (rate <= 0)
          rate = default_leak_mb_per_min(v.spec->memory_limit_mb, v.spec->memory_per_pod_mb);
        v.leak_mb_per_ms = std::max(0.0, v.leak_mb_per_ms - rate / kMsPerMinute);
        break;
      }
      case FaultKind::kCpuHog:
        v.hog_severity = 0.0;
        for (auto& pod : v.pods)
          pod.flags &= static_cast<std::uint8_t>(~kFlagHog);
        break;
      case FaultKind::kBadDeploy:
        break;  // ends when a good release replaces it
      case FaultKind::kDependencyOutage:
        v.outage = 0.0;
        break;
      case FaultKind::kDependencyDegradation:
        v.degrade_err = 0.0;
        v.degrade_latency = 0.0;
        break;
      case FaultKind::kTrafficSpike:
        v.ext_mult /= p.multiplier;
        break;
      case FaultKind::kPodLoss:
        capacity += rt.capacity_lost;
        rt.capacity_lost = 0;
        break;
      case FaultKind::kConsumerStall:
        for (auto& pod : v.pods)
          pod.flags &= static_cast<std::uint8_t>(~kFlagStalled);
        break;
      case FaultKind::kBadFeatureFlag: {
        const std::string fname = p.flag.empty() ? "new-" + v.spec->name + "-flow" : p.flag;
        for (auto& fl : v.flags) {
          if (fl.name == fname && fl.enabled) {
            fl.enabled = false;
            fl.off_at = now_ms();
          }
        }
        break;
      }
      case FaultKind::kPoisonedCache:
        v.poison = 0.0;
        break;
    }
  } else {
    const PlannedEventSpec& p = spec.planned[static_cast<std::size_t>(rt.planned)];
    service = p.service;
    name = std::string(to_string(p.kind));
    kind = EventKind::kPlannedEnd;
    if (rt.root >= 0) {
      Svc& v = svcs[static_cast<std::size_t>(rt.root)];
      if (p.kind == PlannedKind::kMarketingCampaign) v.ext_mult /= p.traffic_multiplier;
      if (p.kind == PlannedKind::kMaintenance) v.maintenance = 0.0;
    }
  }
  auto& e = log(kind, service, name, why);
  e.incident = rec.truth.id;
}

inline void World::Impl::end_cause_of_kind(std::size_t svc, FaultKind kind,
                                           const std::string& why) {
  for (std::size_t k = 0; k < inc.size(); ++k) {
    const auto& rt = inc[k];
    if (rt.fault < 0 || rt.ended || !rt.started || rt.root != static_cast<std::ptrdiff_t>(svc))
      continue;
    if (spec.faults[static_cast<std::size_t>(rt.fault)].kind == kind) end_incident(k, why);
  }
}

inline void World::Impl::track_incidents(TimePoint at) {
  const int64_t now = core::to_unix_ms(at);
  const int64_t hold = opts.recovery_hold.count();
  // Drop incidents that are over: cause ended and recovered (or never impacted).
  live.erase(std::remove_if(live.begin(), live.end(),
                            [&](std::size_t k) {
                              return inc[k].ended && (tl.incidents[k].recovered || inc[k].closed);
                            }),
             live.end());
  for (const std::size_t k : live) {
    auto& rt = inc[k];
    if (rt.closed) continue;
    auto& rec = tl.incidents[k];
    if (rec.recovered) continue;
    bool any_out = false;
    for (const std::size_t s : rt.affected_index) {
      if (svcs[s].within) continue;
      any_out = true;
      if (!rt.impacted[s]) {
        rt.impacted[s] = 1;
        rec.impacted.push_back(svcs[s].spec->name);
      }
    }
    if (!rec.impact) {
      if (any_out) {
        rec.impact = tp(now);
      } else if (rt.ended && rec.end && now - core::to_unix_ms(*rec.end) > kNoImpactClose.count()) {
        rt.closed = true;  // never made anything leave its objectives
      }
      continue;
    }
    if (any_out) {
      rt.hold_start = -1;
      continue;
    }
    if (rt.hold_start < 0) rt.hold_start = now;
    if (now - rt.hold_start >= hold) {
      rec.recovered = tp(rt.hold_start);
      TimelineEvent e;
      e.time = tp(rt.hold_start);
      e.kind = EventKind::kRecovered;
      e.service = rec.truth.root_service;
      e.incident = rec.truth.id;
      e.name = "recovered";
      e.detail = "every affected service within objectives for " +
                 core::format_duration(opts.recovery_hold);
      auto pos = std::upper_bound(tl.events.begin(), tl.events.end(), e.time,
                                  [](TimePoint t, const TimelineEvent& x) { return t < x.time; });
      tl.events.insert(pos, std::move(e));
    }
  }
}

inline std::vector<engine::PlannedEvent> World::Impl::calendar_active(const engine::ServiceRef& ref,
                                                                      TimePoint now) const {
  std::vector<engine::PlannedEvent> out;
  if (ref.ns != spec.ns) return out;
  for (std::size_t k = 0; k < spec.planned.size(); ++k) {
    const auto& p = spec.planned[k];
    if (!p.service.empty() && p.service != ref.name) continue;
    const TimePoint s = spec.start + p.start;
    const TimePoint e = spec.start + p.end;
    if (now < s || now >= e) continue;
    engine::PlannedEvent ev;
    ev.name = tl.incidents[spec.faults.size() + k].truth.id;
    ev.kind = std::string(to_string(p.kind));
    ev.start = s;
    ev.end = e;
    ev.traffic_multiplier = p.traffic_multiplier;
    out.push_back(std::move(ev));
  }
  return out;
}

}  // namespace selfheal::sim
