// Alerting: Prometheus-like rules evaluated on every tick (pending for 'for', firing,
// resolved; an episode ends after kEpisodeGap quiet) and Alertmanager-like grouping per
// service (group_wait, group_interval, repeat_interval), producing the notifications the
// engine receives as Incidents.
#include "sim/world_impl.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace selfheal::sim {

using namespace model;
using engine::ActionKind;

inline void World::Impl::build_rules() {
  rules = effective_alert_rules(spec);
  rule_applies.assign(rules.size(), std::vector<char>(traffic.size(), 0));
  for (std::size_t r = 0; r < rules.size(); ++r) {
    for (std::size_t i = 0; i < traffic.size(); ++i) {
      const auto& kinds = rules[r].kinds;
      rule_applies[r][i] = !rules[r].external() &&
                           (kinds.empty() || std::find(kinds.begin(), kinds.end(),
                                                       traffic[i].spec->kind) != kinds.end());
    }
  }
  for (const auto& r : rules) {
    rule_back.push_back(ticks_in(r.window));
    FastRule f;
    f.signal = static_cast<std::uint8_t>(r.signal);
    f.windowed = r.signal == engine::SignalName::kOomKills ||
                 r.signal == engine::SignalName::kRestarts ||
                 r.signal == engine::SignalName::kQueueLagTrend;
    f.strict = r.op == CompareOp::kGt || r.op == CompareOp::kLt;
    f.sign = (r.op == CompareOp::kLt || r.op == CompareOp::kLe) ? -1.0 : 1.0;
    f.threshold = f.sign * r.threshold;
    f.for_ = r.for_;
    f.keep = r.keep_firing_for;
    f.step = r.external() ? r.interval : scrape;
    if (r.external()) external_rules.push_back(fast_rules.size());
    fast_rules.push_back(f);
  }
  std::map<std::vector<std::uint16_t>, std::size_t> lists;  // rule list -> where in checks
  for (std::size_t i = 0; i < traffic.size(); ++i) {
    std::vector<std::uint16_t> list;
    for (std::size_t r = 0; r < rules.size(); ++r) {
      if (rule_applies[r][i]) list.push_back(static_cast<std::uint16_t>(r));
    }
    auto [it, added] = lists.emplace(list, checks.size());
    if (added) {
      for (const std::uint16_t r : list) {
        const FastRule& f = fast_rules[r];
        RuleCheck c;
        c.threshold = f.threshold;
        c.window_ticks = static_cast<std::uint32_t>(
            std::min<std::size_t>(rule_back[r], std::numeric_limits<std::uint32_t>::max()));
        c.rule = r;
        c.signal = f.signal;
        c.flags = static_cast<std::uint8_t>(
            (f.strict ? kStrict : 0) | (f.windowed ? kWindowed : 0) | (f.sign < 0 ? kNegate : 0));
        checks.push_back(c);
      }
    }
    checks_at.push_back(it->second);
    checks_end.push_back(it->second + list.size());
  }
  alert_busy.assign(traffic.size() * rules.size(), 0);
  alerts.assign(traffic.size() * rules.size(), AlertState{});
  fingerprints.assign(traffic.size() * rules.size(), std::string{});
  for (std::size_t i = 0; i < traffic.size(); ++i) {
    for (std::size_t r = 0; r < rules.size(); ++r) {
      alert_critical.push_back(severity_of(traffic[i], rules[r]) == "critical");
    }
  }
  if (spec.oncall.direct_page_after) direct_page_after = *spec.oncall.direct_page_after;
  if (!external_rules.empty()) {
    external_hit.assign(traffic.size(), -1);
    external_last.assign(traffic.size() * rules.size(), ExternalAlert{});
  }
}

