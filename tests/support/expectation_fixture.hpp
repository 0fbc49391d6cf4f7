// What the expectation and JUnit tests share: a YAML `expect:` list parsed against a
// two-service, one-incident scenario, and the metrics of a sample run of it (a database
// outage under which payment-api is restarted 12 times and paged once). Header-only.
//
//   selfheal::core::Diagnostics d;
//   auto es = selfheal::test::parse_expect("- {metric: pages, max: 1}", d);
//   auto results = evaluate(es, selfheal::test::sample_run());
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "scenario/expectation.hpp"

namespace selfheal::test {

using namespace selfheal::scenario;
using namespace std::chrono_literals;

inline std::vector<Expectation> parse_expect(const std::string& yaml,
                                             selfheal::core::Diagnostics& d) {
  YamlReader r{"s.yaml", d};
  return parse_expectations(YAML::Load(yaml), r, {"payment-api", "payments-db"}, {"db-down"});
}

inline RunMetrics sample_run() {
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

}  // namespace selfheal::test
