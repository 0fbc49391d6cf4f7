// WorldOptions::threads: the same seed gives the same world whatever the thread count
// (every timeline event, incident, chart point and out-of-objectives interval, floats bit
// for bit), and a world whose tick threads were started keeps working in a forked child.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>

#include "bench/sim/synthetic_cluster.hpp"
#include "cluster_fixtures.hpp"
#include "sim/world.hpp"

using namespace selfheal;
using namespace selfheal::sim;
using selfheal::sim::testing::dump_timeline;

namespace {

/// The bench's synthetic fleet (faults of every kind, deploys, a campaign) run for `hours`.
std::string run(int services, int hours, std::uint64_t seed, unsigned threads) {
  WorldOptions o;
  o.threads = threads;
  World w{bench::synthetic_cluster(services, 1, seed), seed, o};
  w.run_until(w.start() + std::chrono::hours{hours});
  return dump_timeline(w.timeline());
}

}  // namespace

TEST_CASE("a fleet's run is the same with one, two and three tick threads",
          "[sim][world][threads]") {
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    INFO("seed " << seed);
    const std::string one = run(80, 24, seed, 1);
    // The fleet had faults to defer: events beyond the scenario's own.
    CHECK(one.find("OOMKilled") != std::string::npos);
    // A cache purged between ticks: with several threads its callers read it from the
    // neighbours' view the previous tick published (World::Impl::seen_next).
    if (seed == 1) CHECK(one.find("purged") != std::string::npos);
    CHECK(run(80, 24, seed, 2) == one);
    CHECK(run(80, 24, seed, 3) == one);  // chunks of unequal size
  }
}

TEST_CASE("a world with tick threads runs on, single-threaded, in a forked child",
          "[sim][world][threads]") {
  const std::string expected = run(60, 6, 5, 1);
  WorldOptions o;
  o.threads = 2;
  World w{bench::synthetic_cluster(60, 1, 5), 5, o};
  w.run_until(w.start() + std::chrono::hours{2});  // the helper thread is running
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No Catch2 in the child: the answer is the exit status.
    w.run_until(w.start() + std::chrono::hours{6});
    _exit(dump_timeline(w.timeline()) == expected ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  w.run_until(w.start() + std::chrono::hours{6});  // the parent's helper is still there
  CHECK(dump_timeline(w.timeline()) == expected);
}
