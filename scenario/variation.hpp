// One randomised draw of a scenario's `variation:` block, and the seed of each run of a
// sweep.
//
// A sweep runs the scenario many times; run i uses seed run_seed(base, i) for both the
// simulated world (traffic noise, ...) and this draw, so `selfheal run SCENARIO --seed S`
// with a recorded S reproduces that run exactly. Every draw comes from its own named
// substream of the seed, so adding a fault or a classification to the scenario does not
// change what the others draw.
//
//   Scenario v = vary(s, run_seed(s.seed, 41));   // run 41 of a sweep with the file's seed
#pragma once

#include <cstdint>
#include <vector>

#include "scenario/scenario.hpp"

namespace selfheal::scenario {

/// The seed of run `index` (0-based) of a sweep with base seed `base`: the (index+1)-th
/// output of SplitMix64 started at `base`. A pure function; shards compute it locally.
std::uint64_t run_seed(std::uint64_t base, std::uint64_t index);

/// `s` with its variation applied for `seed` (unchanged when the block is empty):
///  - fault_start_jitter J: each fault starts at `at` + U[-J, +J] (ms), kept inside the run;
///  - traffic_noise X: every service's traffic noise is X;
///  - classifier_noise D: each injected confidence + Normal(0, D), clamped to [0, 1];
///  - classifier_accuracy A: with probability 1 - A an injected classification names another
///    incident type from the policy set (uniformly; "unknown" when there is none), keeping
///    its confidence — a confident wrong verdict;
///  - responder_delay R: the on-call's response times (day and night) + U[0, R].
Scenario vary(const Scenario& s, std::uint64_t seed);

}  // namespace selfheal::scenario
