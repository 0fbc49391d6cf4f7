// The cluster model as CI gates and sweeps run it: 200 services for 7 simulated days at
// 15 s scrape ticks, no engine, with a realistic fault load (~30 faults a day of every kind,
// a marketing campaign and a handful of planned deploys every day; faults end after a
// duration or, for bad deploys, when the on-call - paged directly by critical alerts -
// rolls them back). Counters:
//   sim_s/s (simulated seconds per CPU second: the sim-time/real-time ratio), events/s
//   (kernel events dispatched),
//   service_ticks/s (one service updated at one scrape), timeline_events, peak_rss_MB
//   (getrusage ru_maxrss of the whole process).
// Figures and the exact command: bench/README.md.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/sim/synthetic_cluster.hpp"
#include "sim/world.hpp"

namespace {

using namespace selfheal;
using namespace selfheal::sim;
using namespace std::chrono_literals;
using selfheal::bench::synthetic_cluster;

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

void BM_Cluster(benchmark::State& state) {
  const int services = static_cast<int>(state.range(0));
  const int days = static_cast<int>(state.range(1));
  const ClusterSpec spec = synthetic_cluster(services, days, 42);
  std::uint64_t events = 0;
  std::uint64_t ticks = 0;
  std::size_t log = 0;
  for (auto _ : state) {
    World w{spec, 42};
    w.run_until(w.start() + std::chrono::hours{24 * days});
    events += w.simulation().dispatched();
    ticks += w.ticks();
    log = w.timeline().events.size();
    benchmark::DoNotOptimize(w.timeline().incidents.data());
  }
  const double sim_s = 86'400.0 * days * static_cast<double>(state.iterations());
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["service_ticks/s"] =
      benchmark::Counter(static_cast<double>(ticks) * services, benchmark::Counter::kIsRate);
  state.counters["sim_s/s"] = benchmark::Counter(sim_s, benchmark::Counter::kIsRate);
  state.counters["events"] = static_cast<double>(events) / static_cast<double>(state.iterations());
  state.counters["timeline_events"] = static_cast<double>(log);
  state.counters["faults"] = static_cast<double>(spec.faults.size());
  state.counters["peak_rss_MB"] = peak_rss_mb();
}
BENCHMARK(BM_Cluster)->Args({200, 7})->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
