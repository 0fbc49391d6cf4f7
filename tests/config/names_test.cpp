// The one DNS-1123 label check.
#include <catch2/catch.hpp>

#include "config/names.hpp"

namespace config = selfheal::config;

TEST_CASE("DNS-1123 labels: what passes and what each failure says", "[config][names]") {
  CHECK(config::is_dns1123_label("payment-api"));
  CHECK(config::is_dns1123_label("a"));
  CHECK(config::is_dns1123_label(std::string(63, 'a')));
  CHECK(config::dns1123_problem(std::string(64, 'a')) == "is 64 characters long (max 63)");
  CHECK(config::dns1123_problem("") == "is empty");
  CHECK(config::dns1123_problem("Payment") == "contains 'P' (only a-z, 0-9 and '-' are allowed)");
  CHECK(config::dns1123_problem("a;b") == "contains ';' (only a-z, 0-9 and '-' are allowed)");
  CHECK(config::dns1123_problem("a\nb") == "contains '\\x0a' (only a-z, 0-9 and '-' are allowed)");
  CHECK(config::dns1123_problem("-a") == "must start with a letter or digit");
  CHECK(config::dns1123_problem("a-") == "must end with a letter or digit");
  CHECK(config::dns1123_problem("a.b") == "contains '.' (only a-z, 0-9 and '-' are allowed)");
}

TEST_CASE("a shorter limit applies to Helm release names", "[config][names]") {
  CHECK(config::is_dns1123_label(std::string(53, 'a'), 53));
  CHECK_FALSE(config::is_dns1123_label(std::string(54, 'a'), 53));
  CHECK(config::dns1123_message("x;y", "contains ';'") ==
        "\"x;y\" is not a DNS-1123 name: contains ';'");
}
