#include "reports/svg.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "reports/format.hpp"

namespace selfheal::reports {
namespace {

// The one stylesheet of every page (the run report, the index, the sweep page).
constexpr std::string_view kStyle =
    R"(body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:18px 0 6px}table{border-collapse:collapse;margin:6px 0 12px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}.muted{color:#666}
code{background:#f4f4f4;padding:0 3px;border-radius:3px}
svg.chart{display:block;border:1px solid #e4e4e4;background:#fff;margin:4px 0 16px}
.marker{cursor:help}.marker:hover>*{stroke:#000;stroke-width:2}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:12px;height:12px;vertical-align:-1px;margin-right:4px}
)";

constexpr double kCap = 3;  // half-width of an error bar's cap, pixels

}  // namespace

std::string html_head(std::string_view title, std::string_view extra_css) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>";
  h += xml_escape(title);
  h += "</title>\n<style>";
  h += kStyle;
  h += extra_css;
  h += "</style></head><body>\n";
  return h;
}

void svg_open(std::ostream& o, double width, double height, std::string_view aria_label) {
  o << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << fixed(width, 0)
    << "\" height=\"" << fixed(height, 0) << "\" viewBox=\"0 0 " << fixed(width, 0) << " "
    << fixed(height, 0) << "\" role=\"img\" aria-label=\"" << xml_escape(aria_label) << "\">\n";
}

double Plot::px(double v) const {
  const double span = x.hi > x.lo ? x.hi - x.lo : 1.0;
  return std::clamp(left + width * (v - x.lo) / span, left, left + width);
}

double Plot::py(double v) const {
  const double span = y.hi > y.lo ? y.hi - y.lo : 1.0;
  return std::clamp(top + height * (1.0 - (v - y.lo) / span), top, top + height);
}

double nice_max(double v) {
  if (!(v > 0)) return 1.0;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : std::array<double, 5>{1, 2, 2.5, 5, 10})
    if (m * p >= v * (1 - 1e-12)) return m * p;
  return 10 * p;
}

void plot_frame(std::ostream& o, const Plot& p) {
  o << "<rect x=\"" << fixed(p.left, 0) << "\" y=\"" << fixed(p.top, 0) << "\" width=\""
    << fixed(p.width, 0) << "\" height=\"" << fixed(p.height, 0)
    << "\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n";
}

void y_ticks(std::ostream& o, const Plot& p, int count,
             const std::function<std::string(double)>& label) {
  for (int k = 0; k <= count; ++k) {
    const double v = p.y.lo + (p.y.hi - p.y.lo) * k / count;
    const double y = p.py(v);
    o << "<line x1=\"" << fixed(p.left, 1) << "\" x2=\"" << fixed(p.left + p.width, 1) << "\" y1=\""
      << fixed(y, 1) << "\" y2=\"" << fixed(y, 1) << "\" stroke=\"#eee\"/><text x=\""
      << fixed(p.left - 4, 1) << "\" y=\"" << fixed(y + 4, 1)
      << "\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">" << xml_escape(label(v))
      << "</text>\n";
  }
}

void x_ticks(std::ostream& o, const Plot& p,
             const std::vector<std::pair<double, std::string>>& ticks) {
  // The numbers' formatting is the run report's (its timeline goes through here unchanged).
  for (const auto& [v, text] : ticks) {
    const double x = p.px(v);
    o << "<line x1=\"" << fixed(x, 1) << "\" y1=\"" << p.top << "\" x2=\"" << fixed(x, 1)
      << "\" y2=\"" << p.top + p.height << "\" stroke=\"#eee\"/><text x=\"" << fixed(x, 1)
      << "\" y=\"" << p.top + p.height + 14 << "\" font-size=\"11\" text-anchor=\"middle\" "
      << "fill=\"#555\">" << xml_escape(text) << "</text>\n";
  }
}

void axis_caption(std::ostream& o, const Plot& p, std::string_view x_caption,
                  std::string_view y_caption) {
  if (!x_caption.empty())
    o << "<text x=\"" << fixed(p.left + p.width / 2, 1) << "\" y=\""
      << fixed(p.top + p.height + 30, 1)
      << "\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">" << xml_escape(x_caption)
      << "</text>\n";
  if (!y_caption.empty()) {
    const double x = 12, y = p.top + p.height / 2;
    o << "<text x=\"" << fixed(x, 1) << "\" y=\"" << fixed(y, 1) << "\" transform=\"rotate(-90 "
      << fixed(x, 1) << " " << fixed(y, 1)
      << ")\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">" << xml_escape(y_caption)
      << "</text>\n";
  }
}

void error_bar(std::ostream& o, const Plot& p, double x, double lo, double hi,
               std::string_view colour) {
  const double cx = p.px(x), y0 = p.py(lo), y1 = p.py(hi);
  o << "<path class=\"ci\" d=\"M" << fixed(cx, 1) << ' ' << fixed(y0, 1) << " V" << fixed(y1, 1)
    << " M" << fixed(cx - kCap, 1) << ' ' << fixed(y0, 1) << " H" << fixed(cx + kCap, 1) << " M"
    << fixed(cx - kCap, 1) << ' ' << fixed(y1, 1) << " H" << fixed(cx + kCap, 1) << "\" stroke=\""
    << colour << "\" fill=\"none\" stroke-width=\"1.2\"/>\n";
}

void error_bar_x(std::ostream& o, const Plot& p, double y, double lo, double hi,
                 std::string_view colour) {
  const double cy = p.py(y), x0 = p.px(lo), x1 = p.px(hi);
  o << "<path class=\"ci\" d=\"M" << fixed(x0, 1) << ' ' << fixed(cy, 1) << " H" << fixed(x1, 1)
    << " M" << fixed(x0, 1) << ' ' << fixed(cy - kCap, 1) << " V" << fixed(cy + kCap, 1) << " M"
    << fixed(x1, 1) << ' ' << fixed(cy - kCap, 1) << " V" << fixed(cy + kCap, 1) << "\" stroke=\""
    << colour << "\" fill=\"none\" stroke-width=\"1.2\"/>\n";
}

void point(std::ostream& o, const Plot& p, double x, double y, std::string_view colour,
           std::string_view hover, std::string_view extra_class, double radius) {
  o << "<g class=\"marker";
  if (!extra_class.empty()) o << ' ' << extra_class;
  o << "\"><title>" << xml_escape(hover) << "</title><circle cx=\"" << fixed(p.px(x), 1)
    << "\" cy=\"" << fixed(p.py(y), 1) << "\" r=\"" << fixed(radius, 1) << "\" fill=\"" << colour
    << "\"/></g>\n";
}

void polyline(std::ostream& o, const Plot& p, const std::vector<std::pair<double, double>>& pts,
              std::string_view cls, std::string_view colour, std::string_view extra_attrs) {
  o << "<polyline class=\"series " << cls << "\" fill=\"none\" stroke=\"" << colour
    << "\" stroke-width=\"1.6\"" << extra_attrs << " points=\"";
  for (std::size_t i = 0; i < pts.size(); ++i) {
    if (i) o << ' ';
    o << fixed(p.px(pts[i].first), 1) << ',' << fixed(p.py(pts[i].second), 1);
  }
  o << "\"/>\n";
}

}  // namespace selfheal::reports
