// An iCalendar file: a scenario's `calendar: {ics: FILE}` and serve's calendar file.
// ical::read_ics (libical underneath) must answer with events or located errors over a
// fixed window of a month, whatever the bytes; every event it returns is well-formed.
#include <cstdlib>

#include "fuzz/fuzz_support.hpp"
#include "ical/ical.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  // 2026-11-01T00:00:00Z .. +31 days: the fixtures' events fall in it.
  constexpr std::int64_t kFromMs = 1'793'491'200'000;
  const auto from = selfheal::core::from_unix_ms(kFromMs);
  const auto until = from + hours{24 * 31};
  selfheal::core::Diagnostics diags;
  auto events = selfheal::ical::read_ics(std::string(selfheal::fuzz::text(data, size)), "fuzz.ics",
                                         from, until, diags);
  if (events) {
    if (events->size() > selfheal::ical::kMaxOccurrences) std::abort();
    for (const auto& e : *events)
      if (e.end <= e.start || e.start >= until || e.end <= from || e.name.empty()) std::abort();
  } else if (diags.empty()) {
    std::abort();  // nothing and no reason
  }
  return 0;
}
