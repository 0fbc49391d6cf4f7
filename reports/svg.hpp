// The pieces every selfheal HTML page and inline SVG chart is built from, so the run report
// (report.html, index.html) and the sweep page (sweep.html) share one stylesheet, one page
// head and one way to draw axes, points, error bars and lines. Deterministic text only:
// coordinates are printed with fixed decimals (reports/format.hpp), never the locale.
//
//   std::ostringstream o;
//   o << html_head("selfheal: db-outage");            // <!DOCTYPE html> ... <body>
//   Plot p{.left = 48, .top = 10, .width = 200, .height = 120};
//   p.x = {0, 2};  p.y = {0, nice_max(7.5)};
//   svg_open(o, 280, 170, "MTTR by threshold");
//   plot_frame(o, p);
//   y_ticks(o, p, 4, [](double v) { return fixed(v, 1); });
//   error_bar(o, p, 1, 2.0, 3.5, "#1f77b4");
//   point(o, p, 1, 2.7, "#1f77b4", "threshold 0.9: 2.7 [2.0, 3.5]");
//   o << "</svg>\n";
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace selfheal::reports {

/// "<!DOCTYPE html>...<title>TITLE</title><style>...</style></head><body>\n": the shared
/// stylesheet plus `extra_css`. `title` is escaped here.
std::string html_head(std::string_view title, std::string_view extra_css = {});

/// `<svg class="chart" xmlns=... width height viewBox role="img" aria-label=...>` and a
/// newline. The caller closes it with "</svg>\n".
void svg_open(std::ostream& o, double width, double height, std::string_view aria_label);

/// A data range mapped onto pixels. `lo == hi` is widened so nothing divides by zero.
struct Range {
  double lo = 0;
  double hi = 1;
};

/// A rectangular plot area in pixels and the data ranges drawn in it (y grows upwards).
struct Plot {
  double left = 0, top = 0, width = 100, height = 100;  ///< pixels
  Range x, y;                                           ///< data units
  double px(double v) const;                            ///< data x -> pixel x (clamped to the plot)
  double py(double v) const;                            ///< data y -> pixel y (clamped to the plot)
};

/// The smallest "nice" number (1, 2, 2.5 or 5 times a power of ten) >= v; 1 for v <= 0.
double nice_max(double v);

/// The light background rectangle of the plot area.
void plot_frame(std::ostream& o, const Plot& p);
/// `count + 1` evenly spaced y grid lines from y.lo to y.hi with labels on the left.
void y_ticks(std::ostream& o, const Plot& p, int count,
             const std::function<std::string(double)>& label);
/// x grid lines and labels at data positions (categorical axes: 0, 1, 2, ...).
void x_ticks(std::ostream& o, const Plot& p,
             const std::vector<std::pair<double, std::string>>& ticks);
/// An axis caption under the plot (x) or rotated along its left edge (y).
void axis_caption(std::ostream& o, const Plot& p, std::string_view x_caption,
                  std::string_view y_caption);
/// A vertical error bar at data x from y `lo` to `hi` (with caps).
void error_bar(std::ostream& o, const Plot& p, double x, double lo, double hi,
               std::string_view colour);
/// A horizontal error bar at data y from x `lo` to `hi` (with caps).
void error_bar_x(std::ostream& o, const Plot& p, double y, double lo, double hi,
                 std::string_view colour);
/// A hoverable point: `<g class="marker ..."><title>hover</title><circle/></g>`.
void point(std::ostream& o, const Plot& p, double x, double y, std::string_view colour,
           std::string_view hover, std::string_view extra_class = {}, double radius = 4);
/// A polyline through data points: `<polyline class="series CLS" ...>`.
void polyline(std::ostream& o, const Plot& p, const std::vector<std::pair<double, double>>& pts,
              std::string_view cls, std::string_view colour, std::string_view extra_attrs = {});

}  // namespace selfheal::reports
