// The replay. Open-loop ports are small classes here (not engine/fixed_ports.hpp's) because
// each must attribute what it records to the alert being replayed, and the actuator must
// complete on the virtual clock (a zero-delay timer) rather than when a caller says so.
#include "backtest/backtest.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>

#include "engine/classifier.hpp"
#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"

namespace selfheal::backtest {
namespace {

using engine::ServiceRef;
using engine::TimePoint;

constexpr auto kHour = std::chrono::hours{1};
constexpr engine::SignalName kAllSignals[] = {engine::SignalName::kErrorRate,
                                              engine::SignalName::kLatencyP99,
                                              engine::SignalName::kCpu,
                                              engine::SignalName::kMemory,
                                              engine::SignalName::kOomKills,
                                              engine::SignalName::kRestarts,
                                              engine::SignalName::kReadyRatio,
                                              engine::SignalName::kQueueLag,
                                              engine::SignalName::kQueueLagTrend,
                                              engine::SignalName::kRequestRate,
                                              engine::SignalName::kDependencyErrors};

// What the replay knows while the engine runs: which incident each target's records belong
// to, and which targets' records depend on an unknowable verification.
struct Attribution {
  struct Target {
    std::size_t incident = 0;  ///< index into incidents: the latest notification's
    int open_firings = 0;
    bool conditional = false;  ///< a verification happened; not all its alerts resolved since
  };
  std::vector<IncidentResult>* incidents = nullptr;
  std::unordered_map<ServiceRef, Target, engine::ServiceRefHash> targets;

  IncidentResult* of(const ServiceRef& t) {
    auto it = targets.find(t);
    return it == targets.end() ? nullptr : &(*incidents)[it->second.incident];
  }
  bool is_conditional(const ServiceRef& t) const {
    auto it = targets.find(t);
    return it != targets.end() && it->second.conditional;
  }
};

// No data for any signal: the engine's checks skip, so nothing is guessed.
class NoDataTelemetry final : public engine::Telemetry {
 public:
  NoDataTelemetry() {
    for (auto s : kAllSignals)
      none_.missing.emplace_back(engine::to_string(s));
  }
  engine::ServiceSignals signals(const ServiceRef&, engine::Duration) override { return none_; }

 private:
  engine::ServiceSignals none_;
};

class NoUpstreamsTopology final : public engine::Topology {
 public:
  explicit NoUpstreamsTopology(std::size_t per_namespace) : per_namespace_(per_namespace) {}
  std::vector<engine::DependencyHealth> upstreams(const ServiceRef&) override { return {}; }
  /// A history carries no health data: every service is healthy, and a freeze_when never
  /// holds (the backtest output says the calendar and upstream data are absent).
  engine::DependencyHealth health(const ServiceRef& service) override {
    return {service, true, 0.0, "no health data in an alert history"};
  }
  std::size_t services_in_namespace(const std::string&) override { return per_namespace_; }

 private:
  std::size_t per_namespace_;
};

// Reports every action done on the next scheduler step (its own timer, token = request id).
class RecordOnlyActuator final : public engine::Actuator, engine::Callbacks {
 public:
  RecordOnlyActuator(engine::Scheduler& s, engine::Clock& c, Attribution& a)
      : sched_(s), clock_(c), attr_(a) {}
  void execute(const engine::ActionRequest& req, engine::Callbacks& to) override {
    if (IncidentResult* inc = attr_.of(req.target)) {
      std::string cmd;
      for (const auto& a : req.argv)
        cmd += (cmd.empty() ? "" : " ") + a;
      inc->actions.push_back(
          {clock_.now(), req.target, std::move(cmd), attr_.is_conditional(req.target)});
    }
    owed_[req.id] = &to;
    sched_.after(engine::Duration{0}, *this, req.id);
  }
  void forget(engine::Callbacks& to) override {
    std::erase_if(owed_, [&](const auto& kv) { return kv.second == &to; });
  }

 private:
  void on_timer(std::uint64_t id) override {
    auto it = owed_.find(id);
    if (it == owed_.end()) return;
    engine::Callbacks* to = it->second;
    owed_.erase(it);
    to->on_action_done(id, {true, "recorded by backtest, not run", std::nullopt});
  }
  void on_action_done(std::uint64_t, engine::ActionResult) override {}

  std::map<std::uint64_t, engine::Callbacks*> owed_;  ///< request id -> whom it reports to
  engine::Scheduler& sched_;
  engine::Clock& clock_;
  Attribution& attr_;
};

class PageRecorder final : public engine::Notifier {
 public:
  PageRecorder(engine::Clock& c, Attribution& a) : clock_(c), attr_(a) {}
  void escalate(const engine::Escalation& e) override {
    if (IncidentResult* inc = attr_.of(e.target)) {
      inc->pages.push_back({clock_.now(), e.target, e.channel, e.severity, e.reason,
                            e.approval_id != 0, attr_.is_conditional(e.target)});
    }
  }

