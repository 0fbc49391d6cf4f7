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
#include "sim/world.hpp"

using namespace selfheal;
using namespace selfheal::sim;

namespace {

/// Everything a run produced, one line per record (floats as their bits).
std::string dump(const Timeline& t) {
  std::ostringstream o;
  for (const auto& e : t.events) {
    o << core::to_unix_ms(e.time) << ' ' << static_cast<int>(e.kind) << ' ' << e.service << ' '
      << e.incident << ' ' << e.fingerprint << ' ' << e.action_id << ' ' << e.name << ' '
      << e.detail << ' ' << (e.success ? (*e.success ? 1 : 0) : -1) << ' ' << e.automated << '\n';
  }
  for (const auto& r : t.incidents) {
    o << r.truth.id << ' ' << core::to_unix_ms(r.start) << ' '
      << (r.impact ? core::to_unix_ms(*r.impact) : -1) << ' '
      << (r.recovered ? core::to_unix_ms(*r.recovered) : -1) << ' ' << r.impacted.size() << '\n';
  }
  for (const auto& s : t.services) {
    o << s.service << ' ' << s.step.count() << ' ' << s.points.size() << '\n';
    for (const auto& p : s.points) {
      o << core::to_unix_ms(p.time);
      for (float f : {p.request_rate, p.error_rate, p.latency_p99_ms, p.cpu, p.memory, p.ready,
                      p.desired, p.queue_lag, p.dependency_errors}) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &f, sizeof bits);
        o << ' ' << bits;
      }
      o << ' ' << p.oom_kills << ' ' << p.restarts << ' ' << p.within_objectives << '\n';
    }
    for (const auto& iv : s.outside_objectives)
      o << core::to_unix_ms(iv.begin) << '-' << core::to_unix_ms(iv.end) << '\n';
  }
  return o.str();
}

/// The bench's synthetic fleet (faults of every kind, deploys, a campaign) run for `hours`.
std::string run(int services, int hours, std::uint64_t seed, unsigned threads) {
  WorldOptions o;
  o.threads = threads;
  World w{bench::synthetic_cluster(services, 1, seed), seed, o};
  w.run_until(w.start() + std::chrono::hours{hours});
  return dump(w.timeline());
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
    _exit(dump(w.timeline()) == expected ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  w.run_until(w.start() + std::chrono::hours{6});  // the parent's helper is still there
  CHECK(dump(w.timeline()) == expected);
}
