// Backtest throughput: a month of a fleet's alerts through backtest::run, one core.
// One iteration = one whole replay; items_per_second = notifications replayed per second
// (the firings, their 30-minute re-deliveries and their resolutions).
//
// The fleet: kTargets services over kNamespaces namespaces, each firing kFiringsPerTarget
// times over 30 days, each firing 2 h long. Half the alerts carry an incident_type the
// policy acts on (restart, then cooldown, verification, conditional pages); the other half
// have none and go through the built-in classifier (low confidence: a page).
#include <benchmark/benchmark.h>

#include <string>

#include "backtest/backtest.hpp"
#include "engine/policy_loader.hpp"

namespace {

using namespace std::chrono_literals;
namespace h = selfheal::history;

constexpr int kNamespaces = 10;
constexpr auto kMonth = std::chrono::hours{24 * 30};
constexpr auto kFiringLength = 2h;
constexpr auto kRepeat = 30min;

h::History fleet(int targets, int firings_per_target) {
  h::History x;
  x.sources = {"bench"};
  const auto start = selfheal::core::from_unix_ms(1'795'000'000'000);
  for (int t = 0; t < targets; ++t) {
    h::Alert a;
    a.service = "svc-" + std::to_string(t);
    a.ns = "ns-" + std::to_string(t % kNamespaces);
    a.alertname = t % 2 == 0 ? "OOMKilled" : "HighErrorRate";
    a.fingerprint = "fp" + std::to_string(1'000'000 + t);
    a.labels = {{"alertname", a.alertname}, {"service", a.service}, {"namespace", a.ns}};
    if (t % 2 == 0) a.annotations = {{"incident_type", "memory-leak"}, {"confidence", "0.95"}};
    const auto gap = kMonth / firings_per_target;
    for (int f = 0; f < firings_per_target; ++f) {
      const auto s = start + f * gap + std::chrono::minutes{t % 97};
      a.firings.push_back({s, s + kFiringLength});
    }
    x.alerts.push_back(std::move(a));
  }
  h::normalise(x);
  return x;
}

void BM_Backtest(benchmark::State& state) {
  const auto hist = fleet(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  auto load = selfheal::engine::load_policy_string(R"(
engine: {mode: auto, limits: {max_actions_per_window: 0, blast_radius: 1}}
remediation_policies:
  - {incident_type: memory-leak, action: restart, auto_execute: true, cooldown: 10m,
     max_attempts: 2, verification_window: 5m, escalation_channel: pagerduty-p1}
)",
                                                   "bench.yaml");
  if (!load.policies) {
    state.SkipWithError(load.diagnostics.describe().c_str());
    return;
  }
  selfheal::backtest::Options opts;
  opts.repeat_interval = kRepeat;
  std::size_t notifications = 0;
  for (auto _ : state) {
    auto r = selfheal::backtest::run(hist, *load.policies, opts);
    notifications += r.totals.notifications;
    benchmark::DoNotOptimize(r.totals.actions);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(notifications));
  state.counters["notifications"] =
      static_cast<double>(notifications) / static_cast<double>(state.iterations());
}
// 1,000 targets x 30 firings (about 150,000 notifications) and 10,000 x 4.
BENCHMARK(BM_Backtest)->Args({1000, 30})->Args({10000, 4})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
