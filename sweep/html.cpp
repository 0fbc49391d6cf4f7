#include "sweep/html.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include "config/suggest.hpp"
#include "core/duration.hpp"
#include "reports/format.hpp"
#include "reports/svg.hpp"
#include "sweep/report.hpp"

namespace selfheal::sweep {
namespace {

using reports::fixed;
using reports::Plot;
using reports::xml_escape;

// Layout, pixels. A small multiple (one metric over one axis's values) and the scatter.
constexpr double kSmallW = 250, kSmallH = 172;
constexpr Plot kSmallPlot{56, 10, 180, 118, {}, {}};
constexpr double kScatterW = 760, kScatterH = 440;
constexpr Plot kScatterPlot{84, 16, 640, 360, {}, {}};
constexpr int kYTicks = 4;
constexpr double kSecondsPerMinute = 60;
constexpr std::size_t kMaxTickLabel = 14;  // characters of an axis value under a small chart

constexpr const char* kSeriesColour = "#1f77b4";
constexpr const char* kPointColour = "#7f7f7f";
constexpr const char* kFrontColour = "#d62728";  // the Pareto front, as the runs' error rate
constexpr const char* kBestColour = "#2ca02c";

constexpr std::string_view kExtraCss =
    ".smalls{display:flex;flex-wrap:wrap;gap:4px 10px}.smalls figure{margin:0}"
    ".smalls figcaption{font-size:12px;color:#333}.smalls svg.chart{margin:2px 0 8px}"
    "pre{background:#f4f4f4;padding:6px 10px}\n";

std::string duration_text(double seconds) {
  return core::format_duration(core::Duration{std::llround(seconds) * 1000});
}

// A value in its metric's display unit, for hover text and tables.
std::string value_text(Unit u, double v) {
  switch (u) {
    case Unit::kDuration:
      return duration_text(v);
    case Unit::kRatio:
      return fixed(v, 4);
    case Unit::kCount:
    case Unit::kMinutes:
      return fixed(v, 3);
  }
  return fixed(v, 3);
}

std::string mean_ci_text(Unit u, const MetricSummary& s) {
  if (!s.n) return "-";
  return value_text(u, s.mean) + " [" + value_text(u, s.ci_low) + ", " + value_text(u, s.ci_high) +
         "]";
}

// An axis tick label: durations as durations, numbers with as many decimals as the span
// between ticks needs.
std::string tick_text(Unit u, double v, double span) {
  if (u == Unit::kDuration) return duration_text(v);
  const double step = span / kYTicks;
  return fixed(v, step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3);
}

// A range from 0 (or below, for a metric that can be negative) to a nice maximum that
// holds every interval; durations (seconds) are made nice in minutes.
reports::Range value_range(Unit u, const std::vector<MetricSummary>& ss) {
  double lo = 0, hi = 0;
  for (const auto& s : ss)
    if (s.n) {
      lo = std::min(lo, s.ci_low);
      hi = std::max(hi, s.ci_high);
    }
  const double k = u == Unit::kDuration ? kSecondsPerMinute : 1.0;
  return {lo < 0 ? -reports::nice_max(-lo / k) * k : 0.0, reports::nice_max(hi / k) * k};
}

MetricSummary summary_of(const SweepResult& r, std::size_t c, std::size_t metric) {
  return summarize(r.combinations[c].metrics[metric], kMetrics[metric].unit);
}

// The runs of every combination whose `axis` has `value`, pooled (exact merge).
Accumulator pooled(const SweepResult& r, std::size_t axis, const std::string& value,
                   std::size_t metric) {
  Accumulator a;
  for (const auto& cr : r.combinations)
    if (cr.combination.params[axis].value == value) a.merge(cr.metrics[metric]);
  return a;
}

std::string short_label(const std::string& s) {
  return s.size() <= kMaxTickLabel ? s : s.substr(0, kMaxTickLabel - 1) + "~";
}

// One small chart: a metric's mean and 95% CI for each value of one axis.
void small_chart(std::ostringstream& o, const SweepResult& r, std::size_t axis,
                 std::size_t metric) {
  const MetricDef& def = kMetrics[metric];
  const auto& values = r.axes[axis].values;
  std::vector<MetricSummary> ss;
  for (const auto& v : values)
    ss.push_back(summarize(pooled(r, axis, v, metric), def.unit));
  Plot p = kSmallPlot;
  p.x = {-0.5, static_cast<double>(values.size()) - 0.5};
  p.y = value_range(def.unit, ss);
  o << "<figure><figcaption>" << def.name << "</figcaption>\n";
  reports::svg_open(o, kSmallW, kSmallH, std::string(def.name) + " by " + r.axes[axis].path);
  o << "<title>" << xml_escape(def.name) << " (mean, 95% CI) by " << xml_escape(r.axes[axis].path)
    << "</title>\n";
  reports::plot_frame(o, p);
  const double span = p.y.hi - p.y.lo;
  reports::y_ticks(o, p, kYTicks, [&](double v) { return tick_text(def.unit, v, span); });
  std::vector<std::pair<double, std::string>> ticks;
  for (std::size_t k = 0; k < values.size(); ++k)
    ticks.emplace_back(static_cast<double>(k), short_label(values[k]));
  reports::x_ticks(o, p, ticks);
  std::vector<std::pair<double, double>> means;
  for (std::size_t k = 0; k < values.size(); ++k)
    if (ss[k].n) means.emplace_back(static_cast<double>(k), ss[k].mean);
  reports::polyline(o, p, means, "mean", kSeriesColour);
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (!ss[k].n) continue;
    const double x = static_cast<double>(k);
    reports::error_bar(o, p, x, ss[k].ci_low, ss[k].ci_high, kSeriesColour);
    reports::point(o, p, x, ss[k].mean, kSeriesColour,
                   r.axes[axis].path + "=" + values[k] + ": " + std::string(def.name) + " " +
                       mean_ci_text(def.unit, ss[k]) + ", n " + std::to_string(ss[k].n));
  }
  o << "</svg></figure>\n";
}

void per_axis_section(std::ostringstream& o, const SweepResult& r) {
  o << "<h2>Per parameter: each metric's mean and 95% CI</h2>\n";
  if (r.axes.empty()) {
    o << "<p>No <code>--set</code> axis: nothing was varied.</p>\n";
    return;
  }
  o << "<p class=\"muted\">For each value of a parameter, the runs of every combination with "
       "that value, pooled over the other parameters' values; error bars are the 95% "
       "confidence interval of the mean (docs/sweep.md). Hover a point for its figures.</p>\n";
  std::vector<std::string> never;
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    bool any = false;
    for (const auto& cr : r.combinations)
      any = any || cr.metrics[i].count() > 0;
    if (!any) never.emplace_back(kMetrics[i].name);
  }
  for (std::size_t k = 0; k < r.axes.size(); ++k) {
    o << "<h3><code>" << xml_escape(r.axes[k].path) << "</code></h3>\n<div class=\"smalls\">\n";
    for (std::size_t i = 0; i < kMetricCount; ++i)
      if (std::find(never.begin(), never.end(), kMetrics[i].name) == never.end())
        small_chart(o, r, k, i);
    o << "</div>\n";
  }
  if (!never.empty()) {
    o << "<p class=\"muted\">Not measured in any run (undefined, n = 0):";
    for (const auto& n : never)
      o << " " << n;
    o << ".</p>\n";
  }
}

