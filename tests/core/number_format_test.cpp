// core/number_format.hpp: format_decimals, the fixed-decimals form every report prints, and
// RepeatedNumber, which appends a repeated number's digits without formatting them again.
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "core/number_format.hpp"

using selfheal::core::format_decimals;
using selfheal::core::format_fixed;
using selfheal::core::format_general;
using selfheal::core::RepeatedNumber;

TEST_CASE("format_decimals rounds to fixed decimals like printf", "[core][format]") {
  CHECK(format_decimals(0.8766, 3) == "0.877");
  CHECK(format_decimals(2.0, 3) == "2.000");
  CHECK(format_decimals(-1.25, 1) == "-1.2");  // round half to even, as %.1f
  CHECK(format_decimals(12.5, 0) == "12");
}

TEST_CASE("format_decimals never prints a negative zero", "[core][format]") {
  CHECK(format_decimals(-0.0, 3) == "0.000");
  CHECK(format_decimals(-0.0001, 3) == "0.000");
  CHECK(format_decimals(-0.0006, 3) == "-0.001");
}

TEST_CASE("format_decimals writes null for a value that is not a number", "[core][format]") {
  CHECK(format_decimals(std::numeric_limits<double>::quiet_NaN(), 3) == "null");
  CHECK(format_decimals(std::numeric_limits<double>::infinity(), 3) == "null");
}

TEST_CASE("RepeatedNumber appends the digits format_fixed and format_general give",
          "[core][format]") {
  RepeatedNumber n;
  std::string out;
  // The same value again, then a changed value, a changed precision, a changed format: each
  // text is the one formatting it afresh would give (a stale kept text would show here).
  const double values[] = {0.25, 0.25, 1.0, 1.0, 0.0, -0.0, 1e300};
  for (const double v : values) {
    out.clear();
    n.append_fixed(out, v, 2);
    CHECK(out == format_fixed(v, 2));
  }
  out = "rate ";
  n.append_fixed(out, 0.123, 2);
  n.append_fixed(out, 0.123, 3);  // same value, another precision
  out += " ";
  n.append_general(out, 0.123, 3);  // same value and precision, another format
  CHECK(out == "rate 0.12" + format_fixed(0.123, 3) + " " + format_general(0.123, 3));
  out.clear();
  n.append_general(out, -0.0, 3);  // -0.0 has other bits than 0.0 and prints its sign
  CHECK(out == format_general(-0.0, 3));
  CHECK(out == "-0");
}
