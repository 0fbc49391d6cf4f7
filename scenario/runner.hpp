// Runs a scenario: builds the simulated world from the scenario's ClusterSpec, wires the
// real engine::Engine to it through the ports, runs for the scenario's duration, and — unless
// disabled — runs the COUNTERFACTUAL TWIN: the same scenario and seed with the engine in
// shadow mode (it decides and audits but never acts, never pages), where a person is paged
// by Alertmanager directly on critical alerts (OnCallSpec::direct_page_after, 0s unless the
// scenario sets it) — the world as it would be without the automation. The metrics compare
// the two (made-worse incidents, error budget saved). With `counterfactuals` it also plays
// the branches of every decision (scenario/counterfactuals.hpp) and the verdicts of the
// actions it measured come from them instead of the declared table.
//
// Injected classifications (a fault's `classification:`) are attached to every notification
// on the named service while that fault's incident is active, as an AI service would.
//
//   auto s = load_scenario_file("scenarios/db-outage-naive.yaml");
//   RunResult r = run_scenario(*s.scenario, RunOptions{});
//   r.metrics.remediation_loops;
//
// Deterministic: the same scenario, seed and build give byte-identical reports. Thread-safe
// for different scenarios (or the same one) on different threads: nothing is shared.
#pragma once

#include <cstdint>
#include <optional>

#include "scenario/counterfactuals.hpp"
#include "scenario/run_result.hpp"
#include "scenario/scenario.hpp"

namespace selfheal::scenario {

struct RunOptions {
  std::optional<std::uint64_t> seed;  ///< overrides the scenario's seed
  bool twin = true;                   ///< run the shadow-mode counterfactual twin
  std::optional<engine::Mode> mode;   ///< overrides the engine mode of the main run
  /// Apply the scenario's `variation:` block drawn from the run's seed (scenario/variation.hpp):
  /// what a sweep does for each run, and `selfheal run --seed` to reproduce one.
  bool vary = false;
  /// Build the chart series and markers (RunResult::charts/markers). Sweeps aggregate
  /// metrics only and switch this off.
  bool detail = true;
  MetricsOptions metrics;
  /// Play the counterfactual branches of every decision where acting was possible and
  /// measure the verdicts (scenario/counterfactuals.hpp). On by default, as in the CLI's
  /// run and check; off with --no-counterfactuals; sweeps only with --counterfactuals.
  bool counterfactuals = true;
  CounterfactualOptions counterfactual;
};

RunResult run_scenario(const Scenario& s, const RunOptions& options = {});

/// The counterfactual twin alone: `s` (already varied, if it should be) with the engine in
/// shadow mode and the on-call paged directly by alerts, run for the scenario's duration.
/// Its audit holds the engine's would-act (shadow) decisions; its timeline the on-call's
/// actions (kActionStarted, automated = false): `selfheal promote --scenario` compares them.
sim::Timeline run_shadow_twin(const Scenario& s, std::uint64_t seed);

}  // namespace selfheal::scenario
