#include "reports/markdown_writer.hpp"

#include <sstream>

#include "core/duration.hpp"
#include "reports/format.hpp"
#include "reports/verdict_writer.hpp"
#include "reports/what_if.hpp"

namespace selfheal::reports {

// The run, its metrics and verdicts, as the scenario runner leaves them.
using namespace selfheal::scenario;
namespace {

std::string at(Duration d) {
  return offset(d);
}

}  // namespace

std::string opt_duration(const std::optional<Duration>& d) {
  return d ? human_duration(*d) : "-";
}
std::string opt_ratio(const std::optional<double>& v) {
  return v ? fixed(*v, 3) : "-";
}

std::string report_markdown(const RunResult& r) {
  const RunMetrics& m = r.metrics;
  std::ostringstream o;
  o << "# " << r.scenario << (r.passed() ? " — passed" : " — FAILED") << "\n\n";
  if (!r.description.empty()) o << r.description << "\n\n";
  if (!r.baseline_warnings.empty()) {
    o << "> **Warning: unhealthy baseline.** The modelled world misses its objectives before "
         "its first fault (run with `--allow-unhealthy-baseline`); verdicts below are not "
         "meaningful:\n>\n";
    for (const auto& w : r.baseline_warnings)
      o << "> - " << w << "\n";
    o << "\n";
  }
  o << "- file: `" << r.file << "`\n- seed: " << r.seed
    << "\n- duration: " << core::format_duration(r.duration) << "\n- engine mode: " << r.mode
    << "\n- policies: `" << r.policies
    << "`\n- counterfactual twin (shadow mode): " << (r.twin ? "yes" : "no (--no-twin)") << "\n\n";
  o << verdict_markdown(r);

  o << "## Summary\n\n| metric | value |\n|---|---|\n";
  o << "| incidents | " << m.incidents.size() << " |\n";
  o << "| recovered / unrecovered | " << m.recovered << " / " << m.unrecovered << " |\n";
  o << "| MTTR mean / p50 / p90 | " << opt_duration(m.mttr_mean) << " / "
    << opt_duration(m.mttr_p50) << " / " << opt_duration(m.mttr_p90) << " |\n";
  o << "| remediation loops | " << m.remediation_loops << " |\n";
  o << "| most actions on one target in an hour | " << m.max_actions_per_target_hour
    << (m.max_actions_target.empty() ? "" : " (" + m.max_actions_target + ")") << " |\n";
  o << "| wrongly-acted incidents | " << m.wrongly_acted << " |\n";
  o << "| made-worse incidents | " << (m.made_worse ? std::to_string(*m.made_worse) : "-")
    << " |\n";
  o << "| automated actions | " << m.actions.size() << " |\n";
  o << "| automated recovery rate | " << opt_ratio(m.automated_recovery_rate) << " |\n";
  o << "| verification pass rate | " << opt_ratio(m.verification_pass_rate) << " |\n";
  o << "| pages / approval requests | " << m.pages << " / " << m.approval_requests << " |\n";
  o << "| pages per incident | " << opt_ratio(m.pages_per_incident) << " |\n";
  o << "| mean time to escalate | " << opt_duration(m.time_to_escalate_mean) << " |\n";
  o << "| error-budget minutes with automation | " << fixed(m.error_budget_minutes, 2) << " |\n";
  o << "| error-budget minutes without automation (twin) | "
    << (m.twin_error_budget_minutes ? fixed(*m.twin_error_budget_minutes, 2) : "-") << " |\n";
  if (m.branches) {
    o << "| counterfactual branches played | " << *m.branches << " |\n";
    o << "| missed incidents (held back, acting would have helped) | "
      << m.missed_incidents.value_or(0) << " |\n";
    o << "| harmful decisions (measured worse than not acting) | "
      << m.harmful_decisions.value_or(0) << " |\n";
    o << "| regret (error-budget minutes vs the best branch) | "
      << fixed(m.regret_minutes.value_or(0.0), 2) << " |\n";
    o << "| verification false failures / false passes | "
      << m.verification_false_failures.value_or(0) << " / "
      << m.verification_false_passes.value_or(0) << " |\n";
  }
  o << "\n";

  if (!r.expectations.empty()) {
    o << "## Expectations\n\n| | expectation | expected | actual | line |\n|---|---|---|---|---|\n";
    for (const auto& e : r.expectations)
      o << "| " << (e.passed ? "pass" : "**FAIL**") << " | " << md_cell(e.expectation.describe)
        << " | " << md_cell(e.expected) << " | " << md_cell(e.actual) << " | " << e.expectation.line
        << " |\n";
    o << "\n";
  }

  o << "## Incidents\n\n";
  if (m.incidents.empty()) o << "No incident fired an alert.\n\n";
  for (const auto& i : m.incidents) {
    o << "### " << i.id << " (" << i.kind << " on " << i.root_service << ", " << at(i.start)
      << ")\n\n";
    o << "- ground truth: " << md_cell(i.true_type) << "; helpful actions: ";
    if (i.helpful_actions.empty()) o << "none (no automated action helps)";
    for (std::size_t k = 0; k < i.helpful_actions.size(); ++k)
      o << (k ? ", " : "") << i.helpful_actions[k];
    o << "\n- affected services: ";
    for (std::size_t k = 0; k < i.affected.size(); ++k)
      o << (k ? ", " : "") << i.affected[k];
    if (i.affected.empty()) o << "-";
    o << "\n- detection: " << opt_duration(i.detection) << "\n";
    o << "- classification: "
      << (i.classified_as.empty()
              ? std::string("-")
              : i.classified_as + " at " + opt_ratio(i.confidence) + " (" +
                    i.classification_source + ", " +
                    (i.classification_correct.value_or(false) ? "correct" : "wrong") + ")")
      << "\n";
    o << "- decisions: " << i.decisions;
    if (!i.outcomes.empty()) {
      o << " (";
      bool first = true;
      for (const auto& [k, v] : i.outcomes) {
        o << (first ? "" : ", ") << k << " " << v;
        first = false;
      }
      o << ")";
    }
    o << "\n- actions: " << i.actions << " (" << i.helpful << " helpful, " << i.wrong
      << " wrong); verifications: " << i.verifications << " (" << i.verifications_passed
      << " passed)\n";
    o << "- pages: " << i.pages << ", approval requests: " << i.approval_requests
      << ", time to escalate: " << opt_duration(i.time_to_escalate) << "\n";
    o << "- recovered: " << (i.recovered ? "yes, TTR " + opt_duration(i.ttr) : "NO") << "\n";
    o << "- error-budget minutes: " << fixed(i.error_budget_minutes, 2);
    if (i.twin_error_budget_minutes)
      o << " (without automation: " << fixed(*i.twin_error_budget_minutes, 2) << ")";
    o << "\n- wrongly acted: " << (i.wrongly_acted ? "**yes**" : "no")
      << "; made worse by automation: "
      << (i.made_worse ? (*i.made_worse ? "**yes**" : "no") : "- (no twin)") << "\n\n";
  }

  if (!m.loops.empty()) {
    o << "## Remediation loops\n\n| target | first | last | actions |\n|---|---|---|---|\n";
    for (const auto& l : m.loops)
      o << "| " << l.service << " | " << at(l.first) << " | " << at(l.last) << " | " << l.actions
        << " |\n";
    o << "\n";
  }

  o << "## Automated actions\n\n";
  if (m.actions.empty()) o << "None.\n\n";
  if (!m.actions.empty()) {
    o << "| at | service | action | command | helpful | verified |\n|---|---|---|---|---|---|\n";
    for (const auto& a : m.actions)
      o << "| " << at(a.at) << " | " << a.service << " | " << a.action << " | `"
        << md_cell(a.command) << "` | " << (a.helpful ? "yes" : "**no**") << " | "
        << (a.verified ? (*a.verified ? "passed" : "failed") : "-") << " |\n";
    o << "\n";
  }

  o << "## Escalations\n\n";
  if (m.escalations.empty()) o << "None: nobody was paged.\n\n";
  if (!m.escalations.empty()) {
    o << "| at | service | kind | reason | channel | affected |\n|---|---|---|---|---|---|\n";
    for (const auto& e : m.escalations) {
      std::string affected;
      for (const auto& a : e.affected)
        affected += (affected.empty() ? "" : ", ") + a;
      o << "| " << at(e.at) << " | " << e.service << " | "
        << (e.approval ? "approval request" : "page") << " | " << md_cell(e.reason) << " | "
        << md_cell(e.channel) << " | " << md_cell(affected) << " |\n";
    }
    o << "\n";
    // What each page told the person: the steps automation took and the next one.
    for (const auto& e : m.escalations) {
      if (e.story.empty()) continue;
      o << "Page at " << at(e.at) << " (" << e.service << ", " << md_cell(e.channel) << "):\n\n";
      for (const auto& line : e.story)
        o << "- " << md_cell(line) << "\n";
      o << "\n";
    }
  }

  o << "## Decisions\n\n";
  if (m.decisions.empty()) o << "None.\n";
  if (!m.decisions.empty()) {
    const bool what_if = m.branches.has_value();
    o << "| at | service | outcome | classified as | confidence | action | reason "
      << (what_if ? "| what if " : "") << "|\n|---|---|---|---|---|---|---|"
      << (what_if ? "---|" : "") << "\n";
    for (std::size_t k = 0; k < m.decisions.size(); ++k) {
      const auto& d = m.decisions[k];
      o << "| " << at(d.at) << " | " << d.service << " | " << d.outcome << " | "
        << md_cell(d.incident_type) << " | " << fixed(d.confidence, 2) << " | " << md_cell(d.action)
        << " | " << md_cell(d.reason) << " |";
      if (what_if) o << " " << md_cell(what_if_cell(m, k)) << " |";
      o << "\n";
    }
  }
  if (m.branches) {
    o << "\n## Declared vs measured\n\n";
    if (m.disagreements.empty())
      o << "The declared table and the measured branches agree on every branched decision.\n";
    for (const auto& d : m.disagreements)
      o << "- " << d << "\n";
  }
  if (!r.notes.empty()) {
    o << "\n## Notes\n\n";
    for (const auto& n : r.notes)
      o << "- " << n << "\n";
  }
  return o.str();
}

std::string index_markdown(const std::vector<RunResult>& runs,
                           const std::vector<std::string>& report_dirs) {
  std::ostringstream o;
  int failed = 0;
  for (const auto& r : runs)
    failed += r.passed() ? 0 : 1;
  o << "# selfheal scenario library\n\n"
    << runs.size() << " scenarios, " << failed << " failing.\n\n";
  o << index_verdict_markdown(runs);
  o << "| scenario | result | incidents | MTTR mean | unrecovered | loops | wrongly acted | made "
       "worse | actions | pages | expectations |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const auto& r = runs[k];
    const auto& m = r.metrics;
    const std::string link = k < report_dirs.size() ? report_dirs[k] + "/report.md" : "";
    o << "| [" << r.scenario << "](" << link << ") | " << (r.passed() ? "pass" : "**FAIL**")
      << " | " << m.incidents.size() << " | " << opt_duration(m.mttr_mean) << " | " << m.unrecovered
      << " | " << m.remediation_loops << " | " << m.wrongly_acted << " | "
      << (m.made_worse ? std::to_string(*m.made_worse) : "-") << " | " << m.actions.size() << " | "
      << m.pages << " | "
      << (r.expectations.size() - static_cast<std::size_t>(r.failed_expectations())) << "/"
      << r.expectations.size() << " |\n";
  }
  return o.str();
}

}  // namespace selfheal::reports
