// `signals: {serve_config: FILE}` in a scenario: the engine's Telemetry signals (error
// rate, p99, restarts, memory, ...) come from the PromQL templates a `selfheal serve` config
// defines (`prometheus.queries`, over live's defaults: engine/signal_queries.hpp), evaluated
// over the simulated series at the simulation's clock, instead of from the model's own
// values. The same file deploys `selfheal serve` (docs/live.md#configuration), so a team's
// signal definitions are exercised in simulation (docs/scenario.md#signals).
//
//   signals: {serve_config: serve/shop.yaml}    # relative to the scenario file
//
// Only the serve config's `prometheus.queries` is read, by the reader `selfheal serve` uses
// (engine::read_signal_queries), so unknown signal names are refused the same way. Every
// template used — given, or a default not overridden — must be PromQL the simulator
// evaluates (docs/promql.md): otherwise a load error at the serve config's line naming the
// signal (`prometheus.queries.latency_p99_ms: not PromQL the simulator evaluates: ...`).
#pragma once

#include <optional>
#include <string>

#include "engine/signal_queries.hpp"
#include "scenario/yaml_util.hpp"

namespace selfheal::scenario {

/// The scenario's `signals` node: the templates every signal is evaluated with (live's
/// defaults under the serve config's overrides), or nullopt with the errors in `reader`
/// (the scenario's) — the serve config's own errors name the serve config file and line.
/// `base_dir` resolves a relative path.
std::optional<engine::SignalQueries> read_signals_key(const YAML::Node& n, YamlReader& reader,
                                                      const std::string& base_dir);

}  // namespace selfheal::scenario
