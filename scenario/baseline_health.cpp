#include "scenario/baseline_health.hpp"

#include <cstdio>
#include <sstream>

#include "core/duration.hpp"

namespace selfheal::scenario {

namespace {

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string unhealthy_baseline_error(const Scenario& s) {
  const sim::BaselineHealth h = sim::check_baseline(s.cluster, s.duration);
  if (h.healthy()) return {};
  std::ostringstream o;
  o << "scenario " << s.name
    << ": unhealthy baseline: the modelled world misses its objectives before its first fault, so "
       "every verdict "
       "would be meaningless (pass --"
    << kAllowUnhealthyBaselineFlag << " to run anyway):\n";
  for (std::size_t i = 0; i < h.problems.size(); ++i)
    o << "  " << h.problems[i] << (i + 1 < h.problems.size() ? "\n" : "");
  return o.str();
}

std::string baseline_load_table(const sim::BaselineHealth& h) {
  std::ostringstream o;
  o << "baseline (no faults, no noise) from the start to "
    << (h.before_fault ? "the first fault/event at +" : "the end of the run at +")
    << core::format_duration(h.window) << "; daily-shape peak at +"
    << core::format_duration(h.peak_offset) << "\n";
  o << "  service                    offered@start  offered@peak  capacity              headroom\n";
  for (const auto& l : h.services) {
    char line[256];
    const std::string cap = fixed(l.capacity_rps, 0) + " (" + std::to_string(l.scheduled) + " x " +
                            fixed(l.per_replica_rps, 0) + ")";
    std::snprintf(line, sizeof line, "  %-26s %13s  %12s  %-20s  %7s%%\n", l.service.c_str(),
                  fixed(l.offered_start_rps, 1).c_str(), fixed(l.offered_peak_rps, 1).c_str(),
                  cap.c_str(), fixed(l.headroom() * 100.0, 0).c_str());
    o << line;
  }
  const std::size_t n = h.problems.size();
  if (n == 0)
    o << "baseline healthy\n";
  else
    o << "baseline UNHEALTHY: " << n << (n == 1 ? " problem" : " problems") << "\n";
  return o.str();
}

}  // namespace selfheal::scenario
