// Alerting (sim/alerting.hpp). Compiled in the world's unity translation unit, so the
// tick's calls inline: the members the tick reaches are `inline`.
#include "sim/alerting.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace selfheal::sim {

using namespace model;

void Alerting::build() {
  rules = effective_alert_rules(spec_);
  rule_applies.assign(rules.size(), std::vector<char>(spec_.services.size(), 0));
  for (std::size_t r = 0; r < rules.size(); ++r) {
    for (std::size_t i = 0; i < spec_.services.size(); ++i) {
      const auto& kinds = rules[r].kinds;
      rule_applies[r][i] = !rules[r].external() &&
                           (kinds.empty() || std::find(kinds.begin(), kinds.end(),
                                                       spec_.services[i].kind) != kinds.end());
    }
  }
  for (const auto& r : rules) {
    rule_back.push_back(telemetry_->ticks_in(r.window));
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
    f.step = r.external() ? r.interval : telemetry_->scrape();
    if (r.external()) external_rules.push_back(fast_rules.size());
    fast_rules.push_back(f);
  }
  struct ListAt {
    std::size_t checks;  // where in checks
    QuietRange quiet;    // where in quiet_checks
  };
  std::map<std::vector<std::uint16_t>, ListAt> lists;  // rule list -> where
  for (std::size_t i = 0; i < spec_.services.size(); ++i) {
    std::vector<std::uint16_t> list;
    for (std::size_t r = 0; r < rules.size(); ++r) {
      if (rule_applies[r][i]) list.push_back(static_cast<std::uint16_t>(r));
    }
    auto [it, added] = lists.emplace(list, ListAt{checks.size(), {}});
    if (added) {
      it->second.quiet = add_quiet_list(list);
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
    checks_at.push_back(it->second.checks);
    checks_end.push_back(it->second.checks + list.size());
    quiet_at.push_back(it->second.quiet);
  }
  alert_busy.assign(spec_.services.size() * rules.size(), 0);
  busy_count.assign(spec_.services.size(), 0);
  alerts.assign(spec_.services.size() * rules.size(), AlertState{});
  fingerprints.assign(spec_.services.size() * rules.size(), std::string{});
  notice_of.assign(spec_.services.size() * rules.size(), 0);
  for (std::size_t i = 0; i < spec_.services.size(); ++i) {
    for (std::size_t r = 0; r < rules.size(); ++r) {
      alert_critical.push_back(severity_of(i, rules[r]) == "critical");
    }
  }
  if (spec_.oncall.direct_page_after) direct_page_after = *spec_.oncall.direct_page_after;
  if (!external_rules.empty()) {
    external_hit.assign(spec_.services.size(), -1);
    external_last.assign(spec_.services.size() * rules.size(), ExternalAlert{});
  }
}

Alerting::QuietRange Alerting::add_quiet_list(const std::vector<std::uint16_t>& list) {
  QuietRange q;
  q.bounds = static_cast<std::uint32_t>(quiet_bounds.size());
  model::QuietBounds& b = quiet_bounds.emplace_back();
  q.windowed = static_cast<std::uint32_t>(quiet_checks.size());
  for (const std::uint16_t r : list) {
    const FastRule& f = fast_rules[r];
    QuietCheck c;
    c.above = f.strict ? f.threshold
                       : std::nextafter(f.threshold, -std::numeric_limits<double>::infinity());
    if (!f.strict && f.threshold == -std::numeric_limits<double>::infinity()) quiet_exact = false;
    c.sign = f.sign;
    c.window_ticks = static_cast<std::uint32_t>(
        std::min<std::size_t>(rule_back[r], std::numeric_limits<std::uint32_t>::max()));
    c.rule = r;
    c.signal = f.signal;
    const auto signal = static_cast<engine::SignalName>(f.signal);
    if (!f.windowed) {
      b.add(signal, c.sign, c.above);
      continue;
    }
    b.add_counter(signal, c.sign, c.above, telemetry_->span_of(c.window_ticks));
    quiet_checks.push_back(c);
  }
  if (!b.exact()) quiet_exact = false;
  q.end = static_cast<std::uint32_t>(quiet_checks.size());
  return q;
}

// External rules run once per due evaluation for every service at once (a PromQL rule
// reads all of them), after the tick has written each service's sample.
void Alerting::evaluate_external(TimePoint now) {
  const std::size_t nr = rules.size();
  for (const std::size_t r : external_rules) {
    if ((now - spec_.start) % fast_rules[r].step != Duration::zero()) continue;
    external_found.clear();
    if (external_eval) external_eval(r, now, external_found);
    std::fill(external_hit.begin(), external_hit.end(), -1);
    for (std::size_t k = 0; k < external_found.size(); ++k) {
      const std::size_t s = external_found[k].service;
      if (s < spec_.services.size() && external_hit[s] < 0)
        external_hit[s] = static_cast<std::ptrdiff_t>(k);
    }
    for (std::size_t svc = 0; svc < spec_.services.size(); ++svc) {
      const std::ptrdiff_t k = external_hit[svc];
      if (k >= 0) {
        ExternalAlert& last = external_last[svc * nr + r];
        last = std::move(external_found[static_cast<std::size_t>(k)]);
        update_alert(svc, r, true, last.value, now);
      } else if (alert_busy[svc * nr + r]) {
        update_alert(svc, r, false, alerts[svc * nr + r].value, now);
      }
    }
  }
}

inline double Alerting::rule_value(std::size_t svc, std::size_t ri, TimePoint now) const {
  using engine::SignalName;
  const AlertRuleSpec& r = rules[ri];
  const std::size_t back = rule_back[ri];
  const Sample& s = telemetry_->back(svc, 0);
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
      if (now - (*pods_)[svc].last_oom > telemetry_->span_of(back)) return 0.0;
      return static_cast<double>(s.cum_oom - telemetry_->back(svc, back).cum_oom);
    case SignalName::kRestarts:
      if (now - (*pods_)[svc].last_restart > telemetry_->span_of(back)) return 0.0;
      return static_cast<double>(s.cum_restarts - telemetry_->back(svc, back).cum_restarts);
    case SignalName::kReadyRatio:
      return s.desired > 0 ? s.ready / s.desired : 1.0;
    case SignalName::kQueueLag:
      return s.queue;
    case SignalName::kQueueLagTrend: {
      const std::size_t n = std::min(back, telemetry_->filled() - 1);
      if (n == 0) return 0.0;
      const double mins = count_as<Minutes>(telemetry_->span_of(n));
      return (s.queue - telemetry_->back(svc, n).queue) / mins;
    }
    case SignalName::kRequestRate:
      return s.rps;
    case SignalName::kDependencyErrors:
      return s.dep_err;
  }
  return 0.0;
}

