// The rollout verdict from a run's facts. Only counts and words: nothing here re-runs or
// re-measures anything, so the verdict cannot disagree with the tables below it.
#include "scenario/verdict.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/duration.hpp"
#include "core/number_format.hpp"
#include "engine/classifier.hpp"

namespace selfheal::scenario {
namespace {

std::string plural(int n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// "executed restart x3, recommend x1": outcomes (with the action) by count, then name.
std::string summarise(const std::map<std::string, int>& counts) {
  std::vector<std::pair<std::string, int>> v(counts.begin(), counts.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string s;
  for (const auto& [what, n] : v)
    s += (s.empty() ? "" : ", ") + what + " x" + std::to_string(n);
  return s;
}

std::vector<CoverageRow> coverage(const RunMetrics& m, const engine::PolicySet& policies) {
  struct Acc {
    int decisions = 0;
    std::map<std::string, int> did;
    std::set<std::string> incidents;
  };
  std::map<std::pair<std::string, std::string>, Acc> rows;
  for (const auto& d : m.decisions) {
    if (d.outcome == "duplicate" || d.outcome == "resolved") continue;
    auto& a = rows[{d.service, d.incident_type.empty() ? "unclassified" : d.incident_type}];
    ++a.decisions;
    ++a.did[d.outcome + (d.outcome == "executed" && !d.action.empty() ? " " + d.action : "")];
    if (!d.incident.empty()) a.incidents.insert(d.incident);
  }
  std::vector<CoverageRow> out;
  for (const auto& [key, a] : rows) {
    CoverageRow row{key.first, key.second, a.decisions, summarise(a.did), {}};
    std::set<std::string> channels;
    const engine::Policy* p = policies.find(key.second);
    for (const auto& e : m.escalations) {
      if (e.service != key.first || e.approval || a.incidents.count(e.incident) == 0) continue;
      channels.insert(!e.channel.empty() ? e.channel
                      : p != nullptr     ? p->escalation_channel
                                         : std::string("default"));
    }
    for (const auto& c : channels)
      row.channels += (row.channels.empty() ? "" : ", ") + c;
    out.push_back(std::move(row));
  }
  return out;
}

std::string paragraph(const std::string& scenario, const RunMetrics& m, const Verdict& v) {
  std::string p = "Rollout verdict for " + scenario + ": " + (v.go ? "GO" : "HOLD") + ". ";
  if (v.invariants == 0) {
    p += "No invariants were stated. ";
  } else if (v.invariants_broken == 0) {
    p += "All " + plural(v.invariants, "invariant") + " held at every moment of the run. ";
  } else {
    p += std::to_string(v.invariants_broken) + " of " + plural(v.invariants, "invariant") +
         " broken (first: " + v.first_violation + "). ";
  }
  std::set<std::string> services;
  for (const auto& r : v.coverage)
    services.insert(r.service);
  int verified = 0;
  for (const auto& a : m.actions)
    verified += a.verified.value_or(false) ? 1 : 0;
  p += "Over " + plural(static_cast<int>(m.incidents.size()), "incident") + " the engine decided " +
       std::to_string(m.decisions.size()) + " time(s) on " +
       plural(static_cast<int>(services.size()), "service") + ", executed " +
       plural(static_cast<int>(m.actions.size()), "action") + " (" + std::to_string(verified) +
       " verified; " + plural(m.wrongly_acted, "incident") + " acted on wrongly) and paged " +
       std::to_string(v.incident_pages) + " time(s) for incidents and " +
       std::to_string(v.background_pages) + " time(s) outside any incident. ";
  if (v.budget_saved_minutes) {
    p += "Error budget: " + core::format_fixed(m.error_budget_minutes, 1) + " min burned vs " +
         core::format_fixed(*m.twin_error_budget_minutes, 1) + " min without automation (" +
         (*v.budget_saved_minutes >= 0 ? "saved " : "cost ") +
         core::format_fixed(std::abs(*v.budget_saved_minutes), 1) + " min). ";
  } else {
    p += "Error budget: " + core::format_fixed(m.error_budget_minutes, 1) +
         " min burned (no twin run to compare). ";
  }
  if (!v.never_classified.empty()) {
    std::string types;
    for (const auto& t : v.never_classified)
      types += (types.empty() ? "" : ", ") + t;
    p += "Policies for " + types +
         " are reachable only through an external classification (the built-in classifier "
         "never produces them). ";
  }
  p += v.verification_false_failures
           ? "Verification false failures (measured by counterfactual branches): " +
                 std::to_string(*v.verification_false_failures) + "."
           : std::string("Verification false failures: not measured (--no-counterfactuals).");
  if (!v.go) {
    std::string why;
    for (const auto& r : v.hold_reasons)
      why += (why.empty() ? "" : "; ") + r;
    p += " Hold because: " + why + ".";
  }
  return p;
}

}  // namespace

std::vector<std::string> never_classified_types(const engine::PolicySet& policies) {
  std::set<std::string> out;
  for (const auto& p : policies.policies) {
    bool builtin = false;
    for (const auto& k : engine::known_incident_types())
      builtin = builtin || (k.name == p.incident_type && k.builtin);
    if (!builtin) out.insert(p.incident_type);
  }
  return {out.begin(), out.end()};
}

Verdict rollout_verdict(const std::string& scenario, const RunMetrics& m,
                        const std::vector<InvariantResult>& invariants, int failed_expectations,
                        const engine::PolicySet& policies) {
  Verdict v;
  v.invariants = static_cast<int>(invariants.size());
  for (const auto& i : invariants) {
    if (i.held) continue;
    if (v.invariants_broken++ == 0) {
      v.first_violation = i.describe + ": at " + core::format_duration(*i.at) + ", " + i.decision;
    }
  }
  v.coverage = coverage(m, policies);
  v.never_classified = never_classified_types(policies);
  for (const auto& e : m.escalations) {
    if (e.approval) continue;
    (e.incident.empty() ? v.background_pages : v.incident_pages) += 1;
  }
  if (m.twin_error_budget_minutes) {
    v.budget_saved_minutes = *m.twin_error_budget_minutes - m.error_budget_minutes;
  }
  v.verification_false_failures = m.verification_false_failures;
  if (v.invariants_broken > 0) {
    v.hold_reasons.push_back(plural(v.invariants_broken, "invariant") + " broken");
  }
  if (failed_expectations > 0) {
    v.hold_reasons.push_back(plural(failed_expectations, "expectation") + " failed");
  }
  if (m.made_worse.value_or(0) > 0) {
    v.hold_reasons.push_back(plural(*m.made_worse, "incident") +
                             " made worse than without automation");
  }
  if (m.wrongly_acted > 0) {
    v.hold_reasons.push_back(plural(m.wrongly_acted, "incident") + " acted on wrongly");
  }
  v.go = v.hold_reasons.empty();
  v.paragraph = paragraph(scenario, m, v);
  return v;
}

}  // namespace selfheal::scenario
