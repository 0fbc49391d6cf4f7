// The alert rules' quiet summary (sim/alert_quiet.hpp says why it is exact).
#include "sim/alert_quiet.hpp"

#include <algorithm>
#include <cmath>

namespace selfheal::sim::model {

using engine::SignalName;

float QuietBounds::float_at_most(double d) {
  constexpr double kMax = std::numeric_limits<float>::max();
  if (d > kMax)
    return d == std::numeric_limits<double>::infinity() ? kInf : static_cast<float>(kMax);
  if (d < -kMax) return -kInf;
  // In range: the nearest float, one step down when it rounded up.
  const auto f = static_cast<float>(d);
  return static_cast<double>(f) > d ? std::nextafter(f, -kInf) : f;
}

std::size_t QuietBounds::slot(SignalName signal) {
  switch (signal) {
    case SignalName::kRequestRate:
      return 0;
    case SignalName::kErrorRate:
      return 1;
    case SignalName::kLatencyP99:
      return 2;
    case SignalName::kCpu:
      return 3;
    case SignalName::kMemory:
      return 4;
    case SignalName::kReadyRatio:
      return 5;
    case SignalName::kQueueLag:
      return 6;
    case SignalName::kDependencyErrors:
      return 7;
    case SignalName::kOomKills:
    case SignalName::kRestarts:
    case SignalName::kQueueLagTrend:
      break;
  }
  return kGauges;  // not a gauge
}

void QuietBounds::add(SignalName signal, double sign, double above) {
  const std::size_t k = slot(signal);
  if (std::isnan(above) || k == kGauges) {
    exact_ = false;
    return;
  }
  if (sign > 0) {
    hi_[k] = std::min(hi_[k], float_at_most(above));  // v > above
  } else {
    lo_[k] = std::max(lo_[k], float_at_least(-above));  // -v > above: v < -above
  }
}

void QuietBounds::add_counter(SignalName signal, double sign, double above, core::Duration span) {
  if (std::isnan(above)) exact_ = false;
  if (sign * 0.0 > above) check_windowed_ = true;  // holds at 0: never quiet by the windows
  if (signal == SignalName::kOomKills) {
    oom_span_ = std::max(oom_span_, span);
  } else if (signal == SignalName::kRestarts) {
    restart_span_ = std::max(restart_span_, span);
  } else {
    check_windowed_ = true;  // a trend: its value is read every tick
  }
}

}  // namespace selfheal::sim::model
