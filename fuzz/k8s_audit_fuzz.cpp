// Kubernetes API server audit logs (promote::parse_k8s_audit, `selfheal promote
// --k8s-audit`): JSON lines from a file a user names. Besides crashes and UB it checks the
// contract: a rejected log has at least one error, every error names the file and a line
// of the input, and an accepted log yields at most one person action per line.
#include <algorithm>
#include <cstdlib>

#include "fuzz/fuzz_support.hpp"
#include "promote/k8s_audit.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = selfheal::fuzz::text(data, size);
  selfheal::core::Diagnostics diags;
  const auto acts = selfheal::promote::parse_k8s_audit(in, "audit.log", diags);
  const int lines = static_cast<int>(std::count(in.begin(), in.end(), '\n')) + 1;
  if (!acts && diags.empty()) std::abort();
  for (const auto& e : diags.errors())
    if (e.file != "audit.log" || e.line < 1 || e.line > lines) std::abort();
  if (acts && static_cast<int>(acts->size()) > lines) std::abort();
  return 0;
}
