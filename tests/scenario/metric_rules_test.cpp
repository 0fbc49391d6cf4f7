// The metric rules on hand-checked inputs (docs/metrics.md).
#include <catch2/catch.hpp>

#include "scenario/metric_rules.hpp"

using namespace selfheal::scenario;
using namespace std::chrono_literals;

namespace {
Duration m(long long minutes) {
  return Duration{minutes * 60000};
}
}  // namespace

TEST_CASE("percentile uses nearest rank", "[metrics]") {
  std::vector<Duration> v{m(10), m(2), m(4), m(8), m(6)};
  CHECK(percentile(v, 50) == m(6));
  CHECK(percentile(v, 90) == m(10));
  CHECK(percentile({m(3)}, 90) == m(3));
  CHECK(percentile({m(1), m(2)}, 50) == m(1));
}

TEST_CASE("twelve restarts in 45 minutes without a verified recovery is one loop",
          "[metrics][loops]") {
  std::vector<TargetAction> acts;
  for (int i = 0; i < 12; ++i)
    acts.push_back({m(10 + i * 4), false, {}});
  const auto loops = find_loops("payment-api", acts, 1h, 3);
  REQUIRE(loops.size() == 1);
  CHECK(loops[0].actions == 12);
  CHECK(loops[0].first == m(10));
  CHECK(loops[0].last == m(54));
  CHECK(max_in_window({m(10), m(14), m(18), m(22), m(70), m(71)}, 1h) == 5);
  CHECK(max_in_window({m(0), m(60), m(120)}, 1h) == 1);
}

TEST_CASE("a verified recovery between actions breaks the loop", "[metrics][loops]") {
  // Two actions, the second verified; then two more: no episode has three.
  std::vector<TargetAction> acts{
      {m(0), false, {}}, {m(10), true, m(15)}, {m(20), false, {}}, {m(30), false, {}}};
  CHECK(find_loops("svc", acts, 1h, 3).empty());
  // Three spread over more than an hour are not a loop either.
  CHECK(find_loops("svc", {{m(0), false, {}}, {m(40), false, {}}, {m(80), false, {}}}, 1h, 3)
            .empty());
  // Two attempts (the fixed policy) are not a loop.
  CHECK(find_loops("svc", {{m(0), false, {}}, {m(15), false, {}}}, 1h, 3).empty());
}