// The combinations with data on both trade-off metrics.
std::vector<std::size_t> plotted(const SweepResult& r) {
  std::vector<std::size_t> out;
  for (std::size_t c = 0; c < r.combinations.size(); ++c)
    if (r.combinations[c].metrics[r.trade_off[0]].count() &&
        r.combinations[c].metrics[r.trade_off[1]].count())
      out.push_back(c);
  return out;
}

void scatter_svg(std::ostringstream& o, const SweepResult& r, const std::vector<bool>& front,
                 long best) {
  const std::size_t mx = r.trade_off[0], my = r.trade_off[1];
  const Unit ux = kMetrics[mx].unit, uy = kMetrics[my].unit;
  std::vector<MetricSummary> xs, ys;
  for (std::size_t c = 0; c < r.combinations.size(); ++c) {
    xs.push_back(summary_of(r, c, mx));
    ys.push_back(summary_of(r, c, my));
  }
  Plot p = kScatterPlot;
  p.x = value_range(ux, xs);
  p.y = value_range(uy, ys);
  reports::svg_open(o, kScatterW, kScatterH,
                    std::string(kMetrics[mx].name) + " vs " + std::string(kMetrics[my].name));
  o << "<title>each combination's mean " << kMetrics[mx].name << " and mean " << kMetrics[my].name
    << " with 95% CIs; the Pareto front in red</title>\n";
  reports::plot_frame(o, p);
  const double xspan = p.x.hi - p.x.lo, yspan = p.y.hi - p.y.lo;
  reports::y_ticks(o, p, kYTicks, [&](double v) { return tick_text(uy, v, yspan); });
  std::vector<std::pair<double, std::string>> ticks;
  for (int k = 0; k <= kYTicks; ++k) {
    const double v = p.x.lo + xspan * k / kYTicks;
    ticks.emplace_back(v, tick_text(ux, v, xspan));
  }
  reports::x_ticks(o, p, ticks);
  reports::axis_caption(o, p, "mean " + std::string(kMetrics[mx].name),
                        "mean " + std::string(kMetrics[my].name));
  // The front as a staircase through its points, in order of the first metric.
  std::vector<std::pair<double, double>> stairs;
  for (std::size_t c : plotted(r))
    if (front[c]) stairs.emplace_back(xs[c].mean, ys[c].mean);
  std::sort(stairs.begin(), stairs.end());
  std::vector<std::pair<double, double>> line;
  for (std::size_t k = 0; k < stairs.size(); ++k) {
    if (k) line.emplace_back(stairs[k].first, stairs[k - 1].second);
    line.push_back(stairs[k]);
  }
  reports::polyline(o, p, line, "pareto-front", kFrontColour);
  for (std::size_t c : plotted(r)) {
    const char* colour = static_cast<long>(c) == best ? kBestColour
                         : front[c]                   ? kFrontColour
                                                      : kPointColour;
    reports::error_bar(o, p, xs[c].mean, ys[c].ci_low, ys[c].ci_high, colour);
    reports::error_bar_x(o, p, ys[c].mean, xs[c].ci_low, xs[c].ci_high, colour);
    reports::point(o, p, xs[c].mean, ys[c].mean, colour,
                   "#" + std::to_string(c) + " " + r.combinations[c].combination.label() + ": " +
                       std::string(kMetrics[mx].name) + " " + mean_ci_text(ux, xs[c]) + ", " +
                       std::string(kMetrics[my].name) + " " + mean_ci_text(uy, ys[c]) +
                       (front[c] ? " (Pareto front)" : ""),
                   front[c] ? "front" : "", static_cast<long>(c) == best ? 6 : 4);
  }
  o << "</svg>\n";
}