// External rules run once per due evaluation for every service at once (a PromQL rule
// reads all of them), after the tick has written each service's sample.
void World::Impl::evaluate_external(TimePoint now) {
  const std::size_t nr = rules.size();
  for (const std::size_t r : external_rules) {
    if ((now - spec.start) % fast_rules[r].step != Duration::zero()) continue;
    external_found.clear();
    if (external_eval) external_eval(r, now, external_found);
    std::fill(external_hit.begin(), external_hit.end(), -1);
    for (std::size_t k = 0; k < external_found.size(); ++k) {
      const std::size_t s = external_found[k].service;
      if (s < traffic.size() && external_hit[s] < 0)
        external_hit[s] = static_cast<std::ptrdiff_t>(k);
    }
    for (std::size_t i = 0; i < traffic.size(); ++i) {
      Svc& v = traffic[i];
      const std::ptrdiff_t k = external_hit[v.index];
      if (k >= 0) {
        ExternalAlert& last = external_last[v.index * nr + r];
        last = std::move(external_found[static_cast<std::size_t>(k)]);
        update_alert(v, r, true, last.value, now);
      } else if (alert_busy[v.index * nr + r]) {
        update_alert(v, r, false, alerts[v.index * nr + r].value, now);
      }
    }
  }
}

inline std::size_t World::Impl::ticks_in(Duration window) const {
  return static_cast<std::size_t>(std::max<Duration::rep>(1, window / scrape));
}

inline double World::Impl::rule_value(const Svc& v, std::size_t ri) const {
  using engine::SignalName;
  const AlertRuleSpec& r = rules[ri];
  const std::size_t back = rule_back[ri];
  const Sample& s = telemetry.back(v.index, 0);
  switch (r.signal) {
    case SignalName::kErrorRate:
      return s.err;
    case SignalName::kLatencyP99:
      return s.p99;
    case SignalName::kCpu:
      return s.cpu;
    case SignalName::kMemory:
      return s.mem;
    case SignalName::kOomKills:
      if (last_tick - pods[v.index].last_oom > ticks_span(back)) return 0.0;
      return static_cast<double>(s.cum_oom - telemetry.back(v.index, back).cum_oom);
    case SignalName::kRestarts:
      if (last_tick - pods[v.index].last_restart > ticks_span(back)) return 0.0;
      return static_cast<double>(s.cum_restarts - telemetry.back(v.index, back).cum_restarts);
    case SignalName::kReadyRatio:
      return s.desired > 0 ? s.ready / s.desired : 1.0;
    case SignalName::kQueueLag:
      return s.queue;
    case SignalName::kQueueLagTrend: {
      const std::size_t n = std::min(back, telemetry.filled() - 1);
      if (n == 0) return 0.0;
      const double mins = count_as<Minutes>(ticks_span(n));
      return (s.queue - telemetry.back(v.index, n).queue) / mins;
    }
    case SignalName::kRequestRate:
      return s.rps;
    case SignalName::kDependencyErrors:
      return s.dep_err;
  }
  return 0.0;
}

inline std::string World::Impl::severity_of(const Svc& v, const AlertRuleSpec& r) const {
  if (v.spec->critical) return "critical";
  auto it = r.labels.find("severity");
  return it == r.labels.end() ? "warning" : it->second;
}

inline void World::Impl::evaluate_rules(Svc& v, TimePoint now) {
  check_rules<true>(v, now);
}

