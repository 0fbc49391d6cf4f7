// Parsing and evaluating `expect:` entries.
#include <catch2/catch.hpp>

#include "scenario/expectation.hpp"
#include "tests/support/expectation_fixture.hpp"

using namespace selfheal::scenario;
using namespace std::chrono_literals;

using selfheal::test::parse_expect;
using selfheal::test::sample_run;

TEST_CASE("expectations read bounds by the metric's kind", "[expect]") {
  selfheal::core::Diagnostics d;
  auto es = parse_expect(R"(
- {metric: actions, where: {service: payment-api, action: restart}, max: 2}
- {metric: time_to_escalate, where: {service: payment-api}, max: 20m}
- {metric: wrongly_acted_incidents, equals: 0}
- {metric: classified_as, where: {incident: db-down}, equals: dependency-failure}
- {metric: recovered, where: {incident: db-down}, equals: true}
)",
                         d);
  INFO(d.describe());
  REQUIRE(d.empty());
  REQUIRE(es.size() == 5);
  const auto res = evaluate_all(es, sample_run());
  CHECK_FALSE(res[0].passed);
  CHECK(res[0].expected == "<= 2");
  CHECK(res[0].actual == "12");
  CHECK(res[1].passed);
  CHECK(res[1].actual == "18m");
  CHECK_FALSE(res[2].passed);
  CHECK(res[2].actual == "1");
  CHECK(res[3].passed);
  CHECK(res[4].passed);
}

TEST_CASE("a bound on something that never happened fails with 'none'", "[expect]") {
  selfheal::core::Diagnostics d;
  auto es =
      parse_expect("- {metric: time_to_escalate, where: {service: payments-db}, max: 20m}", d);
  REQUIRE(es.size() == 1);
  const auto r = evaluate(es[0], sample_run());
  CHECK_FALSE(r.passed);
  CHECK(r.actual == "none (never happened)");
}

TEST_CASE("expectation mistakes name line and field, with did-you-mean", "[expect]") {
  selfheal::core::Diagnostics d;
  auto es = parse_expect(R"(
- {metric: action, max: 2}
- {metric: actions, where: {service: payment-ap}, max: 2}
- {metric: actions, maximum: 2}
- {metric: ttr, where: {incident: db-down}, max: 5 minutes}
- {metric: wrongly_acted_incidents, where: {service: payment-api}, max: 0}
- {metric: verification_pass_rate, min: 2}
)",
                         d);
  CHECK(es.empty());
  const std::string all = d.describe();
  INFO(all);
  CHECK(all.find("s.yaml:2:12: expect[0].metric: unknown metric \"action\"; did you mean "
                 "\"actions\"?") != std::string::npos);
  CHECK(all.find("s.yaml:3:38: expect[1].where.service: unknown service \"payment-ap\"; did you "
                 "mean \"payment-api\"?") != std::string::npos);
  CHECK(all.find("expect[2].maximum: unknown key \"maximum\"") != std::string::npos);
  CHECK(all.find("s.yaml:5:50: expect[3].max: invalid duration") != std::string::npos);
  CHECK(all.find("expect[4].where: metric wrongly_acted_incidents is run-wide") !=
        std::string::npos);
  CHECK(all.find("expect[5].min: verification_pass_rate is a ratio") != std::string::npos);
}

TEST_CASE("an expectation whose min is above its max is refused at load time", "[expect]") {
  selfheal::core::Diagnostics d;
  auto es = parse_expect(R"(
- {metric: actions, min: 3, max: 2}
- {metric: ttr, where: {incident: db-down}, min: 10m, max: 5m}
- {metric: actions, min: 2, max: 2}
)",
                         d);
  const std::string all = d.describe();
  INFO(all);
  REQUIRE(es.size() == 1);
  CHECK(es[0].min->number == 2.0);
  CHECK(all.find("s.yaml:2:26: expect[0].min: min is greater than max") != std::string::npos);
  CHECK(all.find("expect[1].min: min is greater than max") != std::string::npos);
}
