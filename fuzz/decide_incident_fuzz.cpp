// The incident JSON of `selfheal decide --incident FILE`. The reader lives in
// cli/cmd_decide.cpp (no library entry point of its own), so the harness runs the command
// itself through cli::dispatch, as main() does: the bytes go to a scratch file, the policy
// is the repository's policies/examples/full.yaml and --now is fixed (no wall clock).
// Exit 2 with diagnostics is the expected answer to bad input; an escaping exception
// (std::terminate), a crash or undefined behaviour is a finding.
#include <iterator>
#include <sstream>

#include "cli/command.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string policy = selfheal::fuzz::source_dir() + "/policies/examples/full.yaml";
  static const std::string incident = (selfheal::fuzz::scratch_dir() / "incident.json").string();
  selfheal::fuzz::write_file(incident, selfheal::fuzz::text(data, size));
  const char* argv[] = {"selfheal",   "decide",         "--policy", policy.c_str(),
                        "--incident", incident.c_str(), "--now",    "2026-11-27T18:00:00Z"};
  std::ostringstream out, err;
  (void)selfheal::cli::dispatch(static_cast<int>(std::size(argv)), argv, {out, err});
  return 0;
}
