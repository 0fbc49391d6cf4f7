// RFC 3339 timestamps (core::parse_rfc3339: Alertmanager's startsAt/endsAt, decide's
// `time` and `--now`, a scenario's `start`). Besides crashes and UB it checks the contract:
// an accepted time lies in years 0000-9999 give or take a day of offset, and the canonical
// UTC form (`YYYY-MM-DDTHH:MM:SS.mmmZ`) of it reads back to the same instant.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/timestamp.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

using namespace std::chrono;

std::string canonical(selfheal::core::TimePoint t) {
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{t - day};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                static_cast<int>(tod.subseconds().count()));
  return buf;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = selfheal::fuzz::text(data, size);
  const selfheal::core::TimestampForms all{
      .date_only = true, .space_separator = true, .optional_seconds = true};
  for (const auto& forms : {selfheal::core::TimestampForms{}, all}) {
    auto t = selfheal::core::parse_rfc3339(in, forms);
    if (!t) continue;
    const auto earliest = sys_days{year{0} / 1 / 1} - days{1};
    const auto latest = sys_days{year{10000} / 1 / 1} + days{1};
    if (*t < earliest || *t >= latest) std::abort();
    const int y = static_cast<int>(year_month_day{floor<days>(*t)}.year());
    if (y < 0 || y > 9999) continue;  // an offset pushed it across year 0 or 9999
    auto again = selfheal::core::parse_rfc3339(canonical(*t));
    if (!again || *again != *t) std::abort();
  }
  return 0;
}
