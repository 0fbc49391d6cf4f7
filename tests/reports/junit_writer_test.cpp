// The JUnit writer over evaluated `expect:` entries.
#include <catch2/catch.hpp>

#include "reports/junit_writer.hpp"
#include "scenario/expectation.hpp"
#include "tests/support/expectation_fixture.hpp"

using namespace selfheal::reports;
using namespace selfheal::scenario;
using namespace std::chrono_literals;

using selfheal::test::parse_expect;
using selfheal::test::sample_run;

TEST_CASE("JUnit has one testcase per expectation, failures say expected vs actual", "[junit]") {
  selfheal::core::Diagnostics d;
  auto es = parse_expect(R"(
- {metric: actions, where: {service: payment-api}, max: 2}
- {metric: recovered, where: {incident: db-down}, equals: true}
)",
                         d);
  REQUIRE(es.size() == 2);
  JunitSuite s{"db-outage-naive", "scenarios/db.yaml", evaluate_all(es, sample_run()), {}};
  JunitSuite bad{"broken", "scenarios/broken.yaml", {}, "scenarios/broken.yaml:3: oops"};
  const std::string x = junit_xml({s, bad});
  CHECK(x.find("<testsuites name=\"selfheal check\" tests=\"3\" failures=\"1\" errors=\"1\">") !=
        std::string::npos);
  CHECK(x.find("<testcase classname=\"db-outage-naive\" "
               "name=\"actions{service=payment-api} &lt;= 2\">") != std::string::npos);
  CHECK(x.find("<failure message=\"expected &lt;= 2, actual 12\" type=\"expectation\">") !=
        std::string::npos);
  CHECK(x.find("name=\"recovered{incident=db-down} == true\"/>") != std::string::npos);
  CHECK(x.find("<error message=\"scenarios/broken.yaml:3: oops\"") != std::string::npos);
}
