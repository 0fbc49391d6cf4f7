// WorldSeriesSource keeps copies of the world's samples to hand out views (the cost of
// Prometheus rule files, bench/README.md): whatever windows are asked, in whatever order,
// it must answer exactly as World::prom_samples reads the rings, with each series' stable id
// (the catalogue renumbered metric by metric) and the position of its last drop (SeriesView)
// as a scan finds it, whether it hands a series out as a strided grid of its rows or as a
// span of its own copy.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "scenario/prom_telemetry.hpp"
#include "scenario/scenario.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace world_series_source_test {

using namespace selfheal;
using namespace selfheal::scenario;
using namespace std::chrono_literals;

namespace {

const char* kScenario = R"(scenario: source
duration: 2h
start: 2026-01-05T10:00:00Z
cluster:
  namespace: shop
  services:
    cart-api: {replicas: 3, traffic: {rps: 120}}
    checkout: {replicas: 2, traffic: {rps: 40}}
policies:
  remediation_policies:
    - {incident_type: memory-leak, action: restart}
faults:
  - {at: 20m, kind: memory-leak, target: checkout, severity: 0.9}
  - {at: 30m, kind: bad-deploy, target: cart-api, severity: 0.3}
)";

bool same(const sim::PromPoint& a, const promql::Sample& b) {
  return a.t == b.t && std::memcmp(&a.v, &b.v, sizeof a.v) == 0;  // bit for bit, NaN too
}

}  // namespace

TEST_CASE("WorldSeriesSource answers every window as the world's rings do", "[scenario][promql]") {
  auto load = load_scenario_string(kScenario, "s.yaml", ".");
  INFO(load.diagnostics.describe());
  REQUIRE(load.scenario);
  sim::WorldOptions o;
  o.prometheus_series = true;
  o.telemetry_retention = 20min;  // windows below reach past what the rings keep
  sim::World world{load.scenario->cluster, load.scenario->seed, o};
  WorldSeriesSource source{world};
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < source.labels().size(); ++i)
    index[promql::format_labels(source.labels()[i])] = i;
  // Ids: a permutation of the catalogue's indices, consecutive within a metric.
  std::vector<bool> taken(source.labels().size(), false);
  std::map<sim::PromMetric, std::size_t> previous;
  for (std::size_t i = 0; i < taken.size(); ++i) {
    const std::size_t id = source.id(i);
    REQUIRE(id < taken.size());
    REQUIRE_FALSE(taken[id]);
    taken[id] = true;
    const auto [it, first] = previous.try_emplace(world.prom_series()[i].metric, id);
    if (!first) REQUIRE(id == it->second + 1);
    it->second = id;
  }
  const std::vector<promql::Matcher> all{{"__name__", promql::Matcher::Op::kRe, ".+"}};
  // Growing, shrinking, past the retention, with an offset, ending between ticks.
  const std::vector<std::pair<core::Duration, core::Duration>> windows{
      {5min, 0min},  {1min, 0min}, {30min, 0min}, {2min, 3min},
      {15min, 0min}, {1h, 0min},   {0min, 7s}};
  std::size_t compared = 0, tracked = 0, dropped = 0, grids = 0, spans = 0, memory_grids = 0;
  std::vector<promql::Sample> copy;
  for (int step = 0; step < 70; ++step) {
    world.run_until(world.start() + step * 97s);
    for (const auto& window : windows) {  // not a structured binding: clang 14 cannot
      const auto range = window.first;    // capture one in the lambda below
      const auto offset = window.second;
      if (range > 10min && step < 40) continue;  // longer windows first asked late in the run
      const core::TimePoint end = world.now() - offset, start = end - range;
      std::vector<bool> seen(source.labels().size(), false);
      source.select_series(all, start, end, [&](const promql::SeriesView& v) {
        const promql::Labels& l = v.labels;
        copy.assign(v.samples.begin(), v.samples.end());
        REQUIRE((v.grid.empty() || v.samples.empty()));
        for (const promql::Sample x : v.grid)
          copy.push_back(x);
        ++(v.grid.empty() ? spans : grids);
        const auto name = promql::label_value(l, "__name__");
        if (!v.grid.empty() && (name == "container_memory_working_set_bytes" ||
                                name == "kube_pod_container_resource_limits"))
          ++memory_grids;
        const std::span<const promql::Sample> s = copy;
        const std::size_t i = index.at(promql::format_labels(l));
        REQUIRE(v.id == source.id(i));
        // The last sample below its predecessor, as a scan of the span finds it.
        std::size_t drop = 0;
        for (std::size_t j = 1; j < s.size(); ++j)
          if (s[j].v < s[j - 1].v) drop = j;
        if (v.last_drop != promql::SeriesView::kUnknown) {
          REQUIRE(v.last_drop == drop);
          ++tracked;
          if (drop > 0) ++dropped;
        }
        seen[i] = true;
        std::vector<sim::PromPoint> want;
        world.prom_samples(i, start, end, want);
        INFO(promql::format_labels(l) << " at step " << step << " range " << range.count());
        REQUIRE(want.size() == s.size());
        for (std::size_t j = 0; j < s.size(); ++j)
          REQUIRE(same(want[j], s[j]));
        compared += s.size();
      });
      for (std::size_t i = 0; i < seen.size(); ++i) {
        if (seen[i]) continue;
        std::vector<sim::PromPoint> want;
        world.prom_samples(i, start, end, want);
        INFO(promql::format_labels(source.labels()[i]) << " at step " << step);
        REQUIRE(want.empty());
      }
    }
  }
  CHECK(compared > 100000);
  CHECK(tracked > 10000);
  CHECK(dropped > 100);        // gauges going down (replicas available)
  CHECK(grids > 10000);        // the metrics kept in rows
  CHECK(memory_grids > 1000);  // the memory series too (read again when a limit changes)
  CHECK(spans > 100);          // the last-terminated reason
}

}  // namespace world_series_source_test
