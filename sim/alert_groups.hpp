// Alert grouping, a part of the simulated world that owns its own state: Alertmanager's
// notification timing with one group per service (group_by namespace, service). A group
// opens when its first alert fires and is flushed (its firing and newly resolved alerts
// sent together) after `group_wait`; a change in an open group is sent at the earliest
// `group_interval` after the last flush; while alerts keep firing the group is re-sent every
// `repeat_interval`; it closes at the flush that finds nothing firing. What a flush sends
// is the alerting part's business (the callback); the groups only decide when.
//
//   AlertGroups groups{spec.routing, services};
//   groups.firing(svc, now);                       // an alert of svc started firing
//   groups.flush(now, [&](std::size_t svc) { ... send svc's alerts ... });  // every tick
//
// Not thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "core/time.hpp"
#include "sim/cluster_spec.hpp"

namespace selfheal::sim {

class AlertGroups {
 public:
  AlertGroups(const RoutingSpec& routing, std::size_t services)
      : routing_(routing), groups_(services) {}

  /// An alert of service `svc` started firing at `now`.
  void firing(std::size_t svc, core::TimePoint now);
  /// An alert of service `svc` stopped firing at `now` (sent as resolved at the next flush).
  void resolved(std::size_t svc, core::TimePoint now);
  /// Whether service svc's group is open (some alert firing, or a resolution not yet sent).
  bool open(std::size_t svc) const { return groups_[svc].active; }
  /// When svc's group is flushed next (TimePoint::max() when closed).
  core::TimePoint next_flush(std::size_t svc) const { return groups_[svc].next_flush; }

  /// Calls `send(svc)` for every open group due at `now`, in service order, then sets its
  /// next flush (repeat_interval while alerts fire) or closes it. Nothing when no group is
  /// open (most ticks).
  template <class Send>
  void flush(core::TimePoint now, Send&& send) {
    if (open_ == 0) return;
    for (std::size_t svc = 0; svc < groups_.size(); ++svc) {
      Group& g = groups_[svc];
      if (!g.active || g.next_flush > now) continue;
      send(svc);
      flushed(g, now);
    }
  }

 private:
  struct Group {
    bool active = false;
    core::TimePoint next_flush = core::TimePoint::max();
    std::optional<core::TimePoint> last_flush;
    int firing = 0;  // alerts firing now
  };
  /// A change in an open group that was flushed before: sent group_interval after that.
  void changed(Group& g, core::TimePoint now);
  void flushed(Group& g, core::TimePoint now);

  RoutingSpec routing_;
  std::vector<Group> groups_;  // [service]
  std::size_t open_ = 0;       // groups with Group::active set
};

}  // namespace selfheal::sim