template <bool kApply>
inline bool World::Impl::check_rules(Svc& v, TimePoint now) {
  const std::size_t nr = rules.size();
  // The tick's gauges, indexed by engine::SignalName (windowed ones filled per rule).
  const Sample& s = telemetry.back(v.index, 0);
  double vals[11] = {
      s.err,   s.p99, s.cpu, s.mem,    0.0, 0.0, s.desired > 0 ? s.ready / s.desired : 1.0,
      s.queue, 0.0,   s.rps, s.dep_err};
  static_assert(static_cast<int>(engine::SignalName::kErrorRate) == 0 &&
                static_cast<int>(engine::SignalName::kReadyRatio) == 6 &&
                static_cast<int>(engine::SignalName::kRequestRate) == 9 &&
                static_cast<int>(engine::SignalName::kDependencyErrors) == 10);
  constexpr auto oom_sig = static_cast<std::uint8_t>(engine::SignalName::kOomKills);
  constexpr auto restart_sig = static_cast<std::uint8_t>(engine::SignalName::kRestarts);
  std::uint8_t* busy = &alert_busy[v.index * nr];
  const model::PodSet& ps = pods[v.index];
  const RuleCheck* c = checks.data() + checks_at[v.index];
  const RuleCheck* const end = checks.data() + checks_end[v.index];
  for (; c != end; ++c) {
    double value = vals[c->signal];
    if (c->flags & kWindowed) {
      // Counters are 0 unless they moved within the window (the common case, no lookup).
      const TimePoint last = c->signal == oom_sig       ? ps.last_oom
                             : c->signal == restart_sig ? ps.last_restart
                                                        : now;
      value = now - last > ticks_span(c->window_ticks) ? 0.0 : rule_value(v, c->rule);
    }
    // sign * value with sign = -1 is exactly -value.
    const double x = (c->flags & kNegate) ? -value : value;
    const bool cond = (c->flags & kStrict) ? x > c->threshold : x >= c->threshold;
    // Quiet and nothing in progress (busy: pending, firing or in an episode): the common
    // case, decided here.
    if (!cond && !busy[c->rule]) continue;
    if constexpr (!kApply) return true;
    update_alert(v, c->rule, cond, value, now);
  }
  return false;
}

void World::Impl::update_alert(Svc& v, std::size_t r, bool cond, double value, TimePoint now) {
  const FastRule& f = fast_rules[r];
  AlertState& st = alerts[v.index * rules.size() + r];
  std::uint8_t& busy = alert_busy[v.index * rules.size() + r];
  if (!cond) {
    st.pending_since = kUnset;
    if (st.firing_since != kUnset && f.keep > Duration::zero()) {
      // keep_firing_for: the alert stays firing until the condition has been false this long.
      if (st.clear_since == kUnset) st.clear_since = now;
      if (now - st.clear_since < f.keep) {
        busy = 1;
        return;
      }
    }
    st.clear_since = kUnset;
    if (st.firing_since != kUnset) {
      resolve(v, r, now);
      st.resolved_at = now;
    } else if (st.resolved_at != kUnset && now - st.resolved_at >= kEpisodeGap) {
      // Quiet long enough: the next firing is a new episode (and may page again).
      st.resolved_at = kUnset;
      st.firing_for = Duration::zero();
      st.paged = false;
    }
    busy = st.firing_since != kUnset || st.resolved_at != kUnset;
    return;
  }
  st.value = value;
  st.clear_since = kUnset;
  busy = 1;
  if (st.firing_since == kUnset) {
    if (st.pending_since == kUnset) st.pending_since = now;
    if (now - st.pending_since >= f.for_) fire(v, r, now);
  }
  if (st.firing_since != kUnset) {
    st.firing_for += f.step;
    if (!st.paged && alert_critical[v.index * rules.size() + r] &&
        st.firing_for > direct_page_after) {
      st.paged = true;
      const AlertRuleSpec& rule = rules[r];
      oncall.page(v.index, "alert " + rule.name + " (direct page)");
      auto& e = log_at(EventKind::kPage, v.index, rule.name,
                       "Alertmanager paged the on-call directly: " + describe(v, rule, value));
      e.automated = false;
    }
  }
}

inline std::string World::Impl::describe(const Svc& v, const AlertRuleSpec& r, double value) const {
  if (r.external()) return r.expr + " = " + fmt(value) + " on " + spec.ns + "/" + v.spec->name;
  return std::string(engine::to_string(r.signal)) + " " + fmt(value) + " " +
         std::string(to_string(r.op)) + " " + fmt(r.threshold) + " on " + spec.ns + "/" +
         v.spec->name;
}

inline const std::string& World::Impl::fingerprint(const Svc& v, std::size_t r) {
  std::string& fp = fingerprints[v.index * rules.size() + r];
  if (fp.empty()) fp = hex16(fnv1a(rules[r].name + "\x1f" + spec.ns + "\x1f" + v.spec->name));
  return fp;
}

