// The JUnit writer over evaluated `expect:` entries.
#include <catch2/catch.hpp>

#include "reports/junit_writer.hpp"
#include "scenario/expectation.hpp"

using namespace selfheal::reports;
using namespace selfheal::scenario;
using namespace std::chrono_literals;

namespace {

std::vector<Expectation> parse(const std::string& yaml, selfheal::core::Diagnostics& d) {
  YamlReader r{"s.yaml", d};
  return parse_expectations(YAML::Load(yaml), r, {"payment-api", "payments-db"}, {"db-down"});
}

RunMetrics sample_run() {
  RunMetrics m;
  IncidentMetrics i;
  i.id = "db-down";
  i.root_service = "payments-db";
  i.affected = {"payments-db", "payment-api"};
  i.start = 10min;
  i.recovered = true;
  i.ttr = 50min;
  i.classified_as = "dependency-failure";
  i.confidence = 0.9;
  i.classification_correct = true;
  m.incidents.push_back(i);
  for (int k = 0; k < 12; ++k)
    m.actions.push_back({Duration{(12 + 4 * k) * 60000}, "payment-api", "db-down", "restart",
                         "kubectl rollout restart deployment/payment-api -n prod", false, false,
                         true});
  m.escalations.push_back({28min,
                           "payment-api",
                           "db-down",
                           false,
                           "pagerduty-p1",
                           "max-attempts-reached",
                           "payment-api still failing",
                           {},
                           {},
                           0,
                           {}});
  m.recovered = 1;
  m.mttr_mean = 50min;
  m.wrongly_acted = 1;
  return m;
}

}  // namespace

TEST_CASE("JUnit has one testcase per expectation, failures say expected vs actual", "[junit]") {
  selfheal::core::Diagnostics d;
  auto es = parse(R"(
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
