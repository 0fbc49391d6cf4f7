#include "scenario/variation.hpp"

#include <algorithm>
#include <set>

#include "sim/random.hpp"

namespace selfheal::scenario {

std::uint64_t run_seed(std::uint64_t base, std::uint64_t index) {
  // SplitMix64 advances its state by a constant per output, so the (index+1)-th output is
  // reachable directly: state = base + (index+1) * gamma, then one mix.
  std::uint64_t state = base + index * 0x9E3779B97F4A7C15ULL;
  return sim::splitmix64(state);
}

Scenario vary(const Scenario& s, std::uint64_t seed) {
  Scenario v = s;
  const Variation& var = s.variation;
  if (var.empty()) return v;
  if (var.fault_start_jitter && var.fault_start_jitter->count() > 0) {
    const std::int64_t j = var.fault_start_jitter->count();
    for (auto& f : v.cluster.faults) {
      sim::Rng rng = sim::Rng::substream(seed, "variation/fault-start/" + f.name);
      const std::int64_t at = f.at.count() + rng.uniform_int(-j, j);
      f.at = Duration{std::clamp<std::int64_t>(at, 0, s.duration.count() - 1)};
    }
  }
  if (var.traffic_noise)
    for (auto& svc : v.cluster.services)
      svc.traffic.noise = *var.traffic_noise;
  if (var.classifier_noise || var.classifier_accuracy) {
    std::vector<std::string> types;
    for (const auto& p : s.policies.policies)
      types.push_back(p.incident_type);
    for (std::size_t i = 0; i < v.classifications.size(); ++i) {
      auto& c = v.classifications[i].classification;
      sim::Rng rng = sim::Rng::substream(seed, "variation/classification/" + std::to_string(i));
      if (var.classifier_noise)
        c.confidence = std::clamp(c.confidence + rng.normal(0.0, *var.classifier_noise), 0.0, 1.0);
      if (var.classifier_accuracy && !rng.bernoulli(*var.classifier_accuracy)) {
        std::vector<std::string> others;
        for (const auto& t : types)
          if (t != c.incident_type) others.push_back(t);
        c.incident_type = others.empty() ? std::string("unknown")
                                         : others[static_cast<std::size_t>(rng.uniform_int(
                                               0, static_cast<std::int64_t>(others.size()) - 1))];
      }
    }
  }
  if (var.responder_delay && var.responder_delay->count() > 0) {
    sim::Rng rng = sim::Rng::substream(seed, "variation/responder");
    const Duration extra{rng.uniform_int(0, var.responder_delay->count())};
    v.cluster.oncall.response_time += extra;
    if (v.cluster.oncall.night_response_time) *v.cluster.oncall.night_response_time += extra;
  }
  return v;
}

}  // namespace selfheal::scenario