inline std::string Alerting::severity_of(std::size_t svc, const AlertRuleSpec& r) const {
  if (spec_.services[svc].critical) return "critical";
  auto it = r.labels.find("severity");
  return it == r.labels.end() ? "warning" : it->second;
}

// The tick's gauges, indexed by engine::SignalName (the windowed signals' slots are 0: they
// are read by windowed_value).
inline Alerting::Gauges Alerting::gauges(std::size_t svc) const {
  static_assert(static_cast<int>(engine::SignalName::kErrorRate) == 0 &&
                static_cast<int>(engine::SignalName::kReadyRatio) == 6 &&
                static_cast<int>(engine::SignalName::kRequestRate) == 9 &&
                static_cast<int>(engine::SignalName::kDependencyErrors) == 10);
  const Sample& s = telemetry_->back(svc, 0);
  return {s.err,   s.p99, s.cpu, s.mem,    0.0, 0.0, s.desired > 0 ? s.ready / s.desired : 1.0,
          s.queue, 0.0,   s.rps, s.dep_err};
}

// A windowed rule's value: counters are 0 unless they moved within the window (the common
// case, decided without reading the ring).
inline double Alerting::windowed_value(std::size_t svc, std::uint8_t signal, std::uint16_t rule,
                                       std::uint32_t window_ticks, TimePoint now) const {
  constexpr auto oom_sig = static_cast<std::uint8_t>(engine::SignalName::kOomKills);
  constexpr auto restart_sig = static_cast<std::uint8_t>(engine::SignalName::kRestarts);
  const model::PodSet& ps = (*pods_)[svc];
  const TimePoint last = signal == oom_sig       ? ps.last_oom
                         : signal == restart_sig ? ps.last_restart
                                                 : now;
  return now - last > telemetry_->span_of(window_ticks) ? 0.0 : rule_value(svc, rule, now);
}

// The quiet case (no condition holds, no alert busy) decided without work per rule: the
// service's count of busy alerts, its rule list's bounds against the sample's gauges and its
// counters' last changes against the list's longest windows (model::QuietBounds says why
// that is exact). Only when a counter changed within a window (or a rule is a trend, or
// holds at 0) are the windowed rules checked one by one, with the values and comparisons
// check_rules makes. Nothing changes until check_rules runs.
bool Alerting::quiet(std::size_t svc, TimePoint now) const {
  if (!quiet_exact) return false;
  const QuietRange& q = quiet_at[svc];
  const model::QuietBounds& b = quiet_bounds[q.bounds];
  if (busy_count[svc] != 0 || b.hits(telemetry_->latest(svc))) return false;
  if (q.windowed == q.end) return true;
  const model::PodSet& ps = (*pods_)[svc];
  return b.counters_quiet(now, ps.last_oom, ps.last_restart) || windowed_quiet(svc, now);
}

