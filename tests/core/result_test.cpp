#include "core/result.hpp"

#include <catch2/catch.hpp>

using selfheal::core::Diagnostics;
using selfheal::core::Error;
using selfheal::core::Result;

TEST_CASE("an error names file, line, column and field", "[core][result]") {
  Error e{"must be in [0, 1]", "policies/p.yaml", 7, 3, "remediation_policy.confidence_threshold"};
  CHECK(e.describe() ==
        "policies/p.yaml:7:3: remediation_policy.confidence_threshold: must be in [0, 1]");
  Error bare{"no such file"};
  CHECK(bare.describe() == "no such file");
  Error no_line{"bad", "x.yaml", 0, 0, ""};
  CHECK(no_line.describe() == "x.yaml: bad");
}

TEST_CASE("results carry a value or an error", "[core][result]") {
  Result<int> ok = 4;
  REQUIRE(ok.ok());
  CHECK(*ok == 4);
  Result<int> bad = Error{"nope"};
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "nope");
}

TEST_CASE("diagnostics collect every problem", "[core][result]") {
  Diagnostics d;
  CHECK(d.empty());
  d.add(Error{"a", "f.yaml", 1});
  d.add(Error{"b", "f.yaml", 2});
  CHECK(d.size() == 2);
  CHECK(d.describe() == "f.yaml:1: a\nf.yaml:2: b\n");
}
