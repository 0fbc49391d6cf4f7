#include <catch2/catch.hpp>

#include "config/file_io.hpp"
#include "engine/time_text.hpp"
#include "ical/ical.hpp"

using selfheal::core::Diagnostics;
using selfheal::engine::format_time;
using selfheal::engine::parse_time;

namespace {
const std::string kFixture = std::string(SELFHEAL_ICAL_TEST_DATA) + "/marketing.ics";

std::string fixture() {
  return selfheal::config::read_file(kFixture).value();
}

std::vector<selfheal::ical::Event> read(const std::string& text, const char* from,
                                        const char* until, Diagnostics& d) {
  auto e = selfheal::ical::read_ics(text, "cal.ics", *parse_time(from), *parse_time(until), d);
  return e ? *e : std::vector<selfheal::ical::Event>{};
}

// Replaces the first `what` in the fixture (a calendar tool's export, CRLF line ends).
std::string edited(const std::string& what, const std::string& with) {
  std::string t = fixture();
  t.replace(t.find(what), what.size(), with);
  return t;
}
}  // namespace

TEST_CASE("ics: recurring events in their time zone, EXDATE, an all-day event, DURATION",
          "[ical]") {
  Diagnostics d;
  const auto ev = read(fixture(), "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z", d);
  INFO(d.describe());
  REQUIRE(d.empty());
  std::vector<std::string> seen;
  for (const auto& e : ev)
    seen.push_back(e.name + " " + format_time(e.start) + ".." + format_time(e.end));
  // Mondays and Thursdays at 18:00 Berlin (17:00 UTC in winter), COUNT=6 with the 26th
  // excluded; Black Friday as a whole UTC day.
  CHECK(seen ==
        std::vector<std::string>{
            "newsletter-push-20261123-1700 2026-11-23T17:00:00.000Z..2026-11-23T21:00:00.000Z",
            "black-friday 2026-11-27T00:00:00.000Z..2026-11-28T00:00:00.000Z",
            "newsletter-push-20261130-1700 2026-11-30T17:00:00.000Z..2026-11-30T21:00:00.000Z",
            "db-maintenance 2026-12-01T02:00:00.000Z..2026-12-01T04:00:00.000Z",
            "newsletter-push-20261203-1700 2026-12-03T17:00:00.000Z..2026-12-03T21:00:00.000Z",
            "newsletter-push-20261207-1700 2026-12-07T17:00:00.000Z..2026-12-07T21:00:00.000Z",
            "newsletter-push-20261210-1700 2026-12-10T17:00:00.000Z..2026-12-10T21:00:00.000Z",
        });
  REQUIRE(ev.size() == 7);
  CHECK(ev[0].kind == "marketing-campaign");
  CHECK(ev[0].service == "checkout-api");  // a `service:` line in DESCRIPTION
  CHECK(ev[0].traffic_multiplier == 2.5);  // folded across two lines
  CHECK(ev[1].service == "checkout-api");  // the other CATEGORIES value
  CHECK(ev[1].traffic_multiplier == 3);
  CHECK(ev[3].kind == "maintenance");
  CHECK(ev[3].service.empty());
  CHECK(ev[3].severity == 0.05);
  CHECK(ev[0].line == 26);
}

TEST_CASE("ics: a weekly event keeps its local time across the change to summer time", "[ical]") {
  Diagnostics d;
  const auto ev = read(fixture(), "2027-03-01T00:00:00Z", "2027-04-30T00:00:00Z", d);
  INFO(d.describe());
  REQUIRE(ev.size() == 3);
  CHECK(format_time(ev[0].start) == "2027-03-19T17:00:00.000Z");  // CET
  CHECK(format_time(ev[1].start) == "2027-03-26T17:00:00.000Z");
  CHECK(format_time(ev[2].start) == "2027-04-02T16:00:00.000Z");  // CEST, UNTIL inclusive
  CHECK(ev[2].kind == "deploy-window");
  CHECK(ev[2].service == "payment-api");
  CHECK(ev[2].ns == "prod");
  // An occurrence overlapping the window's start is in it.
  Diagnostics d2;
  const auto mid = read(fixture(), "2027-03-19T17:30:00Z", "2027-03-20T00:00:00Z", d2);
  REQUIRE(mid.size() == 1);
  CHECK(mid[0].name == "release-train-20270319-1700");
}

TEST_CASE("ics: a broken VEVENT, a missing kind, a runaway rule are errors at file:line",
          "[ical]") {
  Diagnostics broken;
  read(edited("DTSTART;VALUE=DATE:20261127", "DTSTART;VALUE=DATE:2026112X"), "2026-11-01T00:00:00Z",
       "2026-12-31T00:00:00Z", broken);
  CHECK_THAT(broken.describe(), Catch::Contains("cal.ics:49:") && Catch::Contains("DTSTART"));

  Diagnostics kind;
  read(edited("CATEGORIES:maintenance", "CATEGORIES:ops"), "2026-11-01T00:00:00Z",
       "2026-12-31T00:00:00Z", kind);
  CHECK_THAT(kind.describe(),
             Catch::Contains("cal.ics:73:") && Catch::Contains("no planned-event kind"));

  Diagnostics number;
  read(edited("severity: 0.05", "severity: lots"), "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z",
       number);
  CHECK_THAT(number.describe(),
             Catch::Contains("cal.ics:74:") && Catch::Contains("DESCRIPTION.severity"));

  Diagnostics runaway;
  read(edited("RRULE:FREQ=WEEKLY;UNTIL=20270402T170000Z", "RRULE:FREQ=SECONDLY"),
       "2026-11-01T00:00:00Z", "2027-12-31T00:00:00Z", runaway);
  CHECK_THAT(runaway.describe(),
             Catch::Contains("cal.ics:61:") && Catch::Contains("COUNT or UNTIL"));

  // A timed event that ends before (or as) it starts, by DTEND or by DURATION.
  Diagnostics reversed;
  read(edited("DTEND;TZID=Europe/Berlin:20261123T220000",
              "DTEND;TZID=Europe/Berlin:20261123T170000"),
       "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z", reversed);
  CHECK(reversed.describe() == "cal.ics:28: DTEND: the event must end after it starts\n");
  Diagnostics zero;
  read(edited("DURATION:PT2H", "DURATION:PT0S"), "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z",
       zero);
  CHECK(zero.describe() == "cal.ics:70: DURATION: the event must end after it starts\n");

  Diagnostics open;
  std::string unclosed = fixture();
  unclosed.erase(unclosed.rfind("END:VEVENT"), 12);
  read(unclosed, "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z", open);
  CHECK_FALSE(open.empty());

  Diagnostics not_ics;
  read("scenario: x\n", "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z", not_ics);
  CHECK_THAT(not_ics.describe(),
             Catch::Contains("cal.ics:1:") && Catch::Contains("not an iCalendar file"));
}
