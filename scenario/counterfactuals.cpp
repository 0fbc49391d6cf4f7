#include "scenario/counterfactuals.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "core/duration.hpp"
#include "core/number_format.hpp"
#include "engine/audit.hpp"
#include "sim/timeline.hpp"

namespace selfheal::scenario {
namespace {

using sim::EventKind;

constexpr std::string_view kAsDecided = "as decided";
constexpr std::string_view kNone = "none";
constexpr int kMinutesDecimals = 1;
/// How far a branch runs between checks of whether its incident is over.
constexpr core::Duration kOverStep = std::chrono::minutes{5};

// Outcomes where acting was possible: the engine acted, or a guardrail or the mode held it
// back. Not: no policy, out of scope, duplicate, resolved (nothing to act on).
bool acting_possible(std::string_view outcome) {
  static const std::set<std::string_view> kHeld{"executed",           "shadow",
                                                "recommend",          "low-confidence",
                                                "cooldown-active",    "max-attempts-reached",
                                                "dependency-failure", "approval-required",
                                                "kill-switch",        "rate-limited"};
  return kHeld.count(outcome) > 0;
}

engine::ActionSpec kind_only(engine::ActionKind k) {
  engine::ActionSpec a;
  a.kind = k;
  return a;
}

// Scale as the operator configured it: the policy set's first scale action, else the
// built-in traffic-spike default (2x, at most 20 replicas).
engine::ActionSpec scale_spec(const engine::PolicySet& p) {
  for (const auto& pol : p.policies)
    for (const auto& a : pol.actions)
      if (a.kind == engine::ActionKind::kScale) return a;
  if (auto d = engine::default_action_for("traffic-spike")) return *d;
  return kind_only(engine::ActionKind::kScale);
}

struct Alternative {
  std::string name;
  std::optional<engine::ActionSpec> action;
};

// Whether `service` can have an earlier release to roll back to at `at`: more than one
// release in the spec, or a rollout of it before `at`. When neither, `helm rollback` fails
// and changes nothing — the same world as not acting — so that branch is not played.
bool may_roll_back(const sim::ClusterSpec& spec, const sim::Timeline& t, const std::string& service,
                   core::TimePoint at) {
  for (const auto& s : spec.services)
    if (s.name == service && s.releases.size() > 1) return true;
  for (const auto& e : t.events) {
    if (e.time >= at) break;
    if (e.kind == EventKind::kDeploy && e.service == service) return true;
  }
  return false;
}

std::vector<Alternative> alternatives(const engine::AuditRecord* a, bool acted,
                                      const engine::PolicySet& p, bool rollback) {
  std::vector<Alternative> out;
  if (acted) out.push_back({std::string(kNone), std::nullopt});
  auto add = [&](const engine::ActionSpec& spec) {
    if (spec.kind == engine::ActionKind::kPage) return;
    if (spec.kind == engine::ActionKind::kRollback && !rollback) return;
    const std::string name{engine::to_string(spec.kind)};
    for (const auto& o : out)
      if (o.name == name) return;
    out.push_back({name, spec});
  };
  if (a && a->action) add(*a->action);
  add(kind_only(engine::ActionKind::kRestart));
  add(scale_spec(p));
  add(kind_only(engine::ActionKind::kRollback));
  return out;
}

double tolerance(const CounterfactualOptions& o, double reference) {
  return std::max(o.tolerance_abs_minutes, o.tolerance_rel * reference);
}

std::string minutes(double m) {
  return core::format_decimals(m, kMinutesDecimals) + " min";
}

const BranchOutcome* branch(const DecisionTruth& t, std::string_view name) {
  for (const auto& b : t.branches)
    if (b.alternative == name) return &b;
  return nullptr;
}

// Minutes from the incident's start until it recovered inside the window; the whole window
// when it did not.
double recovery_minutes(const DecisionTruth& t, const BranchOutcome& b) {
  const Duration d = b.recovered && b.ttr ? *b.ttr : t.window_end - t.incident_start;
  return std::chrono::duration<double, std::ratio<60>>(d).count();
}

// How much better `b` is than `reference` (positive: b is better), and on which basis:
// error-budget minutes when they differ by more than the tolerance, else — when the
// incident breached an objective in either — the time to recover when that does, else 0
// (no difference). An incident that never left its objectives "recovers" when its alerts
// resolve; ending an alert sooner without any objective at stake is not counted as help
// (a scale-out that quiets a CPU alert during a campaign the service was provisioned for).
std::pair<double, std::string> gain(const DecisionTruth& t, const BranchOutcome& reference,
                                    const BranchOutcome& b, const CounterfactualOptions& o) {
  const double budget = reference.error_budget_minutes - b.error_budget_minutes;
  if (std::abs(budget) > tolerance(o, reference.error_budget_minutes))
    return {budget, "error budget"};
  if (!reference.breached && !b.breached) return {0.0, ""};
  const double ref_rec = recovery_minutes(t, reference);
  const double rec = ref_rec - recovery_minutes(t, b);
  if (std::abs(rec) > tolerance(o, ref_rec)) return {rec, "time to recover"};
  return {0.0, ""};
}

void judge(DecisionTruth& t, const CounterfactualOptions& o) {
  const BranchOutcome& as_decided = t.branches.front();
  const BranchOutcome* best = &as_decided;
  for (const auto& b : t.branches)
    if (gain(t, *best, b, o).first > 0) best = &b;
  t.best = best->alternative;
  t.best_minutes = best->error_budget_minutes;
  t.regret_minutes = std::max(0.0, as_decided.error_budget_minutes - best->error_budget_minutes);
  if (t.acted) {
    const BranchOutcome* none = branch(t, kNone);
    const BranchOutcome* chosen = branch(t, t.action);
    if (!none || !chosen) return;
    auto [saved, basis] = gain(t, *none, *chosen, o);
    t.minutes_saved = saved;
    t.basis = basis;
    t.verdict = saved > 0 ? "helped" : saved < 0 ? "hurt" : "no effect";
    return;
  }
  const BranchOutcome* best_action = nullptr;
  for (std::size_t k = 1; k < t.branches.size(); ++k)
    if (!best_action || gain(t, *best_action, t.branches[k], o).first > 0)
      best_action = &t.branches[k];
  if (!best_action) return;
  auto [saved, basis] = gain(t, as_decided, *best_action, o);
  t.minutes_saved = saved;
  t.basis = basis;
  t.verdict = saved > 0 ? "missed" : "held back";
}

// Replaces the declared verdicts of the measured actions and recomputes what depends on them.
// `truth_of` maps a decision (index into m.decisions) to its truth (index into m.truths).
void apply_truths(RunMetrics& m, const std::map<std::size_t, std::size_t>& truth_of) {
  // Each executed decision started one action at the same instant on the same service: pair
  // them in order, so the 2nd restart of a loop takes the 2nd decision's verdict.
  std::set<std::size_t> paired;
  for (auto& a : m.actions) {
    for (std::size_t di = 0; di < m.decisions.size(); ++di) {
      const DecisionFact& d = m.decisions[di];
      if (d.at != a.at || d.service != a.service || d.outcome != "executed" ||
          d.action != a.action || paired.count(di))
        continue;
      paired.insert(di);
      auto it = truth_of.find(di);
      if (it == truth_of.end()) break;
      const DecisionTruth& t = m.truths[it->second];
      if (t.verdict.empty()) break;
      a.measured = true;
      a.helpful = t.verdict == "helped";
      break;
    }
  }
  m.wrongly_acted = 0;
  int ff = 0;
  int fp = 0;
  for (const auto& a : m.actions) {
    if (!a.measured || !a.verified) continue;
    if (!*a.verified && a.helpful) ++ff;
    if (*a.verified && !a.helpful) ++fp;
  }
  m.verification_false_failures = ff;
  m.verification_false_passes = fp;
  int missed = 0;
  int harmful = 0;
  double regret = 0.0;
  for (const auto& t : m.truths) {
    harmful += t.verdict == "hurt" ? 1 : 0;
    if (t.incident.empty()) regret += t.regret_minutes;
  }
  int automated = 0;
  for (auto& i : m.incidents) {
    i.helpful = i.wrong = 0;
    i.wrongly_acted = false;
    for (const auto& a : m.actions) {
      if (a.incident != i.id) continue;
      (a.helpful ? i.helpful : i.wrong) += 1;
      if (!a.helpful) i.wrongly_acted = true;
    }
    if (i.wrongly_acted) ++m.wrongly_acted;
    i.missed = false;
    i.measured_worse = false;
    for (const auto& t : m.truths) {
      if (t.incident != i.id) continue;
      i.missed = i.missed.value_or(false) || t.verdict == "missed";
      i.measured_worse = i.measured_worse.value_or(false) || t.verdict == "hurt";
      i.regret_minutes = std::max(i.regret_minutes.value_or(0.0), t.regret_minutes);
    }
    if (i.missed.value_or(false)) ++missed;
    regret += i.regret_minutes.value_or(0.0);
    // Automated recovery depends on which actions helped (run_metrics.cpp, same rule).
    if (i.recovered && i.ttr) {
      const Duration rec = i.start + *i.ttr;
      bool fix = false;
      bool human = false;
      for (const auto& a : m.actions)
        fix = fix || (a.incident == i.id && a.helpful && a.verified.value_or(false) && a.at <= rec);
      for (const auto& x : m.escalations)
        human = human || (x.incident == i.id && x.at <= rec);
      i.automated_recovery = fix && !human;
    }
    automated += i.automated_recovery ? 1 : 0;
  }
  if (!m.incidents.empty())
    m.automated_recovery_rate = automated / static_cast<double>(m.incidents.size());
  m.missed_incidents = missed;
  m.harmful_decisions = harmful;
  m.regret_minutes = regret;
}

void disagreements(RunMetrics& m) {
  for (const auto& t : m.truths) {
    if (!t.acted || t.verdict.empty() || !t.declared_helpful) continue;
    const bool measured = t.verdict == "helped";
    if (measured == *t.declared_helpful) continue;
    m.disagreements.push_back(
        std::string("declared ") + (*t.declared_helpful ? "helpful" : "wrong") + ", measured " +
        t.verdict + ": " + t.action + " " + t.service + " at " + core::format_duration(t.at) +
        (t.incident.empty() ? "" : " during " + t.incident) + " " +
        (t.minutes_saved >= 0 ? "saved " : "lost ") + minutes(std::abs(t.minutes_saved)) +
        (t.basis.empty() ? "" : " (" + t.basis + ")"));
  }
  for (const auto& t : m.truths) {
    if (t.verdict != "missed") continue;
    m.disagreements.push_back(
        "missed: " + t.outcome + " on " + t.service + " at " + core::format_duration(t.at) +
        (t.incident.empty() ? "" : " during " + t.incident) + "; " + t.best + " would have saved " +
        minutes(t.minutes_saved) + " (" + t.basis + ")");
  }
}

// The instant `incident` is over in `t`, looking only at what happened by `until`: its cause
// stopped and it recovered (or, never out of its objectives, its alerts went quiet again).
// nullopt while it is not over.
std::optional<core::TimePoint> over_at(const sim::Timeline& t, const std::string& incident,
                                       core::TimePoint until) {
  const sim::IncidentRecord* rec = t.incident(incident);
  if (!rec || !rec->end || *rec->end > until) return std::nullopt;
  if (rec->impact && *rec->impact <= until) {
    if (!rec->recovered || *rec->recovered > until) return std::nullopt;
    return std::max(*rec->end, *rec->recovered);
  }
  if (auto q = quiet_again(t, incident, until)) return std::max(*rec->end, *q);
  return std::nullopt;
}

// Plays the branches of a decision at `at` and returns the end of their shared window: the
// instant the incident is over in the main run and in every branch, at most `cap` (the
// decision + horizon, or the run's end). Each branch runs in kOverStep steps until its
// incident is over, then on to the window's end, so none runs longer than it must. A
// decision on no incident, or on one already over before it, is measured until `cap`.
core::TimePoint play(std::vector<WorldRunner>& runners, const sim::Timeline& main,
                     const std::string& incident, core::TimePoint at, core::TimePoint cap) {
  // `latest` is meaningful while `over`: every run so far is over by then.
  bool over = false;
  core::TimePoint latest = at;
  if (!incident.empty()) {
    const auto o = over_at(main, incident, cap);
    over = o && *o > at;
    if (over) latest = *o;
  }
  for (auto& r : runners) {
    if (!over) break;  // some run is not over by the cap: the window is the cap
    r.run_until(at);
    for (;;) {
      if (auto o = over_at(r.timeline(), incident, r.now()); o && *o > at) {
        latest = std::max(latest, *o);
        break;
      }
      if (r.now() >= cap) {
        over = false;
        break;
      }
      r.run_until(std::min(r.now() + kOverStep, cap));
    }
  }
  const core::TimePoint to = over ? std::min(latest, cap) : cap;
  for (auto& r : runners)
    if (r.now() < to) r.run_until(to);
  return to;
}

}  // namespace

BranchOutcome measure_outcome(const sim::Timeline& t, const std::string& incident,
                              const std::string& target, const std::vector<std::string>& services,
                              core::TimePoint from, core::TimePoint to) {
  BranchOutcome b;
  for (const auto& s : services)
    b.error_budget_minutes += t.error_budget_minutes(s, from, to);
  if (const sim::IncidentRecord* rec = incident.empty() ? nullptr : t.incident(incident)) {
    if (rec->impact && *rec->impact <= to) {
      b.breached = true;
      if (rec->recovered && *rec->recovered <= to) {
        b.recovered = true;
        b.ttr = *rec->recovered - rec->start;
      }
    } else if (rec->impact) {
      // Breaches after the window: not recovered inside it.
    } else if (auto q = quiet_again(t, incident, to)) {
      // Never out of objectives: over when its last alert resolved (run_metrics.cpp rule).
      b.recovered = true;
      b.ttr = *q - rec->start;
    }
  }
  for (const auto& e : t.events) {
    if (e.time < from || e.time > to) continue;
    const bool ours = e.service == target || (!incident.empty() && e.incident == incident);
    if (!ours) continue;
    if (e.kind == EventKind::kPage) ++b.pages;
    if (e.kind == EventKind::kActionStarted && e.automated && e.action_id != kInterventionActionId)
      ++b.actions_after;
  }
  return b;
}

namespace {

// A decision to branch: its truth so far, where it was made and what to play there.
struct Planned {
  DecisionTruth t;
  core::TimePoint time;  // the decision's event time (absolute)
  BranchPoint point;
  std::vector<std::string> services;  // the target and the incident's affected services
  std::vector<Alternative> alts;
};

// The decisions where acting was possible, in decision order, with their alternatives.
std::vector<Planned> plan(const sim::ClusterSpec& spec, const engine::PolicySet& policies,
                          const WorldRun& main, const RunMetrics& m) {
  const sim::Timeline& tl = main.timeline;
  std::vector<Planned> out;
  std::size_t k = 0;  // index into m.decisions, in timeline order (run_metrics.cpp)
  for (const sim::TimelineEvent& e : tl.events) {
    if (e.kind != EventKind::kDecision || e.name == "resolved" || e.name == "duplicate") continue;
    const std::size_t di = k++;
    const DecisionFact& d = m.decisions[di];
    // The branch point: the notification the decision answered, the approval answer it
    // was made on, or the engine's timer it was made in (world_run.hpp).
    const auto point = e.audit_index ? main.point_of.find(*e.audit_index) : main.point_of.end();
    if (!acting_possible(d.outcome) || point == main.point_of.end()) continue;
    const engine::AuditRecord* a =
        e.audit_index && *e.audit_index < tl.audit.size() ? &tl.audit[*e.audit_index] : nullptr;
    Planned p;
    DecisionTruth& t = p.t;
    t.decision = di;
    t.at = d.at;
    t.service = d.service;
    t.incident = d.incident;
    t.outcome = d.outcome;
    t.action = d.action;
    t.acted = d.outcome == "executed";
    t.incident_start = d.at;
    p.time = e.time;
    p.point = point->second;
    p.services = {d.service};
    for (const auto& i : m.incidents) {
      if (i.id != d.incident) continue;
      t.incident_start = i.start;
      for (const auto& svc : i.affected)
        if (std::find(p.services.begin(), p.services.end(), svc) == p.services.end())
          p.services.push_back(svc);
      if (t.acted) {
        auto kind = engine::parse_action_kind(d.action);
        if (const sim::IncidentRecord* rec = tl.incident(i.id); kind && rec)
          t.declared_helpful = sim::judge(rec->truth, *kind, d.service).helpful;
      }
    }
    p.alts = alternatives(a, t.acted, policies, may_roll_back(spec, tl, d.service, e.time));
    out.push_back(std::move(p));
  }
  return out;
}

// Plays `p`'s branches from `runners` (one per alternative, standing before the decision)
// and measures them against the main run.
void measure(Planned& p, std::vector<WorldRunner>& runners, const sim::Timeline& tl,
             const CounterfactualOptions& o) {
  DecisionTruth& t = p.t;
  const core::TimePoint cap = std::min(p.time + o.horizon, tl.end);
  const core::TimePoint to = play(runners, tl, t.incident, p.time, cap);
  t.window_end = to - tl.start;
  BranchOutcome as = measure_outcome(tl, t.incident, t.service, p.services, p.time, to);
  as.alternative = std::string(kAsDecided);
  t.branches.push_back(std::move(as));
  for (std::size_t b = 0; b < p.alts.size(); ++b) {
    BranchOutcome out =
        measure_outcome(runners[b].timeline(), t.incident, t.service, p.services, p.time, to);
    out.alternative = p.alts[b].name;
    t.branches.push_back(std::move(out));
  }
  judge(t, o);
}

// What a branch's copy of the prefix leaves out: a branch reads no chart point, and of the
// events only those from its decision on and its incident's alerts (measure_outcome,
// over_at).
constexpr sim::CopyOptions kBranchCopy{.chart_series = false, .past_events = false};

}  // namespace

void measure_truth(const Scenario& s, std::uint64_t seed, const sim::ClusterSpec& spec,
                   const engine::PolicySet& policies, const WorldRun& main, RunMetrics& m,
                   const CounterfactualOptions& o) {
  std::vector<Planned> planned = plan(spec, policies, main, m);
  sim::WorldOptions branch_world;
  branch_world.record_series = false;
  branch_world.record_audit = false;  // a branch's outcome reads no audit record
  // The branches fork from one world that runs the main run's course (no intervention)
  // from branch point to branch point, in the order the points were reached.
  std::vector<std::size_t> order(planned.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return planned[a].point.event < planned[b].point.event;
  });
  std::optional<WorldRunner> prefix;
  if (!o.replay) prefix.emplace(s, seed, spec, policies, branch_world, nullptr);
  int played = 0;
  for (const std::size_t i : order) {
    Planned& p = planned[i];
    std::vector<WorldRunner> runners;
    runners.reserve(p.alts.size());
    if (prefix) prefix->run_to_event(p.point.event);
    for (const auto& alt : p.alts) {
      const Intervention iv{p.point, p.t.service, alt.action};
      if (prefix)
        runners.push_back(prefix->fork(&iv, kBranchCopy));
      else
        runners.emplace_back(s, seed, spec, policies, branch_world, &iv);
    }
    played += static_cast<int>(p.alts.size());
    measure(p, runners, main.timeline, o);
  }
  std::map<std::size_t, std::size_t> truth_of;
  for (auto& p : planned) {
    truth_of[p.t.decision] = m.truths.size();
    m.truths.push_back(std::move(p.t));
  }
  m.branches = played;
  apply_truths(m, truth_of);
  disagreements(m);
}

}  // namespace selfheal::scenario