bool Alerting::windowed_quiet(std::size_t svc, TimePoint now) const {
  const QuietRange& q = quiet_at[svc];
  unsigned hit = 0;
  for (const QuietCheck *c = quiet_checks.data() + q.windowed, *e = quiet_checks.data() + q.end;
       c != e; ++c) {
    const double x = c->sign * windowed_value(svc, c->signal, c->rule, c->window_ticks, now);
    hit |= static_cast<unsigned>(x > c->above);
  }
  return hit == 0;
}

template <bool kApply>
inline bool Alerting::check_rules(std::size_t svc, TimePoint now) {
  const std::size_t nr = rules.size();
  // The tick's gauges, indexed by engine::SignalName (windowed ones filled per rule).
  const Gauges vals = gauges(svc);
  std::uint8_t* busy = &alert_busy[svc * nr];
  const RuleCheck* c = checks.data() + checks_at[svc];
  const RuleCheck* const end = checks.data() + checks_end[svc];
  for (; c != end; ++c) {
    const double value = (c->flags & kWindowed)
                             ? windowed_value(svc, c->signal, c->rule, c->window_ticks, now)
                             : vals[c->signal];
    // sign * value with sign = -1 is exactly -value.
    const double x = (c->flags & kNegate) ? -value : value;
    const bool cond = (c->flags & kStrict) ? x > c->threshold : x >= c->threshold;
    // Quiet and nothing in progress (busy: pending, firing or in an episode): the common
    // case, decided here.
    if (!cond && !busy[c->rule]) continue;
    if constexpr (!kApply) return true;
    update_alert(svc, c->rule, cond, value, now);
  }
  return false;
}

void Alerting::update_alert(std::size_t svc, std::size_t r, bool cond, double value,
                            TimePoint now) {
  const std::uint8_t& busy = alert_busy[svc * rules.size() + r];
  const std::uint8_t before = busy;
  update_alert_state(svc, r, cond, value, now);
  // The external rules' alerts are not in any service's quiet checks: not counted.
  if (!rules[r].external())
    busy_count[svc] = static_cast<std::uint16_t>(busy_count[svc] + busy - before);
}

inline void Alerting::update_alert_state(std::size_t svc, std::size_t r, bool cond, double value,
                                         TimePoint now) {
  const FastRule& f = fast_rules[r];
  AlertState& st = alerts[svc * rules.size() + r];
  std::uint8_t& busy = alert_busy[svc * rules.size() + r];
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
      resolve(svc, r, now);
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
    if (now - st.pending_since >= f.for_) fire(svc, r, now);
  }
  if (st.firing_since != kUnset) {
    st.firing_for += f.step;
    if (!st.paged && alert_critical[svc * rules.size() + r] && st.firing_for > direct_page_after) {
      st.paged = true;
      const AlertRuleSpec& rule = rules[r];
      env_->page(svc, "alert " + rule.name + " (direct page)");
      auto& e = env_->log_at(EventKind::kPage, svc, rule.name,
                             "Alertmanager paged the on-call directly: " + describe(svc, r, value));
      e.automated = false;
    }
  }
}

inline Alerting::Notice& Alerting::notice(std::size_t svc, std::size_t r) {
  std::uint32_t& k = notice_of[svc * rules.size() + r];
  if (k != 0) return notices[k - 1];
  const AlertRuleSpec& rule = rules[r];
  Notice n;
  const std::string where = " on " + spec_.ns + "/" + spec_.services[svc].name;
  if (rule.external()) {
    n.prefix = rule.expr + " = ";
    n.suffix = where;
  } else {
    n.prefix = std::string(engine::to_string(rule.signal)) + " ";
    n.suffix = " " + std::string(to_string(rule.op)) + " " + fmt(rule.threshold) + where;
  }
  engine::Incident& i = n.base;
  i.fingerprint = fingerprint(svc, r);
  i.group_key = "{}:{namespace=\"" + spec_.ns + "\", service=\"" + spec_.services[svc].name + "\"}";
  i.target = {spec_.ns, spec_.services[svc].name};
  i.alertname = rule.name;
  for (const auto& [key, val] : rule.labels)
    i.labels[key] = val;
  i.labels["alertname"] = rule.name;
  i.labels["namespace"] = spec_.ns;
  i.labels["service"] = spec_.services[svc].name;
  i.labels["severity"] = severity_of(svc, rule);
  notices.push_back(std::move(n));
  k = static_cast<std::uint32_t>(notices.size());
  return notices.back();
}

