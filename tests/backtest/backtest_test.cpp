#include <catch2/catch.hpp>
#include <sstream>

#include "backtest/backtest.hpp"
#include "backtest/report.hpp"
#include "engine/policy_loader.hpp"
#include "engine/time_text.hpp"

namespace bt = selfheal::backtest;
namespace h = selfheal::history;
using selfheal::engine::parse_time;

namespace {

constexpr const char* kRestartPolicy = R"(
engine: {mode: auto}
remediation_policies:
  - incident_type: memory-leak
    action: restart
    auto_execute: true
    confidence_threshold: 0.9
    max_attempts: 2
    cooldown_after_action: 10m
    verification_window: 5m
    escalation_channel: pagerduty-p1
)";

selfheal::engine::PolicySet policy(const std::string& yaml) {
  auto load = selfheal::engine::load_policy_string(yaml, "policy.yaml");
  INFO(load.diagnostics.describe());
  REQUIRE(load.policies);
  return *load.policies;
}

h::Alert alert(const std::string& fp, const std::string& service, const std::string& start,
               std::optional<std::string> end) {
  h::Alert a;
  a.alertname = "OOMKilled";
  a.fingerprint = fp;
  a.service = service;
  a.ns = "prod";
  a.labels = {{"alertname", "OOMKilled"}, {"service", service}, {"namespace", "prod"}};
  a.annotations = {{"incident_type", "memory-leak"}, {"confidence", "0.95"}};
  a.firings.push_back({*parse_time(start), end ? parse_time(*end) : std::nullopt});
  return a;
}

h::History history(std::vector<h::Alert> alerts) {
  h::History x;
  x.sources = {"test"};
  x.alerts = std::move(alerts);
  h::normalise(x);
  return x;
}

}  // namespace

TEST_CASE("backtest: a firing is sent when it starts, every repeat interval, and resolved",
          "[backtest]") {
  auto hist = history({alert("a1", "payment-api", "2026-11-27T00:00:00Z", "2026-11-27T09:00:00Z")});
  auto r = bt::run(hist, policy(kRestartPolicy), {});
  REQUIRE(r.incidents.size() == 1);
  CHECK(r.incidents[0].notifications == 4);  // 00:00, 04:00, 08:00, resolved 09:00
  bt::Options fast;
  fast.repeat_interval = std::chrono::hours{1};
  CHECK(bt::run(hist, policy(kRestartPolicy), fast).incidents[0].notifications == 10);
}

TEST_CASE("backtest: the engine acts once, and what follows verification is conditional",
          "[backtest]") {
  auto r =
      bt::run(history({alert("a1", "payment-api", "2026-11-27T18:00:00Z", "2026-11-27T18:20:00Z")}),
              policy(kRestartPolicy), {});
  REQUIRE(r.incidents.size() == 1);
  const auto& inc = r.incidents[0];
  REQUIRE_FALSE(inc.actions.empty());
  CHECK(inc.actions[0].at == *parse_time("2026-11-27T18:00:00Z"));
  CHECK_THAT(inc.actions[0].command, Catch::Contains("rollout restart"));
  CHECK_FALSE(inc.actions[0].conditional);
  // Verification at 18:05 has no data: everything after it depends on it.
  bool saw_verification = false;
  for (const auto& d : inc.decisions) {
    if (d.kind == selfheal::engine::AuditKind::kVerification) {
      saw_verification = true;
      CHECK_THAT(d.reason, Catch::Contains("no data"));
    }
  }
  CHECK(saw_verification);
  for (const auto& a : inc.actions)
    if (a.at > *parse_time("2026-11-27T18:05:00Z")) CHECK(a.conditional);
  for (const auto& p : inc.pages)
    CHECK(p.conditional);
  std::ostringstream text;
  bt::write_text(text, r, nullptr);
  CHECK_THAT(text.str(), Catch::Contains("open loop") && Catch::Contains("conditional"));
}

TEST_CASE("backtest: guardrails run: shadow mode and the kill switch act on nothing",
          "[backtest]") {
  auto hist = history({alert("a1", "payment-api", "2026-11-27T18:00:00Z", "2026-11-27T18:20:00Z")});
  bt::Options shadow;
  shadow.mode = selfheal::engine::Mode::kShadow;
  auto s = bt::run(hist, policy(kRestartPolicy), shadow);
  CHECK(s.totals.actions == 0);
  CHECK(s.totals.outcomes.at("shadow") == 1);
  std::string killed = kRestartPolicy;
  killed.replace(killed.find("{mode: auto}"), 12, "{mode: auto, kill_switch: true}");
  auto k = bt::run(hist, policy(killed), {});
  CHECK(k.totals.actions == 0);
  CHECK(k.totals.outcomes.count("kill-switch") == 1);
}