void trade_off_section(std::ostringstream& o, const SweepResult& r, long best) {
  const std::size_t mx = r.trade_off[0], my = r.trade_off[1];
  const std::vector<bool> front = pareto_front(r, r.trade_off);
  o << "<h2>Trade-off: " << kMetrics[mx].name << " vs " << kMetrics[my].name << "</h2>\n"
    << "<p class=\"legend\"><span><i class=\"sw\" style=\"background:" << kFrontColour
    << "\"></i>Pareto front (no other combination lower or equal on both, lower on one)</span>"
    << "<span><i class=\"sw\" style=\"background:" << kBestColour
    << "\"></i>best combination</span><span><i class=\"sw\" style=\"background:" << kPointColour
    << "\"></i>dominated</span><span class=\"muted\">bars: 95% CI of each mean; "
       "<code>--trade-off X,Y</code> chooses the two metrics</span></p>\n";
  if (plotted(r).empty())
    o << "<p>No combination has data on both metrics (n = 0): nothing to draw.</p>\n";
  else
    scatter_svg(o, r, front, best);
  o << "<table><tr><th>#</th><th>combination</th><th>" << kMetrics[mx].name
    << " mean [95% CI]</th><th>" << kMetrics[my].name << " mean [95% CI]</th><th>front</th></tr>\n";
  for (std::size_t c = 0; c < r.combinations.size(); ++c)
    o << "<tr><td>" << c << "</td><td>" << xml_escape(r.combinations[c].combination.label())
      << "</td><td>" << mean_ci_text(kMetrics[mx].unit, summary_of(r, c, mx)) << "</td><td>"
      << mean_ci_text(kMetrics[my].unit, summary_of(r, c, my)) << "</td><td>"
      << (static_cast<long>(c) == best ? "best"
          : front[c]                   ? "yes"
                                       : "")
      << "</td></tr>\n";
  o << "</table>\n";
}

