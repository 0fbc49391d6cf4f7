// What World::copy() costs (issue 13: a counterfactual branch copies the world at the
// decision instead of replaying the run from its start), next to what it saves: one scrape
// tick of the same world (the branch window is tens to hundreds of ticks). The library
// scenarios' clusters (22, 3 and 2 services), two hours in (the telemetry ring full at its
// 2 h retention), and the bench's 200-service fleet, six hours in. Run from the repository root
// (the scenarios are read from scenarios/). Figures: bench/README.md "World copy".
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/sim/synthetic_cluster.hpp"
#include "scenario/scenario.hpp"
#include "sim/world.hpp"

namespace {

using namespace selfheal;
using namespace selfheal::sim;
using namespace std::chrono_literals;

const std::vector<std::string> kScenarios = {"scenarios/mixed-day.yaml",
                                             "scenarios/db-outage-naive.yaml",
                                             "scenarios/orders-transitive.yaml"};

/// World `which`: -1 the 200-service fleet at +6 h (-2: without chart series, as a branch
/// world runs), else library scenario `which` at +2 h.
std::unique_ptr<World> world_at(int which) {
  std::unique_ptr<World> w;
  if (which < 0) {
    WorldOptions o;
    o.record_series = which == -1;
    w = std::make_unique<World>(bench::synthetic_cluster(200, 1, 42), 42, o);
    w->run_until(w->start() + 6h);
    return w;
  }
  auto l = scenario::load_scenario_file(kScenarios[static_cast<std::size_t>(which)]);
  if (!l.scenario) return nullptr;
  w = std::make_unique<World>(l.scenario->cluster, l.scenario->seed);
  w->run_until(w->start() + 2h);
  return w;
}

void label(benchmark::State& state, int which, const World& w) {
  state.SetLabel((which < 0 ? std::string(which == -1 ? "fleet" : "fleet, no chart series")
                            : kScenarios[static_cast<std::size_t>(which)]) +
                 " (" + std::to_string(w.spec().services.size()) + " services)");
}

void BM_WorldCopy(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  auto w = world_at(which);
  if (!w) return state.SkipWithError("scenario not found: run from the repository root");
  for (auto _ : state) {
    std::unique_ptr<World> c = w->copy();
    benchmark::DoNotOptimize(c.get());
  }
  label(state, which, *w);
}

void BM_WorldCopyForBranch(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  auto w = world_at(which);
  if (!w) return state.SkipWithError("scenario not found: run from the repository root");
  for (auto _ : state) {
    std::unique_ptr<World> c = w->copy(CopyOptions{.chart_series = false});
    benchmark::DoNotOptimize(c.get());
  }
  label(state, which, *w);
}

void BM_WorldTick(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  auto w = world_at(which);
  if (!w) return state.SkipWithError("scenario not found: run from the repository root");
  const Duration tick = w->spec().scrape_interval;
  for (auto _ : state)
    w->run_for(tick);
  label(state, which, *w);
}

}  // namespace

BENCHMARK(BM_WorldCopy)->Arg(0)->Arg(1)->Arg(2)->Arg(-1)->Arg(-2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WorldCopyForBranch)->Arg(0)->Arg(-1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WorldTick)->Arg(0)->Arg(1)->Arg(2)->Arg(-1)->Arg(-2)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
