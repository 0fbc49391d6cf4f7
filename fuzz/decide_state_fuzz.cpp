// The state JSON of `selfheal decide --state FILE` (cooldowns, attempts, ladder step,
// escalate-only, breaker, kill switch carried between calls): read, used for one decision
// and rewritten. Run through cli::dispatch as main() does (the reader is
// engine::MemoryStateStore::from_json behind cmd_decide's read_json); the incident is a
// fixed valid one, so the decision itself depends on the fuzzed state.
#include <iterator>
#include <sstream>

#include "cli/command.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

constexpr std::string_view kIncident =
    R"({"incident_type": "memory-leak", "service": "payment-api", "namespace": "prod",
        "confidence": 0.95, "services_in_namespace": 20,
        "signals": {"error_rate": 0.02, "oom_kills": 3}})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string policy = selfheal::fuzz::source_dir() + "/policies/examples/full.yaml";
  static const std::string incident = [] {
    auto p = (selfheal::fuzz::scratch_dir() / "incident.json").string();
    selfheal::fuzz::write_file(p, kIncident);
    return p;
  }();
  static const std::string state = (selfheal::fuzz::scratch_dir() / "state.json").string();
  selfheal::fuzz::write_file(state, selfheal::fuzz::text(data, size));
  const char* argv[] = {
      "selfheal",       "decide",  "--policy",    policy.c_str(), "--incident",
      incident.c_str(), "--state", state.c_str(), "--now",        "2026-11-27T18:00:00Z"};
  std::ostringstream out, err;
  (void)selfheal::cli::dispatch(static_cast<int>(std::size(argv)), argv, {out, err});
  return 0;
}