// The policy fields among the best combination's values, as the policy file would hold
// them: `policies.<type>.<a>.<b>=v` under its incident type, `policies.engine.<...>` under
// `engine:`. Consecutive fields share their common parents.
std::string policy_yaml(const Combination& c) {
  std::vector<std::pair<std::vector<std::string>, std::string>> fields;
  for (const auto& p : c.params) {
    if (p.path.rfind("policies.", 0) != 0) continue;
    std::vector<std::string> parts;
    std::stringstream ss(p.path.substr(9));
    for (std::string part; std::getline(ss, part, '.');)
      parts.push_back(part);
    if (parts.size() >= 2) fields.emplace_back(std::move(parts), p.value);
  }
  std::stable_sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) {
    return (a.first[0] == "engine") < (b.first[0] == "engine");
  });
  std::string y;
  std::vector<std::string> open;  // the path of the mapping written last
  bool in_list = false;
  for (const auto& [parts, value] : fields) {
    const bool engine = parts[0] == "engine";
    std::vector<std::string> head(parts.begin(), parts.end() - 1);
    std::size_t same = 0;
    while (same < head.size() && same < open.size() && head[same] == open[same])
      ++same;
    if (same == 0 && engine) {
      y += "engine:\n";
      same = 1;
    } else if (same == 0) {
      if (!in_list) y += "remediation_policies:\n";
      in_list = true;
      y += "  - incident_type: " + parts[0] + "\n";
      same = 1;
    }
    const std::string base(engine ? 0 : 2, ' ');
    for (std::size_t k = same; k < head.size(); ++k)
      y += base + std::string(2 * k, ' ') + head[k] + ":\n";
    y += base + std::string(2 * head.size(), ' ') + parts.back() + ": " + value + "\n";
    open = head;
  }
  return y;
}

void best_section(std::ostringstream& o, const SweepResult& r, long best) {
  o << "<h2>Best combination</h2>\n";
  if (best < 0) {
    o << "<p>No combination has data on both trade-off metrics: no best.</p>\n";
    return;
  }
  const auto& cr = r.combinations[static_cast<std::size_t>(best)];
  o << "<p>Combination #" << best << ": on the Pareto front of " << kMetrics[r.trade_off[0]].name
    << " and " << kMetrics[r.trade_off[1]].name << ", the lowest mean "
    << kMetrics[r.trade_off[1]].name << " (ties: the lowest mean " << kMetrics[r.trade_off[0]].name
    << ").</p>\n";
  if (cr.combination.params.empty()) {
    o << "<p>The scenario as written (no <code>--set</code> axis).</p>\n";
  } else {
    o << "<table class=\"best\"><tr><th>parameter</th><th>value</th></tr>\n";
    std::string flags;
    for (const auto& p : cr.combination.params) {
      o << "<tr><td><code>" << xml_escape(p.path) << "</code></td><td>" << xml_escape(p.value)
        << "</td></tr>\n";
      flags += " --set " + p.path + "=" + p.value;
    }
    o << "</table>\n<p>As flags:</p><pre>" << xml_escape(flags.substr(1)) << "</pre>\n";
    if (const std::string y = policy_yaml(cr.combination); !y.empty())
      o << "<p>In the policy file:</p><pre>" << xml_escape(y) << "</pre>\n";
  }
  o << "<table><tr><th>metric</th><th>mean [95% CI]</th><th>n</th></tr>\n";
  for (const char* name :
       {"mttr", "wrongly_acted", "pages", "unrecovered", "made_worse", "passed"}) {
    const std::size_t i = *metric_index(name);
    const MetricSummary s = summarize(cr.metrics[i], kMetrics[i].unit);
    o << "<tr><td>" << name << "</td><td>" << mean_ci_text(kMetrics[i].unit, s) << "</td><td>"
      << s.n << "</td></tr>\n";
  }
  o << "</table>\n";
}

}  // namespace

