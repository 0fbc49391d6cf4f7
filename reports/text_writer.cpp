#include "reports/text_writer.hpp"

#include <algorithm>
#include <sstream>

#include "core/duration.hpp"
#include "reports/format.hpp"
#include "reports/markdown_writer.hpp"
#include "reports/verdict_writer.hpp"

namespace selfheal::reports {

// The run, its metrics and verdicts, as the scenario runner leaves them.
using namespace selfheal::scenario;

std::string text_summary(const RunResult& r) {
  const RunMetrics& m = r.metrics;
  std::ostringstream o;
  o << r.scenario << " (seed " << r.seed << ", " << core::format_duration(r.duration) << ", mode "
    << r.mode << "): " << (r.passed() ? "PASS" : "FAIL") << "\n";
  for (const auto& w : r.baseline_warnings)
    o << "  WARNING unhealthy baseline (run with --allow-unhealthy-baseline): " << w << "\n";
  o << verdict_text(r);
  o << "  incidents " << m.incidents.size() << " (unrecovered " << m.unrecovered << "), MTTR "
    << opt_duration(m.mttr_mean) << " (p50 " << opt_duration(m.mttr_p50) << ", p90 "
    << opt_duration(m.mttr_p90) << ")\n";
  o << "  actions " << m.actions.size() << ", loops " << m.remediation_loops
    << ", most on one target/h " << m.max_actions_per_target_hour
    << (m.max_actions_target.empty() ? "" : " (" + m.max_actions_target + ")") << ", wrongly acted "
    << m.wrongly_acted << ", made worse " << (m.made_worse ? std::to_string(*m.made_worse) : "-")
    << "\n";
  o << "  pages " << m.pages << ", approval requests " << m.approval_requests
    << ", verification pass rate " << opt_ratio(m.verification_pass_rate)
    << ", automated recovery rate " << opt_ratio(m.automated_recovery_rate) << "\n";
  o << "  error-budget minutes " << fixed(m.error_budget_minutes, 1) << " (without automation "
    << (m.twin_error_budget_minutes ? fixed(*m.twin_error_budget_minutes, 1) : "-") << ")\n";
  if (m.branches) {
    o << "  counterfactuals: " << *m.branches << " branches, missed "
      << m.missed_incidents.value_or(0) << ", harmful decisions " << m.harmful_decisions.value_or(0)
      << ", regret " << fixed(m.regret_minutes.value_or(0.0), 1)
      << " min, verification false failures " << m.verification_false_failures.value_or(0)
      << " / false passes " << m.verification_false_passes.value_or(0) << "\n";
    for (const auto& d : m.disagreements)
      o << "  ! " << d << "\n";
  }
  for (const auto& i : m.incidents) {
    o << "  - " << i.id << " @" << offset(i.start) << ": ";
    if (!i.classified_as.empty())
      o << "classified " << i.classified_as << " " << opt_ratio(i.confidence)
        << (i.classification_correct.value_or(false) ? "" : " (wrong)") << ", ";
    o << i.actions << " action(s)" << (i.wrong ? " (" + std::to_string(i.wrong) + " wrong)" : "")
      << ", " << i.pages << " page(s)";
    if (i.approval_requests) o << ", " << i.approval_requests << " approval request(s)";
    o << ", " << (i.recovered ? "TTR " + opt_duration(i.ttr) : std::string("UNRECOVERED")) << "\n";
  }
  for (const auto& e : r.expectations)
    o << "  " << (e.passed ? "ok   " : "FAIL ") << e.expectation.describe << " " << e.expected
      << " (actual " << e.actual << ")\n";
  return o.str();
}

std::string text_table(const std::vector<RunResult>& runs) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"scenario", "result", "incidents", "MTTR", "unrecovered", "loops", "wrong",
                  "worse", "actions", "pages", "expect"});
  for (const auto& r : runs) {
    const auto& m = r.metrics;
    rows.push_back(
        {r.scenario, r.passed() ? "pass" : "FAIL", std::to_string(m.incidents.size()),
         opt_duration(m.mttr_mean), std::to_string(m.unrecovered),
         std::to_string(m.remediation_loops), std::to_string(m.wrongly_acted),
         m.made_worse ? std::to_string(*m.made_worse) : "-", std::to_string(m.actions.size()),
         std::to_string(m.pages),
         std::to_string(r.expectations.size() - static_cast<std::size_t>(r.failed_expectations())) +
             "/" + std::to_string(r.expectations.size())});
  }
  return text_columns(rows);
}

std::string text_columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w;
  for (const auto& row : rows) {
    w.resize(std::max(w.size(), row.size()), 0);
    for (std::size_t c = 0; c < row.size(); ++c)
      w[c] = std::max(w[c], row[c].size());
  }
  std::ostringstream o;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::string cell = row[c];
      if (c + 1 < row.size()) cell.resize(w[c] + 2, ' ');
      line += cell;
    }
    o << line << "\n";
  }
  return o.str();
}

std::string baseline_table(const std::vector<BaselineChange>& changes, std::size_t compared,
                           std::size_t new_scenarios) {
  std::ostringstream o;
  std::size_t count[3] = {0, 0, 0};  // by verdict
  std::vector<std::vector<std::string>> rows{
      {"scenario", "metric", "baseline", "now", "delta", "verdict"}};
  for (const auto& c : changes) {
    ++count[static_cast<std::size_t>(c.verdict)];
    rows.push_back(
        {c.scenario, c.metric, c.baseline, c.now, c.delta, std::string(to_string(c.verdict))});
  }
  if (!changes.empty()) o << text_columns(rows);
  const std::size_t regressions = count[static_cast<std::size_t>(BaselineVerdict::kRegression)];
  o << "baseline: ";
  if (changes.empty())
    o << "no change";
  else
    o << (regressions ? std::to_string(regressions) + " regression" + (regressions == 1 ? "" : "s")
                      : std::string("no regression"))
      << ", " << count[static_cast<std::size_t>(BaselineVerdict::kImproved)] << " improved, "
      << count[static_cast<std::size_t>(BaselineVerdict::kWithinTolerance)] << " within tolerance";
  o << " (" << compared << " scenario" << (compared == 1 ? "" : "s") << " compared";
  if (new_scenarios) o << ", " << new_scenarios << " new";
  o << ")\n";
  return o.str();
}

std::string text_failures(const std::vector<RunResult>& runs) {
  std::ostringstream o;
  for (const auto& r : runs)
    for (const auto& e : r.expectations)
      if (!e.passed)
        o << r.file << ":" << e.expectation.line << ": " << r.scenario << ": "
          << e.expectation.describe << ": expected " << e.expected << ", actual " << e.actual
          << "\n";
  for (const auto& r : runs)
    for (const auto& i : r.invariants)
      if (!i.held)
        o << r.file << ":" << i.line << ": " << r.scenario << ": invariant " << i.describe
          << " broken at " << core::format_duration(*i.at) << ": " << i.decision << "\n";
  return o.str();
}

}  // namespace selfheal::reports
