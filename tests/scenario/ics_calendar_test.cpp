#include <catch2/catch.hpp>

#include "scenario/scenario.hpp"

namespace {
const std::string kData = std::string(SELFHEAL_ICAL_TEST_DATA);

selfheal::scenario::ScenarioLoad load(const std::string& start, const std::string& duration,
                                      const std::string& services) {
  return selfheal::scenario::load_scenario_string(
      "scenario: ics\nstart: " + start + "\nduration: " + duration +
          "\ncluster:\n  namespace: prod\n  services:\n" + services +
          "policies: {remediation_policies: [{incident_type: memory-leak, action: "
          "restart}]}\ncalendar: {ics: marketing.ics}\n",
      "s.yaml", kData);
}
}  // namespace

TEST_CASE("calendar: {ics: FILE} gives the run its occurrences as planned events",
          "[scenario][ical]") {
  using std::chrono::hours;
  auto friday =
      load("2026-11-26T12:00:00Z", "2d", "    checkout-api: {replicas: 6}\n    payment-api: {}\n");
  INFO(friday.diagnostics.describe());
  REQUIRE(friday.scenario);
  const auto& planned = friday.scenario->cluster.planned;
  REQUIRE(planned.size() == 1);  // Thursday's newsletter is an EXDATE
  CHECK(planned[0].name == "black-friday");
  CHECK(planned[0].kind == selfheal::sim::PlannedKind::kMarketingCampaign);
  CHECK(planned[0].service == "checkout-api");
  CHECK(planned[0].start == hours{12});
  CHECK(planned[0].end == hours{36});
  CHECK(planned[0].traffic_multiplier == 3);

  // A release train in the cluster's namespace, and a maintenance for every service.
  auto train = load("2026-11-30T20:00:00Z", "8h", "    checkout-api: {}\n    payment-api: {}\n");
  INFO(train.diagnostics.describe());
  REQUIRE(train.scenario);
  const auto& p = train.scenario->cluster.planned;
  REQUIRE(p.size() == 2);
  CHECK(p[0].name == "newsletter-push-20261130-1700");
  CHECK(p[0].start == hours{0});  // began before the run: from its start
  CHECK(p[0].end == hours{1});
  CHECK(p[1].name == "db-maintenance");
  CHECK(p[1].kind == selfheal::sim::PlannedKind::kMaintenance);
  CHECK(p[1].service.empty());
  CHECK(p[1].start == hours{6});
}

TEST_CASE("calendar: {ics: FILE} errors name the .ics file and line", "[scenario][ical]") {
  auto missing = load("2026-11-26T12:00:00Z", "2d", "    payment-api: {}\n");
  CHECK_FALSE(missing.scenario);
  CHECK_THAT(missing.diagnostics.describe(),
             Catch::Contains("marketing.ics:48:") &&
                 Catch::Contains("\"checkout-api\" (event black-friday) is not a service"));

  auto no_file = selfheal::scenario::load_scenario_string(
      "scenario: ics\nduration: 1h\ncluster: {services: {a: {}}}\n"
      "policies: {remediation_policies: [{incident_type: memory-leak, action: "
      "restart}]}\ncalendar: {ics: nowhere.ics}\n",
      "s.yaml", kData);
  CHECK_THAT(no_file.diagnostics.describe(),
             Catch::Contains("s.yaml:5:") && Catch::Contains("calendar.ics"));
  auto typo = selfheal::scenario::load_scenario_string(
      "scenario: ics\nduration: 1h\ncluster: {services: {a: {}}}\n"
      "policies: {remediation_policies: [{incident_type: memory-leak, action: "
      "restart}]}\ncalendar: {icz: x.ics}\n",
      "s.yaml", kData);
  CHECK_THAT(typo.diagnostics.describe(), Catch::Contains("icz") && Catch::Contains("ics"));
}
