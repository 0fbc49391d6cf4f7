// Durations (core::parse_duration: every `5m` in policies, scenarios, serve config and
// `--set`). Besides crashes and UB it checks the documented contract: an accepted value is
// within [0, core::kMaxDuration], and format_duration's text reads back to the same value.
#include <cstdlib>

#include "core/duration.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto d = selfheal::core::parse_duration(selfheal::fuzz::text(data, size));
  if (!d) return 0;
  if (d->count() < 0 || *d > selfheal::core::kMaxDuration) std::abort();
  auto again = selfheal::core::parse_duration(selfheal::core::format_duration(*d));
  if (!again || *again != *d) std::abort();
  return 0;
}
