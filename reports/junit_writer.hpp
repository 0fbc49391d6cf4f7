// JUnit XML for CI: one <testsuite> per scenario, one <testcase> per expectation; a failed
// expectation is a <failure> whose message says expected vs actual. A scenario that could
// not run (bad input) is a suite with one <error> testcase. No timestamps or durations, so
// the file is byte-identical for the same inputs.
//
//   <testsuite name="db-outage-naive" tests="3" failures="1" errors="0">
//     <testcase classname="db-outage-naive" name="actions{service=payment-api} &lt;= 2">
//       <failure message="expected &lt;= 2, actual 12" type="expectation">...</failure>
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenario/expectation.hpp"

namespace selfheal::reports {

struct JunitSuite {
  std::string name;  ///< scenario name
  std::string file;  ///< scenario file
  std::vector<scenario::ExpectationResult> results;
  std::optional<std::string> error;  ///< the scenario could not run
};

std::string junit_xml(const std::vector<JunitSuite>& suites);

}  // namespace selfheal::reports
