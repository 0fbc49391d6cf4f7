#include "core/duration.hpp"

#include <catch2/catch.hpp>

using selfheal::core::Duration;
using selfheal::core::format_duration;
using selfheal::core::parse_duration;
using namespace std::chrono_literals;

TEST_CASE("durations parse as users write them", "[core][duration]") {
  CHECK(*parse_duration("30s") == 30s);
  CHECK(*parse_duration("5m") == 5min);
  CHECK(*parse_duration("2h") == 2h);
  CHECK(*parse_duration("1d") == 24h);
  CHECK(*parse_duration("1h30m") == 90min);
  CHECK(*parse_duration("250ms") == 250ms);
  CHECK(*parse_duration("1m500ms") == 60500ms);
  CHECK(*parse_duration("0s") == 0ms);
  CHECK(*parse_duration("0") == 0ms);
  CHECK(*parse_duration("2d3h4m5s6ms") == 2 * 24h + 3h + 4min + 5s + 6ms);
}

TEST_CASE("bad durations are rejected with an actionable message", "[core][duration]") {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"", "empty"},
      {"5 minutes", "spaces are not allowed"},
      {"1h 30m", "spaces are not allowed"},
      {"-1m", "sign"},
      {"+1m", "sign"},
      {"10x", "unknown unit \"x\""},
      {"10", "has no unit"},
      {"m", "expected a digit"},
      {"5m1h", "out of order"},
      {"5m5m", "repeated"},
      {"99999999999999999999s", "too large"},
      {"9999999999999999s", "overflows"},
      {"106751991168d", "overflows"},
      {"1.5h", "fractions are not allowed"},
      {"5min", "unknown unit \"min\""},
  };
  for (const auto& c : cases) {
    INFO("input: \"" << c.text << "\"");
    auto r = parse_duration(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains(c.says));
    CHECK_THAT(r.error().message, Catch::Contains("write e.g."));
  }
}

TEST_CASE("format_duration round-trips through parse_duration", "[core][duration]") {
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(90s) == "1m30s");
  CHECK(format_duration(1500ms) == "1s500ms");
  CHECK(format_duration(26h) == "1d2h");
  CHECK(format_duration(-5min) == "-5m");
  for (Duration d : {Duration{1ms}, Duration{999ms}, Duration{61s}, Duration{3601s},
                     Duration{86'400'001}, Duration{123'456'789}}) {
    CHECK(*parse_duration(format_duration(d)) == d);
  }
}

TEST_CASE("durations have a documented upper bound of 3650d", "[core][duration]") {
  using selfheal::core::kMaxDuration;
  CHECK(kMaxDuration == std::chrono::days{3650});
  CHECK(*parse_duration("3650d") == kMaxDuration);
  CHECK(*parse_duration("3649d23h59m59s999ms") == kMaxDuration - 1ms);
  for (const char* text : {"3650d1ms", "3651d", "106751991d", "106751991167d", "87601h"}) {
    INFO("input: \"" << text << "\"");
    auto r = parse_duration(text);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("longer than the maximum of 3650d"));
  }
}

TEST_CASE("a bad duration is quoted escaped in the message", "[core][duration]") {
  auto r = parse_duration("5m\x01\xFF");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("invalid duration \"5m\\x01\\xFF\""));
  CHECK_THAT(r.error().message, Catch::Contains("unexpected character \"\\x01\" at offset 2"));
}
