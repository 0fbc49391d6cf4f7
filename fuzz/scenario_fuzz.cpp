// Scenario YAML, as `selfheal run/check/sweep` read it: scenario::load_scenario_string.
// Relative policy paths resolve against the repository's scenarios/ folder, so the seeds'
// `policies: policies/production.yaml` load the real files. Loading only: a run of a
// fuzzed scenario could legitimately take long (durations up to core::kMaxDuration).
#include "fuzz/fuzz_support.hpp"
#include "scenario/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string base = selfheal::fuzz::source_dir() + "/scenarios";
  const std::string yaml(selfheal::fuzz::text(data, size));
  auto load = selfheal::scenario::load_scenario_string(yaml, "fuzz.yaml", base);
  if (!load.scenario) (void)load.diagnostics.describe();
  return 0;
}
