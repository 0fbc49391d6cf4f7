// `selfheal run/check/sweep --set PATH=VALUE`: each input line is one --set, parsed by
// scenario::parse_override and applied in order by scenario::load_scenario_file to the
// repository's scenarios/mixed-day.yaml (which names a policy file, so policy paths are
// exercised too). A refused --set is the expected answer; a throw or crash is a finding.
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "scenario/overrides.hpp"

namespace {

constexpr std::size_t kMaxOverrides = 16;  // a command line, not a file

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string scenario = selfheal::fuzz::source_dir() + "/scenarios/mixed-day.yaml";
  auto rest = selfheal::fuzz::text(data, size);
  std::vector<selfheal::scenario::Override> overrides;
  while (!rest.empty() && overrides.size() < kMaxOverrides) {
    const auto nl = rest.find('\n');
    const auto line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    auto o = selfheal::scenario::parse_override(line);
    if (!o) return 0;  // the CLI stops at the first bad --set (exit 2)
    overrides.push_back(*o);
  }
  if (overrides.empty()) return 0;
  auto load = selfheal::scenario::load_scenario_file(scenario, overrides);
  if (!load.scenario) (void)load.diagnostics.describe();
  return 0;
}
