// Alert grouping alone: when a service's group is sent (group_wait, group_interval,
// repeat_interval) and when it closes, driven by firing and resolved calls at chosen times.
#include "sim/alert_groups.hpp"

#include <catch2/catch.hpp>
#include <vector>

// Own namespace: the ci presets compile this file together with others (unity build).
namespace alert_groups_test {

using namespace selfheal;
using namespace selfheal::sim;
using namespace std::chrono_literals;

namespace {

const TimePoint kT0 = ClusterSpec{}.start;

RoutingSpec routing() {
  RoutingSpec r;
  r.group_wait = 30s;
  r.group_interval = 1min;
  r.repeat_interval = 4min;
  return r;
}

/// The services flushed at `now`.
std::vector<std::size_t> flush(AlertGroups& g, TimePoint now) {
  std::vector<std::size_t> sent;
  g.flush(now, [&](std::size_t svc) { sent.push_back(svc); });
  return sent;
}

}  // namespace

TEST_CASE("a group is sent group_wait after its first alert, then every repeat_interval",
          "[sim][alert_groups]") {
  AlertGroups g{routing(), 3};
  CHECK(flush(g, kT0).empty());
  g.firing(1, kT0);
  g.firing(1, kT0 + 10s);  // joins the open group: no earlier send
  CHECK(g.open(1));
  CHECK_FALSE(g.open(0));
  CHECK(flush(g, kT0 + 29s).empty());
  CHECK(flush(g, kT0 + 30s) == std::vector<std::size_t>{1});
  CHECK(flush(g, kT0 + 4min + 29s).empty());
  CHECK(flush(g, kT0 + 4min + 30s) == std::vector<std::size_t>{1});
}

TEST_CASE(
    "a change is sent group_interval after the last flush, a flush with nothing firing closes",
    "[sim][alert_groups]") {
  AlertGroups g{routing(), 2};
  g.firing(0, kT0);
  CHECK(flush(g, kT0 + 30s) == std::vector<std::size_t>{0});
  g.resolved(0, kT0 + 40s);  // the resolution goes out at last flush + group_interval
  CHECK(g.next_flush(0) == kT0 + 1min + 30s);
  CHECK(flush(g, kT0 + 1min + 29s).empty());
  CHECK(flush(g, kT0 + 1min + 30s) == std::vector<std::size_t>{0});
  CHECK_FALSE(g.open(0));  // nothing fires any more
  CHECK(g.next_flush(0) == TimePoint::max());
  g.firing(0, kT0 + 10min);  // opens again: group_wait again
  CHECK(g.next_flush(0) == kT0 + 10min + 30s);
}

TEST_CASE("groups are flushed in service order, each on its own clock", "[sim][alert_groups]") {
  AlertGroups g{routing(), 3};
  g.firing(2, kT0);
  g.firing(0, kT0 + 5s);
  CHECK(flush(g, kT0 + 30s) == std::vector<std::size_t>{2});
  CHECK(flush(g, kT0 + 35s) == std::vector<std::size_t>{0});
  g.firing(2, kT0 + 2min);  // a change long after the last flush: sent at once
  CHECK(flush(g, kT0 + 2min) == std::vector<std::size_t>{2});
}

}  // namespace alert_groups_test
