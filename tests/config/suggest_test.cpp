// The one did-you-mean: distance, threshold and the unified message forms.
#include <catch2/catch.hpp>

#include "config/messages.hpp"
#include "config/suggest.hpp"

namespace config = selfheal::config;

TEST_CASE("edit distance counts an adjacent transposition as one edit", "[config][suggest]") {
  CHECK(config::edit_distance("confidnece", "confidence") == 1);
  CHECK(config::edit_distance("", "abc") == 3);
  CHECK(config::edit_distance("kitten", "sitting") == 3);
  CHECK(config::edit_distance("same", "same") == 0);
}

TEST_CASE("closest suggests within the documented threshold and not beyond", "[config][suggest]") {
  const std::vector<std::string> keys{"confidence_threshold", "max_attempts", "action"};
  CHECK(config::closest("confidense_threshold", keys) == "confidence_threshold");
  CHECK(config::closest("max_atempts", keys) == "max_attempts");
  // Two edits are always tolerated, even in a short word.
  CHECK(config::closest("acton", keys) == "action");
  CHECK(config::closest("owner", keys).empty());
  // An exact match is not a suggestion.
  CHECK(config::closest("action", keys).empty());
  // A third of the word may differ: 4 edits in a 12-letter word pass, 5 do not.
  CHECK(config::closest("abcdefghijkl", {"abcdefghXXXX"}) == "abcdefghXXXX");
  CHECK(config::closest("abcdefghijkl", {"abcdefgXXXXX"}).empty());
}

TEST_CASE("closest takes a unique abbreviation or elaboration", "[config][suggest]") {
  CHECK(config::closest("automatic", {"shadow", "recommend", "auto"}) == "auto");
  // Two candidates share the prefix: no guess.
  CHECK(config::closest("res", {"restart", "restarts"}).empty());
  CHECK(config::closest("restartxxxxxxxx", {"restart", "scale"}) == "restart");
}

TEST_CASE("the same mistake gets the same words", "[config][messages]") {
  CHECK(config::unknown_key("confidnece", {"confidence", "service"}) ==
        "unknown key \"confidnece\"; did you mean \"confidence\"?");
  CHECK(config::unknown_key("owner", std::vector<std::string>{"incident_type", "action"}) ==
        "unknown key \"owner\"; known keys: incident_type, action");
  CHECK(config::wrong_type("a number", "\"high\"") == "expected a number, got \"high\"");
  CHECK(config::missing_required("a string") == "missing: a string is required");
  CHECK(config::out_of_range("0", "1", "1.5") == "must be between 0 and 1, got 1.5");
  CHECK(config::duplicate_key("service", 3) == "duplicate key \"service\" (first given at line 3)");
  CHECK(config::unknown_name("action", "restrat", {"restart", "scale"}) ==
        "unknown action \"restrat\"; did you mean \"restart\"?");
}

TEST_CASE("exact_number shows the digits that tell two close values apart", "[config][messages]") {
  CHECK(config::exact_number(0.85) == "0.85");
  CHECK(config::exact_number(std::nextafter(0.85, 0.0)) == "0.8499999999999999");
  CHECK(config::exact_number(2) == "2");
}