inline void World::Impl::fire(Svc& v, std::size_t r, TimePoint now) {
  const AlertRuleSpec& rule = rules[r];
  AlertState& st = alerts[v.index * rules.size() + r];
  st.firing_since = now;
  auto& e = log_at(EventKind::kAlertFiring, v.index, rule.name, describe(v, rule, st.value));
  e.fingerprint = fingerprint(v, r);
  alert_groups.firing(v.index, now);
}

inline void World::Impl::resolve(Svc& v, std::size_t r, TimePoint now) {
  const AlertRuleSpec& rule = rules[r];
  AlertState& st = alerts[v.index * rules.size() + r];
  st.firing_since = kUnset;
  st.resolved_unsent = true;
  auto& e = log_at(EventKind::kAlertResolved, v.index, rule.name,
                   rule.external() ? rule.expr + " no longer holds"
                                   : std::string(engine::to_string(rule.signal)) + " back to " +
                                         fmt(rule_value(v, r)));
  e.fingerprint = fingerprint(v, r);
  alert_groups.resolved(v.index, now);
}

inline engine::Incident World::Impl::make_incident(const Svc& v, std::size_t r, bool resolved,
                                                   TimePoint started) {
  const AlertRuleSpec& rule = rules[r];
  engine::Incident i;
  i.fingerprint = fingerprint(v, r);
  i.group_key = "{}:{namespace=\"" + spec.ns + "\", service=\"" + v.spec->name + "\"}";
  i.target = {spec.ns, v.spec->name};
  i.resolved = resolved;
  i.alertname = rule.name;
  i.started_at = started;
  for (const auto& [k, val] : rule.labels)
    i.labels[k] = val;
  i.labels["alertname"] = rule.name;
  i.labels["namespace"] = spec.ns;
  i.labels["service"] = v.spec->name;
  i.labels["severity"] = severity_of(v, rule);
  i.annotations["summary"] = describe(v, rule, alerts[v.index * rules.size() + r].value);
  i.annotations["value"] = fmt(alerts[v.index * rules.size() + r].value, 6);
  if (rule.external()) {
    // The rule file's labels and templated annotations, as Prometheus sends them.
    const ExternalAlert& last = external_last[v.index * rules.size() + r];
    for (const auto& [k, val] : last.labels)
      if (k != "severity" || !v.spec->critical) i.labels[k] = val;
    for (const auto& [k, val] : last.annotations)
      i.annotations[k] = val;
  }
  return i;
}

inline void World::Impl::flush_groups(TimePoint now) {
  alert_groups.flush(now, [&](std::size_t svc) { send_group(traffic[svc], now); });
}

// A group's flush sends every alert of the service that fires, or resolved since the last.
inline void World::Impl::send_group(Svc& v, TimePoint now) {
  const std::size_t nr = rules.size();
  for (std::size_t r = 0; r < nr; ++r) {
    AlertState& st = alerts[v.index * nr + r];
    bool resolved = false;
    if (st.firing_since != kUnset) {
      resolved = false;
    } else if (st.resolved_unsent) {
      st.resolved_unsent = false;
      resolved = true;
    } else {
      continue;
    }
    if (sink) {
      outbox.push_back(make_incident(v, r, resolved, resolved ? now : st.firing_since));
      const engine::Incident& i = outbox.back();
      auto& e = log_at(EventKind::kIncidentDelivered, v.index, i.alertname,
                       (i.resolved ? "resolved: " : "firing: ") + i.annotations.at("summary"));
      e.fingerprint = i.fingerprint;
      e.success = !i.resolved;
    } else {
      // Nobody to deliver to (no engine attached): log what would have been delivered,
      // without building the Incident's label and annotation maps.
      const AlertRuleSpec& rule = rules[r];
      auto& e = log_at(EventKind::kIncidentDelivered, v.index, rule.name,
                       (resolved ? "resolved: " : "firing: ") + describe(v, rule, st.value));
      e.fingerprint = fingerprint(v, r);
      e.success = !resolved;
    }
  }
}

}  // namespace selfheal::sim