TEST_CASE("backtest: the cooldown holds a second firing and actions per target-hour are counted",
          "[backtest]") {
  auto hist = history({alert("a1", "payment-api", "2026-11-27T18:00:00Z", "2026-11-27T18:02:00Z"),
                       alert("a2", "payment-api", "2026-11-27T18:03:00Z", "2026-11-27T18:04:00Z"),
                       alert("a3", "payment-api", "2026-11-27T18:30:00Z", "2026-11-27T18:31:00Z")});
  auto r = bt::run(hist, policy(kRestartPolicy), {});
  CHECK(r.totals.outcomes.at("cooldown-active") >= 1);
  CHECK(r.totals.actions == 2);  // 18:00 and 18:30; 18:03 is inside the 10m cooldown
  CHECK(r.totals.max_actions_per_target_hour == 2);
  CHECK(r.totals.max_actions_target == "prod/payment-api");
}

TEST_CASE("backtest: alerts without a target or with a bad confidence are listed, not replayed",
          "[backtest]") {
  auto a = alert("a1", "payment-api", "2026-11-27T18:00:00Z", std::nullopt);
  auto b = alert("b1", "", "2026-11-27T18:00:00Z", std::nullopt);
  auto c = alert("c1", "checkout", "2026-11-27T18:00:00Z", std::nullopt);
  c.annotations["confidence"] = "high";
  auto r = bt::run(history({a, b, c}), policy(kRestartPolicy), {});
  CHECK(r.incidents.size() == 1);
  REQUIRE(r.unrouted.size() == 2);
  CHECK_THAT(r.unrouted[0], Catch::Contains("b1") && Catch::Contains("no service"));
  CHECK_THAT(r.unrouted[1], Catch::Contains("c1") && Catch::Contains("\"high\""));
}

TEST_CASE("backtest --against: a recommend-only policy removes actions and adds pages",
          "[backtest]") {
  auto hist = history({alert("a1", "payment-api", "2026-11-27T18:00:00Z", "2026-11-27T18:20:00Z")});
  const auto old_r = bt::run(hist, policy(kRestartPolicy), {});
  std::string rec = kRestartPolicy;
  rec.replace(rec.find("auto_execute: true"), 18, "auto_execute: false");
  const auto new_r = bt::run(hist, policy(rec), {});
  const auto changes = bt::compare(old_r, new_r);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].alertname == "OOMKilled");
  CHECK(changes[0].actions_after == 0);
  CHECK(changes[0].actions_removed.size() == changes[0].actions_before);
  CHECK(changes[0].actions_before >= 1);
  CHECK_FALSE(changes[0].pages_added.empty());
  CHECK(bt::compare(old_r, old_r).empty());
  const auto j = bt::to_json(new_r, &changes);
  CHECK(j["changes"][0]["actions_after"] == 0);
}

TEST_CASE("backtest: the same history and policy give byte-identical JSON", "[backtest]") {
  auto hist = history({alert("a1", "payment-api", "2026-11-27T18:00:00Z", "2026-11-27T23:00:00Z"),
                       alert("a2", "checkout", "2026-11-27T19:00:00Z", std::nullopt)});
  const auto one = bt::to_json(bt::run(hist, policy(kRestartPolicy), {}), nullptr).dump();
  const auto two = bt::to_json(bt::run(hist, policy(kRestartPolicy), {}), nullptr).dump();
  CHECK(one == two);
}

TEST_CASE("backtest: the blast radius runs when the namespace size is given, else says so",
          "[backtest]") {
  auto hist = history({alert("a1", "payment-api", "2026-11-27T18:00:00Z", "2026-11-27T18:20:00Z")});
  std::string limited = kRestartPolicy;
  limited.replace(limited.find("{mode: auto}"), 12, "{mode: auto, limits: {blast_radius: 0.25}}");
  bt::Options two;
  two.services_in_namespace = 2;
  auto r = bt::run(hist, policy(limited), two);
  CHECK(r.totals.actions == 0);
  CHECK(r.totals.outcomes.at("rate-limited") == 1);
  auto unknown = bt::run(hist, policy(limited), {});
  CHECK(unknown.totals.actions >= 1);
  CHECK_THAT(unknown.notes.back(), Catch::Contains("blast radius not evaluated"));
}
