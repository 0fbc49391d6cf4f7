// Sweep throughput in runs/s (each run = the scenario plus its shadow twin) for the fixed
// DB-outage scenario with 1 and 2 worker threads. Wall time, since the work is parallel.
//
//   build/release/bench/sweep/bench_sweep
#include <benchmark/benchmark.h>

#include <string>

#include "sweep/sweep.hpp"

namespace {

void BM_SweepDbOutageFixed(benchmark::State& state) {
  selfheal::sweep::SweepSpec spec;
  spec.scenario_path = std::string(SELFHEAL_SOURCE_DIR) + "/scenarios/db-outage-fixed.yaml";
  spec.runs = 400;
  auto p = selfheal::sweep::prepare(spec);
  if (!p.prepared) {
    state.SkipWithError(p.diagnostics.describe().c_str());
    return;
  }
  selfheal::sweep::ExecuteOptions o;
  o.jobs = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    auto r = selfheal::sweep::execute(*p.prepared, o);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(spec.runs));
  state.SetLabel("runs/s = items_per_second");
}
BENCHMARK(BM_SweepDbOutageFixed)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
