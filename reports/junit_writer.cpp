#include "reports/junit_writer.hpp"

#include <sstream>

#include "reports/format.hpp"

namespace selfheal::reports {

// The run, its metrics and verdicts, as the scenario runner leaves them.
using namespace selfheal::scenario;

std::string junit_xml(const std::vector<JunitSuite>& suites) {
  int tests = 0, failures = 0, errors = 0;
  for (const auto& s : suites) {
    if (s.error) {
      ++tests;
      ++errors;
      continue;
    }
    tests += static_cast<int>(s.results.size());
    for (const auto& r : s.results)
      failures += r.passed ? 0 : 1;
  }
  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o << "<testsuites name=\"selfheal check\" tests=\"" << tests << "\" failures=\"" << failures
    << "\" errors=\"" << errors << "\">\n";
  for (const auto& s : suites) {
    const std::string name = xml_escape(s.name);
    if (s.error) {
      o << "  <testsuite name=\"" << name << "\" tests=\"1\" failures=\"0\" errors=\"1\">\n";
      o << "    <properties><property name=\"file\" value=\"" << xml_escape(s.file)
        << "\"/></properties>\n";
      o << "    <testcase classname=\"" << name << "\" name=\"scenario loads and runs\">\n";
      o << "      <error message=\"" << xml_escape(*s.error) << "\" type=\"bad-input\">"
        << xml_escape(*s.error) << "</error>\n";
      o << "    </testcase>\n  </testsuite>\n";
      continue;
    }
    int f = 0;
    for (const auto& r : s.results)
      f += r.passed ? 0 : 1;
    o << "  <testsuite name=\"" << name << "\" tests=\"" << s.results.size() << "\" failures=\""
      << f << "\" errors=\"0\">\n";
    o << "    <properties><property name=\"file\" value=\"" << xml_escape(s.file)
      << "\"/></properties>\n";
    for (const auto& r : s.results) {
      const std::string tc = r.expectation.describe + " " + r.expected;
      o << "    <testcase classname=\"" << name << "\" name=\"" << xml_escape(tc) << "\"";
      if (r.passed) {
        o << "/>\n";
        continue;
      }
      const std::string msg = "expected " + r.expected + ", actual " + r.actual;
      o << ">\n      <failure message=\"" << xml_escape(msg) << "\" type=\"expectation\">"
        << xml_escape(s.file + ":" + std::to_string(r.expectation.line) + ": " +
                      r.expectation.describe + ": " + msg)
        << "</failure>\n    </testcase>\n";
    }
    o << "  </testsuite>\n";
  }
  o << "</testsuites>\n";
  return o.str();
}

}  // namespace selfheal::reports
