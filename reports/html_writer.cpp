#include "reports/html_writer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

#include "core/duration.hpp"
#include "reports/format.hpp"
#include "reports/json_writer.hpp"
#include "reports/markdown_writer.hpp"
#include "reports/svg.hpp"
#include "reports/verdict_writer.hpp"
#include "reports/what_if.hpp"

namespace selfheal::reports {

// The run, its metrics and verdicts, as the scenario runner leaves them.
using namespace selfheal::scenario;
namespace {

constexpr double kWidth = 1040, kLeft = 104, kRight = 48, kTop = 16, kPlotH = 170;
constexpr double kLaneH = 14;
constexpr std::size_t kMaxPoints = 720;

struct Lane {
  MarkerKind kind;
  const char* name;
  const char* colour;
};
constexpr std::array<Lane, 9> kLanes{{
    {MarkerKind::kFault, "fault", "#8c564b"},
    {MarkerKind::kPlanned, "planned event", "#9467bd"},
    {MarkerKind::kAlert, "alert", "#ff7f0e"},
    {MarkerKind::kDecision, "decision", "#7f7f7f"},
    {MarkerKind::kAction, "action", "#2ca02c"},
    {MarkerKind::kVerification, "verification", "#17becf"},
    {MarkerKind::kPage, "page", "#e377c2"},
    {MarkerKind::kApproval, "approval request", "#bcbd22"},
    {MarkerKind::kRecovery, "recovered", "#1f77b4"},
}};

std::size_t lane_of(MarkerKind k) {
  for (std::size_t i = 0; i < kLanes.size(); ++i)
    if (kLanes[i].kind == k) return i;
  return 0;
}

std::string clock(Duration d) {
  const long long mins = d.count() / 60000;
  std::string m = std::to_string(mins % 60);
  if (m.size() < 2) m = "0" + m;
  return std::to_string(mins / 60) + ":" + m;
}

// Keeps the shape of a long series within kMaxPoints: per bucket the worst error rate and
// the lowest ready count, so a short outage never disappears from the chart.
std::vector<ChartPoint> downsample(const std::vector<ChartPoint>& pts) {
  if (pts.size() <= kMaxPoints) return pts;
  std::vector<ChartPoint> out;
  const std::size_t per = (pts.size() + kMaxPoints - 1) / kMaxPoints;
  for (std::size_t i = 0; i < pts.size(); i += per) {
    ChartPoint b = pts[i];
    for (std::size_t k = i; k < std::min(pts.size(), i + per); ++k) {
      b.error_rate = std::max(b.error_rate, pts[k].error_rate);
      b.ready = std::min(b.ready, pts[k].ready);
      b.desired = std::max(b.desired, pts[k].desired);
    }
    out.push_back(b);
  }
  return out;
}

void summary_rows(std::ostringstream& o, const RunMetrics& m) {
  auto row = [&](const std::string& k, const std::string& v) {
    o << "<tr><th>" << xml_escape(k) << "</th><td>" << xml_escape(v) << "</td></tr>\n";
  };
  row("incidents", std::to_string(m.incidents.size()));
  row("recovered / unrecovered",
      std::to_string(m.recovered) + " / " + std::to_string(m.unrecovered));
  row("MTTR mean / p50 / p90", opt_duration(m.mttr_mean) + " / " + opt_duration(m.mttr_p50) +
                                   " / " + opt_duration(m.mttr_p90));
  row("remediation loops", std::to_string(m.remediation_loops));
  row("most actions on one target in an hour",
      std::to_string(m.max_actions_per_target_hour) +
          (m.max_actions_target.empty() ? "" : " (" + m.max_actions_target + ")"));
  row("wrongly-acted incidents", std::to_string(m.wrongly_acted));
  row("made-worse incidents", m.made_worse ? std::to_string(*m.made_worse) : "- (no twin)");
  row("automated actions", std::to_string(m.actions.size()));
  row("automated recovery rate", opt_ratio(m.automated_recovery_rate));
  row("verification pass rate", opt_ratio(m.verification_pass_rate));
  row("pages / approval requests",
      std::to_string(m.pages) + " / " + std::to_string(m.approval_requests));
  row("pages per incident", opt_ratio(m.pages_per_incident));
  row("mean time to escalate", opt_duration(m.time_to_escalate_mean));
  row("error-budget minutes with automation", fixed(m.error_budget_minutes, 2));
  row("error-budget minutes without automation (twin)",
      m.twin_error_budget_minutes ? fixed(*m.twin_error_budget_minutes, 2) : "-");
}

}  // namespace

std::string chart_svg(const ServiceChart& chart, const std::vector<Marker>& markers,
                      Duration run_length) {
  const double plot_w = kWidth - kLeft - kRight;
  const double lanes_top = kTop + kPlotH + 26;
  const double height = lanes_top + kLaneH * static_cast<double>(kLanes.size()) + 8;
  const double len_ms = std::max<double>(1.0, static_cast<double>(run_length.count()));
  double max_rep = 1;
  for (const auto& p : chart.points)
    max_rep = std::max({max_rep, p.ready, p.desired});
  max_rep = std::ceil(max_rep * 1.1);
  // Two plots over one area: the error rate (left axis) and the replicas (right axis).
  const Plot err{kLeft, kTop, plot_w, kPlotH, {0, len_ms}, {0, 1}};
  const Plot rep{kLeft, kTop, plot_w, kPlotH, {0, len_ms}, {0, max_rep}};
  auto x = [&](Duration t) { return err.px(static_cast<double>(t.count())); };
  auto y_err = [&](double e) { return err.py(e); };
  auto y_rep = [&](double r) { return rep.py(r); };

  std::ostringstream o;
  svg_open(o, kWidth, height, "timeline of " + chart.service);
  o << "<title>" << xml_escape(chart.service)
    << ": error rate and ready replicas over time</title>\n";
  plot_frame(o, err);
  // Time axis: a step that gives at most ~12 ticks.
  static constexpr std::array<long long, 10> kSteps{1, 5, 10, 15, 30, 60, 120, 180, 360, 720};
  long long step = kSteps.back();
  for (long long s : kSteps)
    if (len_ms / (static_cast<double>(s) * 60000.0) <= 12) {
      step = s;
      break;
    }
  std::vector<std::pair<double, std::string>> ticks;
  for (long long t = 0; static_cast<double>(t) * 60000.0 <= len_ms; t += step)
    ticks.emplace_back(static_cast<double>(t * 60000), clock(Duration{t * 60000}));
  x_ticks(o, err, ticks);
  // Y axes.
  for (int k = 0; k <= 4; ++k) {
    const double v = k / 4.0;
    o << "<text x=\"" << kLeft - 6 << "\" y=\"" << fixed(y_err(v) + 4, 1)
      << "\" font-size=\"11\" text-anchor=\"end\" fill=\"#d62728\">" << fixed(v * 100, 0)
      << "%</text><text x=\"" << kLeft + plot_w + 6 << "\" y=\"" << fixed(y_rep(max_rep * v) + 4, 1)
      << "\" font-size=\"11\" fill=\"#1f77b4\">" << fixed(max_rep * v, 0) << "</text>\n";
  }
  // Fault and planned-event spans, shaded behind the series.
  for (const auto& m : markers) {
    if (m.service != chart.service || !m.until) continue;
    if (m.kind != MarkerKind::kFault && m.kind != MarkerKind::kPlanned) continue;
    const double x0 = x(m.at), x1 = x(*m.until);
    o << "<rect class=\"span span-" << to_string(m.kind) << "\" x=\"" << fixed(x0, 1) << "\" y=\""
      << kTop << "\" width=\"" << fixed(std::max(1.0, x1 - x0), 1) << "\" height=\"" << kPlotH
      << "\" fill=\"" << (m.kind == MarkerKind::kFault ? "#8c564b" : "#9467bd")
      << "\" fill-opacity=\"0.10\"><title>" << offset(m.at) << " to " << offset(*m.until) << " "
      << xml_escape(m.label) << "</title></rect>\n";
  }
  if (chart.error_objective > 0)
    o << "<line class=\"objective\" x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\""
      << fixed(y_err(chart.error_objective), 1) << "\" y2=\""
      << fixed(y_err(chart.error_objective), 1)
      << "\" stroke=\"#d62728\" stroke-dasharray=\"4 3\" stroke-width=\"1\"><title>error "
         "objective: at most "
      << fixed(chart.error_objective * 100, 2) << "% errors</title></line>\n";
  const auto pts = downsample(chart.points);
  auto series = [&](auto value) {
    std::vector<std::pair<double, double>> xy;
    xy.reserve(pts.size());
    for (const auto& pt : pts)
      xy.emplace_back(static_cast<double>(pt.t.count()), value(pt));
    return xy;
  };
  polyline(o, rep, series([](const ChartPoint& p) { return p.desired; }), "desired", "#999",
           " stroke-dasharray=\"5 3\"");
  polyline(o, rep, series([](const ChartPoint& p) { return p.ready; }), "ready", "#1f77b4");
  polyline(o, err, series([](const ChartPoint& p) { return p.error_rate; }), "error-rate",
           "#d62728");

  // Marker lanes.
  for (std::size_t l = 0; l < kLanes.size(); ++l) {
    const double ly = lanes_top + kLaneH * static_cast<double>(l);
    o << "<text x=\"" << kLeft - 6 << "\" y=\"" << fixed(ly + 10, 1)
      << "\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">" << kLanes[l].name
      << "</text><line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\""
      << fixed(ly + 7, 1) << "\" y2=\"" << fixed(ly + 7, 1) << "\" stroke=\"#f0f0f0\"/>\n";
  }
  for (const auto& m : markers) {
    if (m.service != chart.service) continue;
    const std::size_t l = lane_of(m.kind);
    const double mx = x(m.at);
    const double my = lanes_top + kLaneH * static_cast<double>(l) + 7;
    const char* colour = m.bad ? "#cf222e" : kLanes[l].colour;
    o << "<g class=\"marker marker-" << to_string(m.kind) << "\"><title>" << offset(m.at) << " "
      << xml_escape(m.label) << "</title>";
    if (m.kind == MarkerKind::kFault || m.kind == MarkerKind::kPlanned ||
        m.kind == MarkerKind::kAction || m.kind == MarkerKind::kRecovery) {
      // A guide line through the plot so the event lines up with the series.
      o << "<line x1=\"" << fixed(mx, 1) << "\" x2=\"" << fixed(mx, 1) << "\" y1=\"" << kTop
        << "\" y2=\"" << kTop + kPlotH << "\" stroke=\"" << colour
        << "\" stroke-opacity=\"0.45\" stroke-dasharray=\"2 2\"/>";
    }
    if (m.kind == MarkerKind::kAction || m.kind == MarkerKind::kFault) {
      o << "<rect x=\"" << fixed(mx - 4, 1) << "\" y=\"" << fixed(my - 4, 1)
        << "\" width=\"8\" height=\"8\" fill=\"" << colour << "\"/>";
    } else if (m.kind == MarkerKind::kPage || m.kind == MarkerKind::kApproval) {
      o << "<path d=\"M" << fixed(mx, 1) << ' ' << fixed(my - 5, 1) << " L" << fixed(mx + 5, 1)
        << ' ' << fixed(my + 4, 1) << " L" << fixed(mx - 5, 1) << ' ' << fixed(my + 4, 1)
        << " Z\" fill=\"" << colour << "\"/>";
    } else {
      o << "<circle cx=\"" << fixed(mx, 1) << "\" cy=\"" << fixed(my, 1) << "\" r=\"4\" fill=\""
        << colour << "\"/>";
    }
    o << "</g>\n";
  }
  o << "</svg>\n";
  return o.str();
}

std::string report_html(const RunResult& r) {
  const RunMetrics& m = r.metrics;
  std::ostringstream o;
  o << html_head("selfheal: " + r.scenario);
  o << "<h1>" << xml_escape(r.scenario) << " <span class=\"" << (r.passed() ? "pass" : "fail")
    << "\">" << (r.passed() ? "passed" : "FAILED") << "</span></h1>\n";
  if (!r.description.empty()) o << "<p>" << xml_escape(r.description) << "</p>\n";
  if (!r.baseline_warnings.empty()) {
    o << "<div class=\"fail\"><p><strong>Warning: unhealthy baseline.</strong> The modelled "
         "world misses its objectives before its first fault (run with "
         "<code>--allow-unhealthy-baseline</code>); verdicts below are not meaningful:</p><ul>\n";
    for (const auto& w : r.baseline_warnings)
      o << "<li>" << xml_escape(w) << "</li>\n";
    o << "</ul></div>\n";
  }
  o << "<p class=\"muted\">file <code>" << xml_escape(r.file) << "</code> · seed " << r.seed
    << " · duration " << core::format_duration(r.duration) << " · engine mode "
    << xml_escape(r.mode) << " · policies <code>" << xml_escape(r.policies) << "</code> · twin "
    << (r.twin ? "yes" : "no") << "</p>\n";
  o << verdict_html(r);

  o << "<h2>Summary</h2>\n<table class=\"summary\">\n";
  summary_rows(o, m);
  o << "</table>\n";

  if (!r.expectations.empty()) {
    o << "<h2>Expectations</h2>\n<table><tr><th></th><th>expectation</th><th>expected</th>"
         "<th>actual</th><th>line</th></tr>\n";
    for (const auto& e : r.expectations)
      o << "<tr><td class=\"" << (e.passed ? "pass\">pass" : "fail\">FAIL") << "</td><td>"
        << xml_escape(e.expectation.describe) << "</td><td>" << xml_escape(e.expected)
        << "</td><td>" << xml_escape(e.actual) << "</td><td>" << e.expectation.line
        << "</td></tr>\n";
    o << "</table>\n";
  }

  o << "<h2>Incidents</h2>\n";
  if (m.incidents.empty()) o << "<p>No incident fired an alert.</p>\n";
  if (!m.incidents.empty()) {
    o << "<table><tr><th>incident</th><th>start</th><th>ground truth</th><th>classified as"
         "</th><th>detection</th><th>actions (wrong)</th><th>pages</th><th>TTR</th>"
         "<th>budget min (twin)</th><th>wrongly acted</th><th>made worse</th></tr>\n";
    for (const auto& i : m.incidents) {
      o << "<tr><td>" << xml_escape(i.id) << "<br><span class=\"muted\">" << xml_escape(i.kind)
        << " on " << xml_escape(i.root_service) << "</span></td><td>" << offset(i.start)
        << "</td><td>" << xml_escape(i.true_type) << "</td><td>"
        << xml_escape(i.classified_as.empty() ? "-"
                                              : i.classified_as + " " + opt_ratio(i.confidence))
        << "</td><td>" << opt_duration(i.detection) << "</td><td>" << i.actions << " (" << i.wrong
        << ")</td><td>" << i.pages << (i.approval_requests ? " + " : "")
        << (i.approval_requests ? std::to_string(i.approval_requests) + " approval" : "")
        << "</td><td>"
        << (i.recovered ? opt_duration(i.ttr) : "<span class=\"fail\">unrecovered</span>")
        << "</td><td>" << fixed(i.error_budget_minutes, 2) << " ("
        << (i.twin_error_budget_minutes ? fixed(*i.twin_error_budget_minutes, 2) : "-")
        << ")</td><td>" << (i.wrongly_acted ? "<span class=\"fail\">yes</span>" : "no")
        << "</td><td>"
        << (i.made_worse ? (*i.made_worse ? "<span class=\"fail\">yes</span>" : "no") : "-")
        << "</td></tr>\n";
    }
    o << "</table>\n";
  }

  o << "<h2>Timelines</h2>\n<p class=\"legend\">"
       "<span><i class=\"sw\" style=\"background:#d62728\"></i>error rate (left axis)</span>"
       "<span><i class=\"sw\" style=\"background:#1f77b4\"></i>ready replicas (right axis)</span>"
       "<span><i class=\"sw\" style=\"background:#999\"></i>desired replicas</span>"
       "<span class=\"muted\">hover a marker for what happened</span></p>\n";
  if (r.charts.empty()) o << "<p>No service was affected.</p>\n";
  for (const auto& c : r.charts) {
    o << "<h3>" << xml_escape(c.service) << "</h3>\n";
    o << chart_svg(c, r.markers, r.duration);
  }

  if (!m.loops.empty()) {
    o << "<h2>Remediation loops</h2>\n<table><tr><th>target</th><th>first</th><th>last</th>"
         "<th>actions</th></tr>\n";
    for (const auto& l : m.loops)
      o << "<tr><td>" << xml_escape(l.service) << "</td><td>" << offset(l.first) << "</td><td>"
        << offset(l.last) << "</td><td>" << l.actions << "</td></tr>\n";
    o << "</table>\n";
  }

  o << "<h2>Automated actions</h2>\n";
  if (m.actions.empty()) o << "<p>None.</p>\n";
  if (!m.actions.empty()) {
    o << "<table><tr><th>at</th><th>service</th><th>command</th><th>helpful</th>"
         "<th>verified</th></tr>\n";
    for (const auto& a : m.actions)
      o << "<tr><td>" << offset(a.at) << "</td><td>" << xml_escape(a.service) << "</td><td><code>"
        << xml_escape(a.command) << "</code></td><td>"
        << (a.helpful ? "yes" : "<span class=\"fail\">no</span>") << "</td><td>"
        << (a.verified ? (*a.verified ? "passed" : "<span class=\"fail\">failed</span>") : "-")
        << "</td></tr>\n";
    o << "</table>\n";
  }
  if (m.branches) {
    // Counterfactual branches: every branched decision with its measured "what if"; the
    // harmful and missed ones are also drawn emphasised on the timelines above.
    o << "<h2>What if: counterfactual decisions</h2>\n<p>" << *m.branches
      << " branches played; missed incidents " << m.missed_incidents.value_or(0)
      << ", harmful decisions " << m.harmful_decisions.value_or(0) << ", regret "
      << fixed(m.regret_minutes.value_or(0.0), 1) << " min, verification false failures "
      << m.verification_false_failures.value_or(0) << ", false passes "
      << m.verification_false_passes.value_or(0) << ".</p>\n";
    if (!m.truths.empty()) {
      o << "<table><tr><th>at</th><th>service</th><th>outcome</th><th>action</th>"
           "<th>what if</th></tr>\n";
      for (const auto& t : m.truths) {
        const bool bad = marked_decision(t);
        o << "<tr><td>" << offset(t.at) << "</td><td>" << xml_escape(t.service) << "</td><td>"
          << xml_escape(t.outcome) << "</td><td>" << xml_escape(t.action) << "</td><td>"
          << (bad ? "<span class=\"fail\">" : "") << xml_escape(what_if_cell(m, t.decision))
          << (bad ? "</span>" : "") << "</td></tr>\n";
      }
      o << "</table>\n";
    }
    if (!m.disagreements.empty()) {
      o << "<h3>Declared vs measured</h3>\n<ul>\n";
      for (const auto& d : m.disagreements)
        o << "<li>" << xml_escape(d) << "</li>\n";
      o << "</ul>\n";
    }
  }
  o << "<h2>Escalations</h2>\n";
  if (m.escalations.empty()) o << "<p>None: nobody was paged.</p>\n";
  if (!m.escalations.empty()) {
    o << "<table><tr><th>at</th><th>service</th><th>kind</th><th>channel</th><th>reason</th>"
         "<th>summary</th><th>affected</th><th>story</th></tr>\n";
    for (const auto& e : m.escalations) {
      o << "<tr><td>" << offset(e.at) << "</td><td>" << xml_escape(e.service) << "</td><td>"
        << (e.approval ? "approval request" : "page") << "</td><td>"
        << xml_escape(e.channel.empty() ? "-" : e.channel) << "</td><td>" << xml_escape(e.reason)
        << "</td><td>" << xml_escape(e.summary) << "</td><td>";
      for (std::size_t k = 0; k < e.affected.size(); ++k)
        o << (k == 0 ? "" : ", ") << xml_escape(e.affected[k]);
      o << "</td><td>";
      if (!e.story.empty()) {
        o << "<details><summary>" << e.story.size() << " line(s)</summary><ol>";
        for (const auto& line : e.story)
          o << "<li>" << xml_escape(line) << "</li>";
        o << "</ol></details>";
      }
      o << "</td></tr>\n";
    }
    o << "</table>\n";
  }
  if (!r.notes.empty()) {
    o << "<h2>Notes</h2>\n<ul>\n";
    for (const auto& n : r.notes)
      o << "<li>" << xml_escape(n) << "</li>\n";
    o << "</ul>\n";
  }
  o << "<p class=\"muted\">Generated by selfheal; report schema " << kReportSchemaVersion
    << ". Definitions: docs/metrics.md.</p>\n</body></html>\n";
  return o.str();
}

std::string index_html(const std::vector<RunResult>& runs,
                       const std::vector<std::string>& report_dirs,
                       const std::vector<IndexLink>& links) {
  std::ostringstream o;
  int failed = 0;
  for (const auto& r : runs)
    failed += r.passed() ? 0 : 1;
  o << html_head("selfheal: scenario library") << "<h1>selfheal scenario library</h1>\n<p>"
    << runs.size() << " scenarios, <span class=\"" << (failed ? "fail" : "pass") << "\">" << failed
    << " failing</span>. Click a scenario for its report and timeline charts.</p>\n";
  if (!links.empty()) {
    o << "<p>Also:";
    for (std::size_t k = 0; k < links.size(); ++k)
      o << (k ? " · " : " ") << "<a href=\"" << xml_escape(links[k].href) << "\">"
        << xml_escape(links[k].text) << "</a>";
    o << "</p>\n";
  }
  o << index_verdict_html(runs);
  o << "<table><tr><th>scenario</th><th>result</th><th>incidents</th><th>MTTR mean</th>"
       "<th>unrecovered</th><th>loops</th><th>wrongly acted</th><th>made worse</th>"
       "<th>actions</th><th>pages</th><th>budget min (twin)</th><th>expectations</th></tr>\n";
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const auto& r = runs[k];
    const auto& m = r.metrics;
    const std::string link = k < report_dirs.size() ? report_dirs[k] + "/report.html" : "";
    o << "<tr><td><a href=\"" << xml_escape(link) << "\">" << xml_escape(r.scenario)
      << "</a><br><span class=\"muted\">" << xml_escape(r.description) << "</span></td><td class=\""
      << (r.passed() ? "pass\">pass" : "fail\">FAIL") << "</td><td>" << m.incidents.size()
      << "</td><td>" << opt_duration(m.mttr_mean) << "</td><td>" << m.unrecovered << "</td><td>"
      << m.remediation_loops << "</td><td>" << m.wrongly_acted << "</td><td>"
      << (m.made_worse ? std::to_string(*m.made_worse) : "-") << "</td><td>" << m.actions.size()
      << "</td><td>" << m.pages << "</td><td>" << fixed(m.error_budget_minutes, 1) << " ("
      << (m.twin_error_budget_minutes ? fixed(*m.twin_error_budget_minutes, 1) : "-")
      << ")</td><td>" << (r.expectations.size() - static_cast<std::size_t>(r.failed_expectations()))
      << "/" << r.expectations.size() << "</td></tr>\n";
  }
  o << "</table>\n</body></html>\n";
  return o.str();
}

}  // namespace selfheal::reports
