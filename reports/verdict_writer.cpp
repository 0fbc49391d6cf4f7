// One verdict, four spellings: the words come from scenario::Verdict (its paragraph, its
// reasons); here only the layout of each format.
#include "reports/verdict_writer.hpp"

#include <sstream>

#include "core/duration.hpp"
#include "reports/format.hpp"

namespace selfheal::reports {

using namespace selfheal::scenario;

namespace {

constexpr const char* kNotMeasured = "not measured";

std::string saved(const Verdict& v) {
  return v.budget_saved_minutes ? fixed(*v.budget_saved_minutes, 1) + " min" : "- (no twin)";
}

std::string false_failures(const Verdict& v) {
  return v.verification_false_failures ? std::to_string(*v.verification_false_failures)
                                       : kNotMeasured;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v)
    s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string violation(const InvariantResult& i) {
  if (i.held) return "held";
  return "BROKEN at " + core::format_duration(*i.at) + " (" + std::to_string(i.violations) +
         " violation(s)); first: " + i.decision;
}

struct Library {
  int go = 0;
  int invariants = 0;
  int broken = 0;
  int incident_pages = 0;
  int background_pages = 0;
  double saved = 0.0;
  bool all_twins = true;
  std::vector<std::string> holds;  ///< "scenario: reasons"
};

Library library(const std::vector<RunResult>& runs) {
  Library l;
  for (const auto& r : runs) {
    const Verdict& v = r.verdict;
    l.go += v.go ? 1 : 0;
    l.invariants += v.invariants;
    l.broken += v.invariants_broken;
    l.incident_pages += v.incident_pages;
    l.background_pages += v.background_pages;
    if (v.budget_saved_minutes) l.saved += *v.budget_saved_minutes;
    l.all_twins = l.all_twins && v.budget_saved_minutes.has_value();
    if (!v.go) l.holds.push_back(r.scenario + ": " + join(v.hold_reasons));
  }
  return l;
}

std::string library_paragraph(const std::vector<RunResult>& runs, const Library& l) {
  std::ostringstream o;
  o << "Rollout verdict for the library: " << (l.holds.empty() ? "GO" : "HOLD") << ". " << l.go
    << " of " << runs.size() << " scenario(s) GO. ";
  if (l.invariants == 0)
    o << "No invariants were stated. ";
  else
    o << (l.invariants - l.broken) << " of " << l.invariants << " invariant(s) held. ";
  o << "Pages: " << l.incident_pages << " for incidents, " << l.background_pages
    << " outside any incident. Error budget saved vs no automation: "
    << (l.all_twins ? fixed(l.saved, 1) + " min" : "- (some runs had no twin)")
    << ". Verification false failures: " << kNotMeasured << ".";
  return o.str();
}

}  // namespace

std::string verdict_text(const RunResult& r) {
  const Verdict& v = r.verdict;
  std::ostringstream o;
  o << "  verdict: " << (v.go ? "GO" : "HOLD") << (v.go ? "" : " (" + join(v.hold_reasons) + ")")
    << "\n";
  for (const auto& i : r.invariants)
    o << "  invariant " << (i.held ? "held" : "BROKEN") << ": " << i.describe
      << (i.held ? "" : " — at " + core::format_duration(*i.at) + ": " + i.decision) << "\n";
  o << "  pages: " << v.incident_pages << " incident, " << v.background_pages
    << " background; budget saved vs twin " << saved(v) << "; verification false failures "
    << false_failures(v) << "\n";
  return o.str();
}

std::string verdict_markdown(const RunResult& r) {
  const Verdict& v = r.verdict;
  std::ostringstream o;
  o << "## Rollout verdict: " << (v.go ? "GO" : "HOLD") << "\n\n" << v.paragraph << "\n\n";
  o << "| | |\n|---|---|\n";
  o << "| invariants | "
    << (v.invariants == 0 ? std::string("none stated")
                          : std::to_string(v.invariants - v.invariants_broken) + "/" +
                                std::to_string(v.invariants) + " held")
    << " |\n";
  o << "| incident pages | " << v.incident_pages << " |\n";
  o << "| background pages (outside any incident) | " << v.background_pages << " |\n";
  o << "| error-budget minutes saved vs the twin | " << saved(v) << " |\n";
  o << "| verification false failures | " << false_failures(v) << " |\n";
  o << "| policy types the classifier never produces | "
    << (v.never_classified.empty() ? "none" : md_cell(join(v.never_classified))) << " |\n\n";
  if (!r.invariants.empty()) {
    o << "### Invariants\n\n| | invariant | line | first violation |\n|---|---|---|---|\n";
    for (const auto& i : r.invariants)
      o << "| " << (i.held ? "held" : "**BROKEN**") << " | " << md_cell(i.describe) << " | "
        << i.line << " | " << md_cell(i.held ? "-" : violation(i)) << " |\n";
    o << "\n";
  }
  if (!v.coverage.empty()) {
    o << "### Coverage\n\n| service | incident type | decisions | what the engine did | "
         "channels |\n|---|---|---|---|---|\n";
    for (const auto& c : v.coverage)
      o << "| " << c.service << " | " << c.incident_type << " | " << c.decisions << " | "
        << md_cell(c.did) << " | " << (c.channels.empty() ? "-" : md_cell(c.channels)) << " |\n";
    o << "\n";
  }
  return o.str();
}

std::string verdict_html(const RunResult& r) {
  const Verdict& v = r.verdict;
  std::ostringstream o;
  o << "<h2>Rollout verdict: <span class=\"" << (v.go ? "pass\">GO" : "fail\">HOLD")
    << "</span></h2>\n<p>" << xml_escape(v.paragraph) << "</p>\n<table class=\"summary\">\n";
  o << "<tr><td>invariants</td><td>"
    << (v.invariants == 0 ? std::string("none stated")
                          : std::to_string(v.invariants - v.invariants_broken) + "/" +
                                std::to_string(v.invariants) + " held")
    << "</td></tr>\n<tr><td>incident pages</td><td>" << v.incident_pages
    << "</td></tr>\n<tr><td>background pages (outside any incident)</td><td>" << v.background_pages
    << "</td></tr>\n<tr><td>error-budget minutes saved vs the twin</td><td>" << xml_escape(saved(v))
    << "</td></tr>\n<tr><td>verification false failures</td><td>" << false_failures(v)
    << "</td></tr>\n<tr><td>policy types the classifier never produces</td><td>"
    << xml_escape(v.never_classified.empty() ? "none" : join(v.never_classified))
    << "</td></tr>\n</table>\n";
  if (!r.invariants.empty()) {
    o << "<h3>Invariants</h3>\n<table><tr><th></th><th>invariant</th><th>line</th><th>first "
         "violation</th></tr>\n";
    for (const auto& i : r.invariants)
      o << "<tr><td class=\"" << (i.held ? "pass\">held" : "fail\">BROKEN") << "</td><td>"
        << xml_escape(i.describe) << "</td><td>" << i.line << "</td><td>"
        << xml_escape(i.held ? "-" : violation(i)) << "</td></tr>\n";
    o << "</table>\n";
  }
  if (!v.coverage.empty()) {
    o << "<h3>Coverage</h3>\n<table><tr><th>service</th><th>incident type</th><th>decisions</th>"
         "<th>what the engine did</th><th>channels</th></tr>\n";
    for (const auto& c : v.coverage)
      o << "<tr><td>" << xml_escape(c.service) << "</td><td>" << xml_escape(c.incident_type)
        << "</td><td>" << c.decisions << "</td><td>" << xml_escape(c.did) << "</td><td>"
        << xml_escape(c.channels.empty() ? "-" : c.channels) << "</td></tr>\n";
    o << "</table>\n";
  }
  return o.str();
}

nlohmann::ordered_json verdict_json(const RunResult& r) {
  using Json = nlohmann::ordered_json;
  const Verdict& v = r.verdict;
  Json j;
  j["go"] = v.go;
  j["hold_reasons"] = v.hold_reasons;
  Json invs = Json::array();
  for (const auto& i : r.invariants) {
    Json x{{"invariant", i.describe},
           {"line", i.line},
           {"held", i.held},
           {"violations", i.violations}};
    if (!i.held) {
      x["first_violation_ms"] = i.at->count();
      x["first_violation_decision"] = i.decision;
    }
    invs.push_back(std::move(x));
  }
  j["invariants"] = invs;
  Json cov = Json::array();
  for (const auto& c : v.coverage)
    cov.push_back({{"service", c.service},
                   {"incident_type", c.incident_type},
                   {"decisions", c.decisions},
                   {"did", c.did},
                   {"channels", c.channels}});
  j["coverage"] = cov;
  j["never_classified_types"] = v.never_classified;
  j["incident_pages"] = v.incident_pages;
  j["background_pages"] = v.background_pages;
  j["error_budget_minutes_saved"] =
      v.budget_saved_minutes ? Json(round_to(*v.budget_saved_minutes, 3)) : Json(nullptr);
  j["verification_false_failures"] =
      v.verification_false_failures ? Json(*v.verification_false_failures) : Json(nullptr);
  j["paragraph"] = v.paragraph;
  return j;
}

std::string index_verdict_markdown(const std::vector<RunResult>& runs) {
  const Library l = library(runs);
  std::ostringstream o;
  o << "## Rollout verdict: " << (l.holds.empty() ? "GO" : "HOLD") << "\n\n"
    << library_paragraph(runs, l) << "\n\n";
  for (const auto& h : l.holds)
    o << "- HOLD " << h << "\n";
  if (!l.holds.empty()) o << "\n";
  return o.str();
}

std::string index_verdict_html(const std::vector<RunResult>& runs) {
  const Library l = library(runs);
  std::ostringstream o;
  o << "<h2>Rollout verdict: <span class=\"" << (l.holds.empty() ? "pass\">GO" : "fail\">HOLD")
    << "</span></h2>\n<p>" << xml_escape(library_paragraph(runs, l)) << "</p>\n";
  if (!l.holds.empty()) {
    o << "<ul>\n";
    for (const auto& h : l.holds)
      o << "<li>HOLD " << xml_escape(h) << "</li>\n";
    o << "</ul>\n";
  }
  return o.str();
}

}  // namespace selfheal::reports
