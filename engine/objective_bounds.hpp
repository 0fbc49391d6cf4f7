// The bounds of a service's objectives (its SLO: ServiceSignals::*_objective) wherever a
// person writes them — a scenario's `slo:` and `selfheal serve`'s
// `topology.services.<name>.slo` — so both readers accept and refuse the same values.
// 0 means "no objective" for each.
//
//   r.number_in(n["latency_p99_ms"], field, 0.0, engine::kMaxLatencyObjectiveMs);
#pragma once

namespace selfheal::engine {

inline constexpr double kMaxErrorRateObjective = 1.0;  ///< a share of requests failing
inline constexpr double kMaxLatencyObjectiveMs = 1e7;  ///< ms (~2.8 h): past any p99 objective
inline constexpr double kMaxQueueLagObjective = 1e12;  ///< messages waiting

}  // namespace selfheal::engine
