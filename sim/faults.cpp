// Faults and incidents: the scenario's ground truth (faults and planned events, each an
// incident), their effects on the model when they start and end, attribution of timeline
// events to incidents, and impact / recovery tracking. The order of its events on the
// kernel, of its random draws and of its log entries is part of a run's determinism.
#include "sim/faults.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/duration.hpp"

namespace selfheal::sim {

using namespace model;

namespace {

/// The flag a bad-feature-flag fault turns on: its own name, or one named after the service.
std::string flag_name(const FaultParams& p, const ServiceSpec& s) {
  return p.flag.empty() ? "new-" + s.name + "-flow" : p.flag;
}

}  // namespace

Faults::Faults(const ClusterSpec& spec, Timeline& tl, Simulation& sim, Env& env,
               core::Duration recovery_hold)
    : spec_(spec),
      tl_(&tl),
      sim_(&sim),
      env_(&env),
      target_(sim.add_target(*this)),
      hold_(recovery_hold) {}

Faults::Faults(const Faults& o, Timeline& tl, Simulation& sim, Env& env) : Faults(o) {
  tl_ = &tl;
  sim_ = &sim;
  env_ = &env;
  sim.add_target_as(*this, target_, "Faults");
}

void Faults::on_event(const Event& e) {
  const auto k = static_cast<std::size_t>(e.a);
  switch (static_cast<Due>(e.kind)) {
    case Due::kBegin:
      return begin(k);
    case Due::kDurationElapsed:
      return end_incident(k, "duration elapsed");
    case Due::kPhase:
      return intermittent_phase(k, e.b != 0);
    case Due::kPlannedEnd:
      return end_incident(k, "planned end");
  }
}

void Faults::add_incidents() {
  auto truths = ground_truths(spec_);
  for (std::size_t k = 0; k < truths.size(); ++k) {
    IncidentRecord rec;
    rec.truth = std::move(truths[k]);
    rec.start = spec_.start + rec.truth.start;
    Runtime rt;
    rt.affects.assign(env_->services(), 0);
    rt.impacted.assign(env_->services(), 0);
    for (const auto& a : rec.truth.affected) {
      const auto i = static_cast<std::size_t>(env_->service_index(a));
      rt.affects[i] = 1;
      rt.affected_index.push_back(i);
    }
    if (!rec.truth.root_service.empty()) rt.root = env_->service_index(rec.truth.root_service);
    if (k < spec_.faults.size()) {
      rt.fault = static_cast<std::ptrdiff_t>(k);
    } else {
      rt.planned = static_cast<std::ptrdiff_t>(k - spec_.faults.size());
    }
    tl_->incidents.push_back(std::move(rec));
    inc_.push_back(std::move(rt));
  }
}

void Faults::start() {
  add_incidents();
  for (std::size_t k = 0; k < inc_.size(); ++k) {
    const auto& rec = tl_->incidents[k];
    at(rec.start, Due::kBegin, k);
    if (inc_[k].fault >= 0) {
      const FaultSpec& f = spec_.faults[static_cast<std::size_t>(inc_[k].fault)];
      if (f.duration && f.kind != FaultKind::kBadDeploy) {
        at(rec.start + *f.duration, Due::kDurationElapsed, k);
      }
      if (f.intermittent) {
        phase_rng_.emplace(k, sim_->stream("fault/" + rec.truth.id + "/intermittent"));
        at(rec.start + jittered(k, f.intermittent->on, *f.intermittent), Due::kPhase, k, false);
      }
    } else {
      const PlannedEventSpec& p = spec_.planned[static_cast<std::size_t>(inc_[k].planned)];
      at(spec_.start + p.end, Due::kPlannedEnd, k);
    }
  }
}

core::Duration Faults::jittered(std::size_t k, core::Duration phase, const IntermittentSpec& s) {
  const double j = s.jitter_fraction > 0 ? s.jitter_fraction * count_as<Millis>(phase)
                                         : count_as<Millis>(s.jitter);
  if (j <= 0) return phase;
  const double d = phase_rng_.at(k).uniform_real(-j, j);
  return std::max(core::Duration{1},
                  phase + core::Duration{static_cast<std::int64_t>(std::llround(d))});
}

void Faults::intermittent_phase(std::size_t k, bool on) {
  auto& rt = inc_[k];
  if (rt.ended || !rt.started) return;
  const FaultSpec& f = spec_.faults[static_cast<std::size_t>(rt.fault)];
  const auto svc = static_cast<std::size_t>(rt.root);
  std::string detail;
  if (on) {
    detail = "intermittent: on again: " + apply(k, f, svc);
  } else {
    env_->touch(svc);
    if (f.kind == FaultKind::kDependencyOutage) env_->set_outage(svc, 0.0);
    if (f.kind == FaultKind::kDependencyDegradation) env_->set_degradation(svc, 0.0, 0.0);
    detail = "intermittent: off for now (the fault is not over)";
  }
  rt.effect_off = !on;
  env_->log(EventKind::kFaultPhase, f.target, std::string(to_string(f.kind)), detail).incident =
      tl_->incidents[k].truth.id;
  const core::Duration next =
      jittered(k, on ? f.intermittent->on : f.intermittent->off, *f.intermittent);
  at(sim_->now() + next, Due::kPhase, k, !on);
}

bool Faults::active_for(std::size_t k, std::size_t svc) const {
  const auto& rt = inc_[k];
  if (!rt.started || !rt.affects[svc]) return false;
  const auto& rec = tl_->incidents[k];
  return !rt.ended || (rec.impact && !rec.recovered);
}

std::ptrdiff_t Faults::attribute(std::size_t svc) const {
  std::ptrdiff_t best = -1;
  bool best_root = false;
  for (const std::size_t k : live_) {
    if (!active_for(k, svc)) continue;
    const bool root = inc_[k].root == static_cast<std::ptrdiff_t>(svc);
    if (best < 0 || (root && !best_root) ||
        (root == best_root &&
         tl_->incidents[static_cast<std::size_t>(best)].start <= tl_->incidents[k].start)) {
      best = static_cast<std::ptrdiff_t>(k);
      best_root = root;
    }
  }
  return best;
}

void Faults::begin(std::size_t k) {
  auto& rt = inc_[k];
  rt.started = true;
  live_.push_back(k);
  const std::string& id = tl_->incidents[k].truth.id;
  if (rt.fault >= 0) {
    const FaultSpec& f = spec_.faults[static_cast<std::size_t>(rt.fault)];
    std::string detail = apply(k, f, static_cast<std::size_t>(rt.root));
    env_->log(EventKind::kFaultStart, f.target, std::string(to_string(f.kind)), detail).incident =
        id;
  } else {
    const PlannedEventSpec& p = spec_.planned[static_cast<std::size_t>(rt.planned)];
    std::string detail = start_planned(k, p);
    env_->log(EventKind::kPlannedStart, p.service, std::string(to_string(p.kind)), detail)
        .incident = id;
  }
}

std::string Faults::start_planned(std::size_t k, const PlannedEventSpec& p) {
  if (inc_[k].root < 0) return {};
  const auto svc = static_cast<std::size_t>(inc_[k].root);
  switch (p.kind) {
    case PlannedKind::kMarketingCampaign:
      env_->multiply_traffic(svc, p.traffic_multiplier);
      return "external traffic x" + fmt(p.traffic_multiplier);
    case PlannedKind::kDeployWindow: {
      ReleaseSpec rs = *p.release;
      const int latest = env_->pods(svc).releases.back().revision;
      if (rs.revision <= latest) rs.revision = latest + 1;
      std::string detail =
          "helm upgrade to revision " + std::to_string(rs.revision) + " (" + rs.version + ")";
      env_->upgrade(svc, rs, "planned deploy " + tl_->incidents[k].truth.id);
      return detail;
    }
    case PlannedKind::kMaintenance:
      env_->set_maintenance(svc, p.severity);
      return "maintenance: " + fmt(p.severity) + " of requests fail";
  }
  return {};
}

std::string Faults::apply(std::size_t k, const FaultSpec& f, std::size_t svc) {
  const ServiceSpec& ss = spec_.services[svc];
  env_->touch(svc);
  const auto& p = f.params;
  switch (f.kind) {
    case FaultKind::kMemoryLeak: {
      double rate = p.rate;
      if (rate <= 0) rate = default_leak_mb_per_min(ss.memory_limit_mb, ss.memory_per_pod_mb);
      env_->add_leak(svc, rate);
      return "memory leak " + fmt(rate) + " MB/min per container";
    }
    case FaultKind::kCpuHog: {
      const double sev = or_default(p.severity, kDefaultHogSeverity);
      const int n = env_->start_hog(svc, sev);
      return "runaway threads in " + std::to_string(n) + " pods take " + fmt(sev) + " of their CPU";
    }
    case FaultKind::kBadDeploy:
      return deploy_bad_release(p, svc);
    case FaultKind::kDependencyOutage:
      env_->set_outage(svc, 1.0);
      return ss.name + " unavailable";
    case FaultKind::kDependencyDegradation: {
      const double err = or_default(p.severity, kDefaultDegradeErrorRate);
      const double lat = or_default(p.latency_ms, kDefaultDegradeLatencyMs);
      env_->set_degradation(svc, err, lat);
      return ss.name + " fails " + fmt(err) + " of calls, +" + fmt(lat) + " ms";
    }
    case FaultKind::kTrafficSpike:
      env_->multiply_traffic(svc, p.multiplier);
      return "unplanned external traffic x" + fmt(p.multiplier);
    case FaultKind::kPodLoss:
      return lose_pods(k, p, svc);
    case FaultKind::kConsumerStall:
      return std::to_string(env_->stall(svc)) + " consumers stalled";
    case FaultKind::kBadFeatureFlag: {
      const std::string name = flag_name(p, ss);
      const double sev = or_default(p.severity, kDefaultFlagSeverity);
      env_->flag_on(svc, name, sev);
      return "flag " + name + " on: " + fmt(sev) + " of requests fail";
    }
    case FaultKind::kPoisonedCache: {
      const double sev = or_default(p.severity, kDefaultPoisonSeverity);
      env_->set_poison(svc, sev);
      return "cache serves bad entries: " + fmt(sev) + " of requests fail";
    }
  }
  return {};
}

std::string Faults::lose_pods(std::size_t k, const FaultParams& p, std::size_t svc) {
  const int lost = env_->lose_pods(svc, p.pods, sim_->now() + p.replace_after);
  if (p.capacity_loss > 0 && env_->take_capacity(p.capacity_loss))
    inc_[k].capacity_lost = p.capacity_loss;
  return "node failure: " + std::to_string(lost) + " pods lost";
}

std::string Faults::deploy_bad_release(const FaultParams& p, std::size_t svc) {
  const model::PodSet& pods = env_->pods(svc);
  Release r;
  r.revision = pods.releases.back().revision + 1;
  r.version = p.version.empty() ? pods.releases[pods.current].version + "-bad" : p.version;
  r.bad = true;
  r.crash_loop = p.crash_loop;
  r.error_rate = or_default(p.severity, kDefaultBadReleaseErrorRate);
  r.deployed = sim_->now();
  std::string d =
      "helm upgrade to revision " + std::to_string(r.revision) + " (" + r.version +
      (r.crash_loop ? ", crash-loops)" : ", " + fmt(r.error_rate) + " of requests fail)");
  env_->deploy(svc, std::move(r), "bad deploy");
  return d;
}

void Faults::remove(Runtime& rt, const FaultSpec& f, std::size_t svc) {
  const auto& p = f.params;
  const ServiceSpec& ss = spec_.services[svc];
  switch (f.kind) {
    case FaultKind::kMemoryLeak: {
      double rate = p.rate;
      if (rate <= 0) rate = default_leak_mb_per_min(ss.memory_limit_mb, ss.memory_per_pod_mb);
      env_->remove_leak(svc, rate);
      break;
    }
    case FaultKind::kCpuHog:
      env_->end_hog(svc);
      break;
    case FaultKind::kBadDeploy:
      break;  // ends when a good release replaces it
    case FaultKind::kDependencyOutage:
      env_->set_outage(svc, 0.0);
      break;
    case FaultKind::kDependencyDegradation:
      env_->set_degradation(svc, 0.0, 0.0);
      break;
    case FaultKind::kTrafficSpike:
      env_->divide_traffic(svc, p.multiplier);
      break;
    case FaultKind::kPodLoss:
      env_->take_capacity(-rt.capacity_lost);
      rt.capacity_lost = 0;
      break;
    case FaultKind::kConsumerStall:
      env_->end_stall(svc);
      break;
    case FaultKind::kBadFeatureFlag:
      env_->flag_off(svc, flag_name(p, ss), sim_->now());
      break;
    case FaultKind::kPoisonedCache:
      env_->set_poison(svc, 0.0);
      break;
  }
}

void Faults::end_incident(std::size_t k, const std::string& why) {
  auto& rt = inc_[k];
  if (rt.ended || !rt.started) return;
  rt.ended = true;
  auto& rec = tl_->incidents[k];
  rec.end = sim_->now();
  std::string service;
  std::string name;
  EventKind kind = EventKind::kFaultEnd;
  if (rt.fault >= 0) {
    const FaultSpec& f = spec_.faults[static_cast<std::size_t>(rt.fault)];
    const auto svc = static_cast<std::size_t>(rt.root);
    env_->touch(svc);
    service = f.target;
    name = std::string(to_string(f.kind));
    remove(rt, f, svc);
  } else {
    const PlannedEventSpec& p = spec_.planned[static_cast<std::size_t>(rt.planned)];
    service = p.service;
    name = std::string(to_string(p.kind));
    kind = EventKind::kPlannedEnd;
    if (rt.root >= 0) {
      const auto svc = static_cast<std::size_t>(rt.root);
      if (p.kind == PlannedKind::kMarketingCampaign)
        env_->divide_traffic(svc, p.traffic_multiplier);
      if (p.kind == PlannedKind::kMaintenance) env_->set_maintenance(svc, 0.0);
    }
  }
  env_->log(kind, service, name, why).incident = rec.truth.id;
}

void Faults::end_cause_of_kind(std::size_t svc, FaultKind kind, const std::string& why) {
  for (std::size_t k = 0; k < inc_.size(); ++k) {
    const auto& rt = inc_[k];
    if (rt.fault < 0 || rt.ended || !rt.started || rt.root != static_cast<std::ptrdiff_t>(svc))
      continue;
    if (spec_.faults[static_cast<std::size_t>(rt.fault)].kind == kind) end_incident(k, why);
  }
}

void Faults::flag_disabled(std::size_t svc, const std::string& flag, const std::string& detail) {
  for (std::size_t k = 0; k < inc_.size(); ++k) {
    auto& rt = inc_[k];
    if (rt.fault < 0 || rt.ended || !rt.started || rt.root != static_cast<std::ptrdiff_t>(svc))
      continue;
    const FaultSpec& f = spec_.faults[static_cast<std::size_t>(rt.fault)];
    if (f.kind == FaultKind::kBadFeatureFlag && flag_name(f.params, spec_.services[svc]) == flag) {
      rt.ended = true;  // the flag is off: the cause is gone
      tl_->incidents[k].end = sim_->now();
      env_->log(EventKind::kFaultEnd, spec_.services[svc].name, "bad-feature-flag", detail)
          .incident = tl_->incidents[k].truth.id;
    }
  }
}

void Faults::good_release_rolled_out(std::size_t svc, const Release& r) {
  for (std::size_t k = 0; k < inc_.size(); ++k) {
    const auto& rt = inc_[k];
    if (!rt.started || rt.ended || rt.root != static_cast<std::ptrdiff_t>(svc)) continue;
    // A planned deploy window of a bad release is not a fault: only a bad deploy ends.
    if (rt.fault >= 0 &&
        spec_.faults[static_cast<std::size_t>(rt.fault)].kind == FaultKind::kBadDeploy) {
      end_incident(k, "good release " + r.version + " (revision " + std::to_string(r.revision) +
                          ") rolled out");
    }
  }
}

void Faults::track(core::TimePoint now) {
  // Drop incidents that are over: cause ended and recovered (or never impacted).
  live_.erase(std::remove_if(live_.begin(), live_.end(),
                             [&](std::size_t k) {
                               return inc_[k].ended &&
                                      (tl_->incidents[k].recovered || inc_[k].closed);
                             }),
              live_.end());
  for (const std::size_t k : live_) {
    if (!inc_[k].closed && !tl_->incidents[k].recovered) track_one(k, now);
  }
}

void Faults::track_one(std::size_t k, core::TimePoint now) {
  auto& rt = inc_[k];
  auto& rec = tl_->incidents[k];
  bool any_out = false;
  for (const std::size_t s : rt.affected_index) {
    if (env_->within_objectives(s)) continue;
    any_out = true;
    if (!rt.impacted[s]) {
      rt.impacted[s] = 1;
      rec.impacted.push_back(spec_.services[s].name);
    }
  }
  if (!rec.impact) {
    if (any_out) {
      rec.impact = now;
    } else if (rt.ended && rec.end && now - *rec.end > kNoImpactClose) {
      rt.closed = true;  // never made anything leave its objectives
    }
    return;
  }
  if (any_out) {
    rt.hold_start.reset();
    return;
  }
  if (!rt.hold_start) rt.hold_start = now;
  if (now - *rt.hold_start < hold_) return;
  rec.recovered = *rt.hold_start;
  TimelineEvent e;
  e.time = *rt.hold_start;
  e.kind = EventKind::kRecovered;
  e.service = rec.truth.root_service;
  e.incident = rec.truth.id;
  e.name = "recovered";
  e.detail = "every affected service within objectives for " + core::format_duration(hold_);
  auto pos = std::upper_bound(tl_->events.begin(), tl_->events.end(), e.time,
                              [](core::TimePoint t, const TimelineEvent& x) { return t < x.time; });
  tl_->events.insert(pos, std::move(e));
}

std::vector<engine::PlannedEvent> Faults::calendar_active(const engine::ServiceRef& ref,
                                                          core::TimePoint now) const {
  std::vector<engine::PlannedEvent> out;
  if (ref.ns != spec_.ns) return out;
  for (std::size_t k = 0; k < spec_.planned.size(); ++k) {
    const auto& p = spec_.planned[k];
    if (!p.service.empty() && p.service != ref.name) continue;
    const core::TimePoint s = spec_.start + p.start;
    const core::TimePoint e = spec_.start + p.end;
    if (now < s || now >= e) continue;
    engine::PlannedEvent ev;
    ev.name = tl_->incidents[spec_.faults.size() + k].truth.id;
    ev.kind = std::string(to_string(p.kind));
    ev.start = s;
    ev.end = e;
    ev.traffic_multiplier = p.traffic_multiplier;
    out.push_back(std::move(ev));
  }
  return out;
}

}  // namespace selfheal::sim
