// core/number_format.hpp: format_decimals, the fixed-decimals form every report prints.
#include <catch2/catch.hpp>

#include <limits>

#include "core/number_format.hpp"

using selfheal::core::format_decimals;

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