 private:
  engine::Clock& clock_;
  Attribution& attr_;
};

class AuditRecorder final : public engine::AuditSink {
 public:
  explicit AuditRecorder(Attribution& a) : attr_(a) {}
  void record(const engine::AuditRecord& r) override {
    if (r.kind == engine::AuditKind::kVerification) attr_.targets[r.target].conditional = true;
    if (r.kind != engine::AuditKind::kDecision && r.kind != engine::AuditKind::kVerification &&
        r.kind != engine::AuditKind::kActionResult)
      return;
    if (IncidentResult* inc = attr_.of(r.target)) {
      if (r.outcome == engine::Outcome::kDuplicate) {
        ++inc->duplicates;
        return;
      }
      inc->decisions.push_back(
          {r.time, r.kind, r.outcome, r.guardrail, r.reason, attr_.is_conditional(r.target)});
    }
  }

 private:
  Attribution& attr_;
};

// One notification Alertmanager would have sent.
struct Notification {
  TimePoint at{};
  std::size_t alert = 0;
  std::size_t firing = 0;
  bool resolved = false;
};

std::vector<Notification> notifications(const history::History& h, engine::Duration repeat) {
  std::vector<Notification> out;
  for (std::size_t a = 0; a < h.alerts.size(); ++a) {
    const auto& firings = h.alerts[a].firings;
    for (std::size_t f = 0; f < firings.size(); ++f) {
      const TimePoint stop = firings[f].end.value_or(h.until);
      for (TimePoint t = firings[f].start; t < stop || t == firings[f].start; t += repeat)
        out.push_back({t, a, f, false});
      if (firings[f].end) out.push_back({*firings[f].end, a, f, true});
    }
  }
  // Time order; equal times by alert order, a resolution before a new firing.
  std::stable_sort(out.begin(), out.end(), [](const Notification& x, const Notification& y) {
    if (x.at != y.at) return x.at < y.at;
    if (x.alert != y.alert) return x.alert < y.alert;
    return x.firing < y.firing;
  });
  return out;
}

// The alert's external classification, as live/alertmanager.cpp reads it; "" = fine.
std::string classification(const history::Alert& a,
                           std::optional<engine::ExternalClassification>& out) {
  auto type = a.annotations.find("incident_type");
  if (type == a.annotations.end()) return {};
  auto conf = a.annotations.find("confidence");
  if (conf == a.annotations.end())
    return "annotation incident_type without a confidence annotation";
  double c = -1.0;
  const std::string& s = conf->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), c);
  if (ec != std::errc() || p != s.data() + s.size() || !(c >= 0.0 && c <= 1.0))
    return "annotation confidence \"" + s + "\" is not a number in [0, 1]";
  out = engine::ExternalClassification{type->second, c};
  return {};
}

// Which alerts reach the engine, with their classification, and one incident result per
// firing of those, indexed by (alert, firing).
struct Plan {
  std::vector<std::vector<std::size_t>> index;
  std::vector<std::optional<engine::ExternalClassification>> classes;
  std::vector<bool> routed;
};

Plan make_plan(const history::History& h, Result& r) {
  Plan p;
  p.index.resize(h.alerts.size());
  p.classes.resize(h.alerts.size());
  p.routed.assign(h.alerts.size(), false);
  for (std::size_t a = 0; a < h.alerts.size(); ++a) {
    const history::Alert& al = h.alerts[a];
    std::string why = al.service.empty() || al.ns.empty() ? "no service or namespace label"
                                                          : classification(al, p.classes[a]);
    if (!why.empty()) {
      r.unrouted.push_back(al.fingerprint + " (" + al.alertname + "): " + why);
      continue;
    }
    p.routed[a] = true;
    for (const auto& f : al.firings) {
      p.index[a].push_back(r.incidents.size());
      IncidentResult inc;
      inc.fingerprint = al.fingerprint;
      inc.alertname = al.alertname;
      inc.target = {al.ns, al.service};
      inc.start = f.start;
      inc.end = f.end;
      r.incidents.push_back(std::move(inc));
    }
  }
  return p;
}

void max_per_target_hour(Result& r) {
  std::map<ServiceRef, std::vector<TimePoint>> by_target;
  for (const auto& inc : r.incidents)
    for (const auto& a : inc.actions)
      by_target[a.target].push_back(a.at);
  for (auto& [t, times] : by_target) {
    std::sort(times.begin(), times.end());
    std::size_t lo = 0;
    for (std::size_t hi = 0; hi < times.size(); ++hi) {
      while (times[hi] - times[lo] >= kHour)
        ++lo;
      if (hi - lo + 1 > r.totals.max_actions_per_target_hour) {
        r.totals.max_actions_per_target_hour = hi - lo + 1;
        r.totals.max_actions_target = t.key();
        r.totals.max_actions_at = times[lo];
      }
    }
  }
}

