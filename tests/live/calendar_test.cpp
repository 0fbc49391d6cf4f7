#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "config/file_io.hpp"
#include "engine/time_text.hpp"
#include "live/runtime.hpp"

namespace fs = std::filesystem;
using selfheal::engine::parse_time;
using selfheal::live::FileCalendar;

namespace {
const std::string kIcs = std::string(SELFHEAL_ICAL_TEST_DATA) + "/marketing.ics";

std::vector<std::string> names(FileCalendar& c, const std::string& ns, const std::string& service,
                               const char* at) {
  std::vector<std::string> out;
  for (const auto& e : c.active({ns, service}, *parse_time(at)))
    out.push_back(e.name + " " + e.kind + " x" + std::to_string(e.traffic_multiplier).substr(0, 3));
  return out;
}
}  // namespace

TEST_CASE("serve's calendar file may be an .ics export: occurrences active at now",
          "[live][ical]") {
  auto opened = FileCalendar::open(kIcs);
  REQUIRE(opened);
  FileCalendar& c = **opened;
  CHECK(names(c, "prod", "checkout-api", "2026-11-27T12:00:00Z") ==
        std::vector<std::string>{"black-friday marketing-campaign x3.0"});
  CHECK(names(c, "prod", "payment-api", "2026-11-27T12:00:00Z").empty());
  CHECK(names(c, "prod", "checkout-api", "2026-11-30T17:30:00Z") ==
        std::vector<std::string>{"newsletter-push-20261130-1700 marketing-campaign x2.5"});
  // Months later (a new window expanded): the release train in its namespace only.
  CHECK(names(c, "prod", "payment-api", "2027-04-02T16:30:00Z") ==
        std::vector<std::string>{"release-train-20270402-1600 deploy-window x1.0"});
  CHECK(names(c, "staging", "payment-api", "2027-04-02T16:30:00Z").empty());
  // A maintenance without a service: every service.
  CHECK(names(c, "prod", "anything", "2026-12-01T03:00:00Z") ==
        std::vector<std::string>{"db-maintenance maintenance x1.0"});
}

TEST_CASE("serve's .ics calendar: a broken VEVENT fails at startup naming file:line",
          "[live][ical]") {
  const fs::path dir = fs::temp_directory_path() / ("selfheal-ics-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string text = selfheal::config::read_file(kIcs).value();
  text.replace(text.find("DTSTART;VALUE=DATE:20261127"), 27, "DTSTART;VALUE=DATE:2026-11-27");
  std::ofstream(dir / "cal.ics") << text;
  auto opened = FileCalendar::open((dir / "cal.ics").string());
  REQUIRE_FALSE(opened);
  CHECK_THAT(opened.error().describe(),
             Catch::Contains("cal.ics:49:") && Catch::Contains("DTSTART"));
  fs::remove_all(dir);
}
