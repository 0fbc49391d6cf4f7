// Alert grouping: when a service's group of alerts is sent (Alertmanager's group_wait,
// group_interval and repeat_interval). Called on alert state changes and once per tick,
// never per service per tick.
#include "sim/alert_groups.hpp"

#include <algorithm>

namespace selfheal::sim {

void AlertGroups::changed(Group& g, core::TimePoint now) {
  if (g.last_flush)
    g.next_flush = std::min(g.next_flush, std::max(now, *g.last_flush + routing_.group_interval));
}

void AlertGroups::firing(std::size_t svc, core::TimePoint now) {
  Group& g = groups_[svc];
  ++g.firing;
  if (!g.active) {
    g.active = true;
    ++open_;
    g.next_flush = now + routing_.group_wait;
  } else {
    changed(g, now);
  }
}

void AlertGroups::resolved(std::size_t svc, core::TimePoint now) {
  Group& g = groups_[svc];
  --g.firing;
  changed(g, now);
}

void AlertGroups::flushed(Group& g, core::TimePoint now) {
  g.last_flush = now;
  if (g.firing > 0) {
    g.next_flush = now + routing_.repeat_interval;
  } else {
    g.active = false;
    --open_;
    g.next_flush = core::TimePoint::max();
  }
}

}  // namespace selfheal::sim