void tally(Result& r) {
  Totals& t = r.totals;
  t.incidents = r.incidents.size();
  for (const auto& inc : r.incidents) {
    t.notifications += inc.notifications;
    for (const auto& d : inc.decisions)
      if (d.kind == engine::AuditKind::kDecision && d.outcome)
        ++t.outcomes[std::string(engine::to_string(*d.outcome))];
    if (inc.duplicates > 0)
      t.outcomes[std::string(engine::to_string(engine::Outcome::kDuplicate))] += inc.duplicates;
    for (const auto& a : inc.actions) {
      ++t.actions;
      t.actions_conditional += a.conditional;
    }
    for (const auto& p : inc.pages) {
      if (p.approval) {
        ++t.approvals;
        continue;
      }
      ++t.pages;
      t.pages_conditional += p.conditional;
    }
  }
  max_per_target_hour(r);
}

}  // namespace

Result run(const history::History& h, const engine::PolicySet& policies, const Options& opts) {
  Result r;
  r.policy_file = policies.source_file;
  r.from = h.from;
  r.until = h.until;
  r.repeat_interval = opts.repeat_interval;

  Plan plan = make_plan(h, r);
  NoUpstreamsTopology topology{opts.services_in_namespace.value_or(kUnknownServicesInNamespace)};
  r.notes.emplace_back(
      "no upstream health or planned events in an alert history: the dependency pre-check and "
      "the calendar run and find nothing");
  if (!opts.services_in_namespace && policies.settings.limits.blast_radius < 1.0)
    r.notes.emplace_back(
        "blast radius not evaluated: the history names only the services that alerted; give "
        "--services-in-namespace N");

  Attribution attr;
  attr.incidents = &r.incidents;
  engine::ManualClock clock{h.from};
  engine::ManualScheduler scheduler{clock};
  NoDataTelemetry telemetry;
  engine::StaticCalendar calendar;
  RecordOnlyActuator actuator{scheduler, clock, attr};
  PageRecorder notifier{clock, attr};
  engine::MemoryStateStore state;
  AuditRecorder audit{attr};
  engine::Engine eng(
      {clock, scheduler, telemetry, topology, calendar, actuator, notifier, state, audit}, policies,
      engine::ClassifierModel::builtin());
  if (opts.mode) eng.set_mode(*opts.mode);
  r.mode = std::string(engine::to_string(opts.mode.value_or(policies.settings.mode)));

  std::vector<engine::Incident> prototypes(h.alerts.size());
  const auto deliveries = notifications(h, opts.repeat_interval);
  std::size_t replayed = 0;
  for (const Notification& n : deliveries) {
    if (opts.on_progress) opts.on_progress(replayed++, deliveries.size());
    if (!plan.routed[n.alert]) continue;
    scheduler.run_until(n.at);
    // One incident per alert, built once (its labels are copied once, not per delivery).
    engine::Incident& inc = prototypes[n.alert];
    if (inc.fingerprint.empty()) {
      const history::Alert& al = h.alerts[n.alert];
      inc.fingerprint = al.fingerprint;
      inc.target = {al.ns, al.service};
      inc.alertname = al.alertname;
      inc.labels = al.labels;
      inc.annotations = al.annotations;
      inc.classification = plan.classes[n.alert];
    }
    inc.resolved = n.resolved;
    inc.started_at = h.alerts[n.alert].firings[n.firing].start;
    const std::size_t id = plan.index[n.alert][n.firing];
    ++r.incidents[id].notifications;
    Attribution::Target& target = attr.targets[inc.target];
    target.incident = id;
    if (!n.resolved && r.incidents[id].notifications == 1) ++target.open_firings;
    eng.handle(inc);
    scheduler.run_until(n.at);  // the actuator's zero-delay completions
    if (n.resolved && --target.open_firings <= 0) {
      target.open_firings = 0;
      target.conditional = false;
    }
  }
  if (opts.on_progress) opts.on_progress(deliveries.size(), deliveries.size());
  scheduler.run_until(h.until);
  r.totals.timers_pending_at_end = scheduler.pending();
  std::stable_sort(r.incidents.begin(), r.incidents.end(),
                   [](const IncidentResult& a, const IncidentResult& b) {
                     return a.start != b.start ? a.start < b.start : a.fingerprint < b.fingerprint;
                   });
  tally(r);
  return r;
}

}  // namespace selfheal::backtest