inline std::string Alerting::describe(std::size_t svc, std::size_t r, double value) {
  const Notice& n = notice(svc, r);
  return n.prefix + fmt(value) + n.suffix;
}

inline const std::string& Alerting::fingerprint(std::size_t svc, std::size_t r) {
  std::string& fp = fingerprints[svc * rules.size() + r];
  if (fp.empty())
    fp = hex16(fnv1a(rules[r].name + "\x1f" + spec_.ns + "\x1f" + spec_.services[svc].name));
  return fp;
}

inline void Alerting::fire(std::size_t svc, std::size_t r, TimePoint now) {
  const AlertRuleSpec& rule = rules[r];
  AlertState& st = alerts[svc * rules.size() + r];
  st.firing_since = now;
  auto& e = env_->log_at(EventKind::kAlertFiring, svc, rule.name, describe(svc, r, st.value));
  e.fingerprint = fingerprint(svc, r);
  alert_groups.firing(svc, now);
}

inline void Alerting::resolve(std::size_t svc, std::size_t r, TimePoint now) {
  const AlertRuleSpec& rule = rules[r];
  AlertState& st = alerts[svc * rules.size() + r];
  st.firing_since = kUnset;
  st.resolved_unsent = true;
  auto& e = env_->log_at(EventKind::kAlertResolved, svc, rule.name,
                         rule.external() ? rule.expr + " no longer holds"
                                         : std::string(engine::to_string(rule.signal)) +
                                               " back to " + fmt(rule_value(svc, r, now)));
  e.fingerprint = fingerprint(svc, r);
  alert_groups.resolved(svc, now);
}

inline const engine::Incident& Alerting::add_incident(std::size_t svc, std::size_t r, bool resolved,
                                                      TimePoint started) {
  const AlertRuleSpec& rule = rules[r];
  Notice& n = notice(svc, r);
  const double value = alerts[svc * rules.size() + r].value;
  const auto bits = std::bit_cast<std::uint64_t>(value);
  if (!n.described || n.value_bits != bits) {
    n.base.annotations["summary"] = describe(svc, r, value);
    n.base.annotations["value"] = fmt(value, 6);
    n.value_bits = bits;
    n.described = true;
  }
  if (sent == outbox.size()) outbox.emplace_back();
  engine::Incident& i = outbox[sent++];
  i = n.base;  // assigned: the slot's map nodes are reused
  i.resolved = resolved;
  i.started_at = started;
  if (rule.external()) {
    // The rule file's labels and templated annotations, as Prometheus sends them.
    const ExternalAlert& last = external_last[svc * rules.size() + r];
    for (const auto& [k, val] : last.labels)
      if (k != "severity" || !spec_.services[svc].critical) i.labels[k] = val;
    for (const auto& [k, val] : last.annotations)
      i.annotations[k] = val;
  }
  return i;
}

void Alerting::flush(TimePoint now, bool deliver) {
  deliver_ = deliver;
  alert_groups.flush(now, [&](std::size_t svc) { send_group(svc, now); });
}

// A group's flush sends every alert of the service that fires, or resolved since the last.
inline void Alerting::send_group(std::size_t svc, TimePoint now) {
  const std::size_t nr = rules.size();
  for (std::size_t r = 0; r < nr; ++r) {
    AlertState& st = alerts[svc * nr + r];
    bool resolved = false;
    if (st.firing_since != kUnset) {
      resolved = false;
    } else if (st.resolved_unsent) {
      st.resolved_unsent = false;
      resolved = true;
    } else {
      continue;
    }
    if (deliver_) {
      const engine::Incident& i = add_incident(svc, r, resolved, resolved ? now : st.firing_since);
      if (!env_->log_deliveries()) continue;
      auto& e =
          env_->log_at(EventKind::kIncidentDelivered, svc, i.alertname,
                       (i.resolved ? "resolved: " : "firing: ") + i.annotations.at("summary"));
      e.fingerprint = i.fingerprint;
      e.success = !i.resolved;
    } else if (env_->log_deliveries()) {
      // Nobody to deliver to (no engine attached): log what would have been delivered,
      // without building the Incident's label and annotation maps.
      const AlertRuleSpec& rule = rules[r];
      auto& e = env_->log_at(EventKind::kIncidentDelivered, svc, rule.name,
                             (resolved ? "resolved: " : "firing: ") + describe(svc, r, st.value));
      e.fingerprint = fingerprint(svc, r);
      e.success = !resolved;
    }
  }
}

}  // namespace selfheal::sim
