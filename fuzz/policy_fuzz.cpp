// Policy YAML, as `selfheal lint`, `decide`, `run` and `serve` read it:
// engine::load_policy_string. Diagnostics are the expected answer to bad input; a throw,
// crash or undefined behaviour is a finding.
#include "engine/policy_loader.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(selfheal::fuzz::text(data, size));
  auto load = selfheal::engine::load_policy_string(yaml, "fuzz.yaml");
  if (load.policies) {
    (void)load.notes.size();
  } else {
    (void)load.diagnostics.describe();
  }
  return 0;
}
