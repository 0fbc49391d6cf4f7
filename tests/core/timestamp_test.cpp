#include "core/timestamp.hpp"

#include <chrono>

#include <catch2/catch.hpp>

using selfheal::core::parse_rfc3339;
using selfheal::core::TimePoint;
using selfheal::core::TimestampForms;
using namespace std::chrono_literals;

namespace {

const TimePoint kT0{std::chrono::sys_days{std::chrono::year{2026} / 11 / 27} + 18h};

}  // namespace

TEST_CASE("RFC 3339 timestamps in their valid forms", "[core][timestamp]") {
  CHECK(*parse_rfc3339("2026-11-27T18:00:00Z") == kT0);
  CHECK(*parse_rfc3339("2026-11-27t18:00:00z") == kT0);
  CHECK(*parse_rfc3339("2026-11-27T18:00:00.5Z") == kT0 + 500ms);
  CHECK(*parse_rfc3339("2026-11-27T18:00:00.123456789Z") == kT0 + 123ms);  // Go's nanoseconds
  CHECK(*parse_rfc3339("2026-11-27T19:30:00+01:30") == kT0);
  CHECK(*parse_rfc3339("2026-11-27T13:00:00-05:00") == kT0);
  CHECK(*parse_rfc3339("2026-11-28T17:59:00+23:59") == kT0);
  CHECK(*parse_rfc3339("2026-11-27T17:59:60Z") == kT0);  // a leap second
  CHECK(*parse_rfc3339("2028-02-29T00:00:00Z") ==
        TimePoint{std::chrono::sys_days{std::chrono::year{2028} / 2 / 29}});
  // Go's zero time, which Alertmanager writes as endsAt of a firing alert.
  CHECK(parse_rfc3339("0001-01-01T00:00:00Z").ok());
  CHECK(parse_rfc3339("9999-12-31T23:59:59.999Z").ok());
}

TEST_CASE("relaxed forms only where asked for", "[core][timestamp]") {
  CHECK_FALSE(parse_rfc3339("2026-11-27").ok());
  CHECK(*parse_rfc3339("2026-11-27", {.date_only = true}) == kT0 - 18h);
  CHECK_FALSE(parse_rfc3339("2026-11-27 18:00:00Z").ok());
  CHECK(*parse_rfc3339("2026-11-27 18:00:00Z", {.space_separator = true}) == kT0);
  CHECK_FALSE(parse_rfc3339("2026-11-27T18:00Z").ok());
  CHECK(*parse_rfc3339("2026-11-27T18:00Z", {.optional_seconds = true}) == kT0);
  CHECK(*parse_rfc3339("2026-11-27T18:00:01Z", {.optional_seconds = true}) == kT0 + 1s);
  const TimestampForms all{.date_only = true, .space_separator = true, .optional_seconds = true};
  CHECK_FALSE(parse_rfc3339("2026-11-27T18Z", all).ok());
  CHECK_FALSE(parse_rfc3339("2026-11-27T18:00", all).ok());
}

// Each of these was accepted before (issue 18's fuzzing findings and their neighbours).
TEST_CASE("malformed RFC 3339 timestamps are refused with the reason", "[core][timestamp]") {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"2026-11-27T-1:-1:-1Z", "HH:MM:SS"},
      {"2026-11-27T+1:00:00Z", "HH:MM:SS"},
      {"2026-11-27T 1:00:00Z", "HH:MM:SS"},
      {"-999-01-01T00:00:00Z", "YYYY-MM-DD"},
      {"+999-01-01T00:00:00Z", "YYYY-MM-DD"},
      {"2026--1-01T00:00:00Z", "YYYY-MM-DD"},
      {"2026-11-27T18:00:00+-9:99", "UTC offset must be"},
      {"2026-11-27T18:00:00+09:60", "UTC offset is out of range"},
      {"2026-11-27T18:00:00+24:00", "UTC offset is out of range"},
      {"2026-11-27T18:00:00+0100", "UTC offset must be"},
      {"2026-11-27T18:00:00+01:00:00", "after the UTC offset"},
      {"2026-11-27T18:00:00.12345678901234567890123456789Z", "more than 9 digits"},
      {"2026-11-27T18:00:00.1234567890Z", "more than 9 digits"},
      {"2026-11-27T18:00:00.Z", "fraction of a second is empty"},
      {"2026-11-27T18:00:00", "local times are not accepted"},
      {"2026-11-27T18:00:00Zjunk", "after the UTC offset"},
      {"2026-11-27T24:00:00Z", "out of range"},
      {"2026-11-27T23:60:00Z", "out of range"},
      {"2026-11-27T23:59:61Z", "out of range"},
      {"2026-02-29T00:00:00Z", "no such date"},
      {"2026-13-01T00:00:00Z", "no such date"},
      {"2026-00-01T00:00:00Z", "no such date"},
      {"2026-11-27X18:00:00Z", "separated by 'T'"},
      {"2026-11-27", "time of day is missing"},
      {"", "YYYY-MM-DD"},
      {"yesterday", "YYYY-MM-DD"},
  };
  for (const auto& c : cases) {
    INFO("input: \"" << c.text << "\"");
    auto r = parse_rfc3339(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains(c.says));
    CHECK_THAT(r.error().message, Catch::Contains("expected e.g. 2026-11-27T18:00:00Z"));
  }
}

TEST_CASE("the quoted input is cut and escaped so logs and JSON stay valid", "[core][timestamp]") {
  // Invalid UTF-8 in an error message made the 400 body's JSON encoding throw (issue 18); a
  // newline would forge a log line; a long value was echoed whole.
  const std::string text = std::string(63, 'x') + "\xC3\xA9" + std::string(1000, 'y');
  auto r = parse_rfc3339(text);
  REQUIRE_FALSE(r.ok());
  const auto& m = r.error().message;
  CHECK_THAT(m, Catch::Contains("\"" + std::string(63, 'x') + "\\xC3\" (first 64 of 1065 bytes)"));
  CHECK(m.find("yy") == std::string::npos);
  auto nl = parse_rfc3339("2026-11-27T18:00:00Z\nforged \"line\" \xFF");
  REQUIRE_FALSE(nl.ok());
  CHECK_THAT(nl.error().message,
             Catch::Contains("\"2026-11-27T18:00:00Z\\x0Aforged \\\"line\\\" \\xFF\""));
  for (unsigned char c : nl.error().message)
    CHECK((c >= 0x20 && c <= 0x7E));
}
