#include <catch2/catch.hpp>

#include "engine/time_text.hpp"
#include "history/history.hpp"

namespace h = selfheal::history;
using selfheal::engine::parse_time;

namespace {

h::History sample() {
  h::History x;
  x.sources = {"webhook-log:am.log"};
  h::Alert a;
  a.alertname = "OOMKilled";
  a.fingerprint = "b2";
  a.service = "payment-api";
  a.ns = "prod";
  a.labels = {{"alertname", "OOMKilled"}, {"service", "payment-api"}, {"namespace", "prod"}};
  a.annotations = {{"incident_type", "memory-leak"}, {"confidence", "0.95"}};
  a.firings = {{*parse_time("2026-11-27T18:00:00Z"), *parse_time("2026-11-27T18:20:00Z")},
               {*parse_time("2026-11-27T20:00:00Z"), std::nullopt}};
  h::Alert b = a;
  b.fingerprint = "a1";
  b.firings = {{*parse_time("2026-11-27T17:00:00Z"), *parse_time("2026-11-27T17:05:00Z")}};
  x.alerts = {a, b};
  h::normalise(x);
  return x;
}

}  // namespace

TEST_CASE("history: normalise sorts and covers, and the file reads back identical", "[history]") {
  const h::History x = sample();
  REQUIRE(x.alerts.front().fingerprint == "a1");
  CHECK(x.from == *parse_time("2026-11-27T17:00:00Z"));
  CHECK(x.until == *parse_time("2026-11-27T20:00:00Z"));
  const std::string text = h::to_json_text(x);
  selfheal::core::Diagnostics d;
  auto back = h::parse_history(text, "h.json", d);
  REQUIRE(back);
  CHECK(h::to_json_text(*back) == text);
  CHECK_FALSE(back->alerts[1].firings[1].end.has_value());
}

TEST_CASE("history: unknown keys, overlapping firings and bad times are located errors",
          "[history]") {
  std::string text = h::to_json_text(sample());
  SECTION("unknown key with did-you-mean") {
    text.replace(text.find("\"firings\""), 9, "\"firing\"");
    selfheal::core::Diagnostics d;
    CHECK_FALSE(h::parse_history(text, "h.json", d));
    CHECK_THAT(d.describe(), Catch::Contains("h.json:") && Catch::Contains("firing"));
  }
  SECTION("overlap") {
    text.replace(text.find("2026-11-27T20:00:00.000Z"), 24, "2026-11-27T18:10:00.000Z");
    selfheal::core::Diagnostics d;
    CHECK_FALSE(h::parse_history(text, "h.json", d));
    CHECK_THAT(d.describe(),
               Catch::Contains("alerts[1].firings[1]") && Catch::Contains("previous firing"));
  }
  SECTION("a time without its zone") {
    text.replace(text.find("2026-11-27T18:20:00.000Z"), 24, "2026-11-27T18:20:00");
    selfheal::core::Diagnostics d;
    CHECK_FALSE(h::parse_history(text, "h.json", d));
    CHECK_THAT(d.describe(), Catch::Contains("alerts[1].firings[0].end"));
  }
}