core::Result<std::array<std::size_t, 2>> parse_trade_off(std::string_view text) {
  const std::size_t comma = text.find(',');
  if (comma == std::string_view::npos || text.find(',', comma + 1) != std::string_view::npos)
    return core::Error(
        "--trade-off: expected two metric names X,Y (e.g. mttr,wrongly_acted), "
        "not \"" +
        std::string(text) + "\"");
  std::array<std::size_t, 2> out{};
  std::vector<std::string_view> names;
  for (const auto& m : kMetrics)
    names.push_back(m.name);
  const std::string_view parts[2] = {text.substr(0, comma), text.substr(comma + 1)};
  for (std::size_t k = 0; k < 2; ++k) {
    const auto i = metric_index(parts[k]);
    if (!i) {
      const std::string near = config::closest(parts[k], names);
      return core::Error("--trade-off: unknown metric \"" + std::string(parts[k]) + "\"" +
                         (near.empty() ? "" : "; did you mean \"" + near + "\"?") +
                         " (the metrics are listed in docs/sweep.md)");
    }
    out[k] = *i;
  }
  if (out[0] == out[1]) return core::Error("--trade-off: give two different metrics");
  return out;
}

long best_combination(const SweepResult& r) {
  const std::vector<bool> front = pareto_front(r, r.trade_off);
  long best = -1;
  for (std::size_t c : plotted(r)) {
    if (!front[c]) continue;
    const auto& m = r.combinations[c].metrics;
    if (best < 0) {
      best = static_cast<long>(c);
      continue;
    }
    const auto& b = r.combinations[static_cast<std::size_t>(best)].metrics;
    const double y = m[r.trade_off[1]].mean(), by = b[r.trade_off[1]].mean();
    if (y < by || (y == by && m[r.trade_off[0]].mean() < b[r.trade_off[0]].mean()))
      best = static_cast<long>(c);
  }
  return best;
}

std::string sweep_html(const SweepResult& r) {
  std::ostringstream o;
  o << reports::html_head("selfheal sweep: " + r.scenario, kExtraCss);
  const std::uint64_t done = r.runs_done();
  o << "<h1>sweep: " << xml_escape(r.scenario) << "</h1>\n<p class=\"muted\">file <code>"
    << xml_escape(r.scenario_file) << "</code> · digest " << r.digest << " · base seed "
    << r.base_seed << " · " << r.combinations.size() << " combination"
    << (r.combinations.size() == 1 ? "" : "s") << " × " << done << " run" << (done == 1 ? "" : "s")
    << (r.twin ? "" : " · no twin") << (r.counterfactuals ? " · counterfactuals" : "");
  if (!r.complete())
    o << " · <span class=\"fail\">partial: shards " << r.shards.size() << " of " << r.shard_count
      << "</span>";
  o << "</p>\n";
  const auto notes = no_effect_notes(r);
  if (!notes.empty() || !r.baseline_warnings.empty()) {
    o << "<ul>\n";
    for (const auto& n : notes)
      o << "<li>note: " << xml_escape(n) << "</li>\n";
    for (const auto& w : r.baseline_warnings)
      o << "<li class=\"fail\">unhealthy baseline (--allow-unhealthy-baseline): " << xml_escape(w)
        << "</li>\n";
    o << "</ul>\n";
  }
  const long best = best_combination(r);
  best_section(o, r, best);
  trade_off_section(o, r, best);
  per_axis_section(o, r);
  o << "<p class=\"muted\">Generated by selfheal from sweep.json (format selfheal-sweep). "
       "Metric definitions: docs/metrics.md; this page: docs/sweep.md.</p>\n</body></html>\n";
  return o.str();
}

}  // namespace selfheal::sweep
