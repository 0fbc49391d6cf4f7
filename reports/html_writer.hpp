// report.html: one self-contained page (no network, no scripts, no external assets) a
// person opens in a browser: a summary table, the expectations, the incidents, and per
// affected service a timeline chart drawn as inline SVG — error rate (red) and ready /
// desired replicas (blue / grey) over time, the error objective, fault and planned-event
// spans, and a marker for every alert, decision, action, verification, page and approval
// request. Hovering a marker shows what happened (SVG <title>, no JavaScript needed).
// index.html: one table over many runs linking each run's page. Both deterministic.
#pragma once

#include <string>
#include <vector>

#include "scenario/run_result.hpp"

namespace selfheal::reports {

std::string report_html(const scenario::RunResult& r);
/// Inline SVG timeline chart for one service (exposed for tests).
std::string chart_svg(const scenario::ServiceChart& chart,
                      const std::vector<scenario::Marker>& markers, core::Duration run_length);
/// A link index.html lists above its table (`selfheal check --link TEXT=HREF`, e.g. a
/// sweep's sweep.html written next to the reports). `href` is used as given.
struct IndexLink {
  std::string text;
  std::string href;
};
std::string index_html(const std::vector<scenario::RunResult>& runs,
                       const std::vector<std::string>& report_dirs,
                       const std::vector<IndexLink>& links = {});

}  // namespace selfheal::reports
