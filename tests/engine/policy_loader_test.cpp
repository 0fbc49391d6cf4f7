#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "engine/policy_loader.hpp"

using namespace selfheal::engine;
using namespace std::chrono_literals;

namespace {

PolicyLoad load(const std::string& yaml) {
  return load_policy_string(yaml, "p.yaml");
}

std::string source_dir() {
  const char* d = std::getenv("SELFHEAL_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

// True when some diagnostic sits at `line` on `field` and its message contains `text`.
bool has_error(const PolicyLoad& r, int line, const std::string& field, const std::string& text) {
  for (const auto& e : r.diagnostics.errors()) {
    if (e.line == line && e.field == field && e.message.find(text) != std::string::npos &&
        e.file == "p.yaml") {
      return true;
    }
  }
  return false;
}

std::string all_errors(const PolicyLoad& r) {
  return r.diagnostics.describe();
}

const char* const kSeed = R"(remediation_policy:
  incident_type: high-memory-leak
  detection_signal: OOMKilled
  auto_execute: true
  confidence_threshold: 0.92
  max_attempts: 2
  cooldown_after_action: 10m
  verification_window: 5m
  rollback_if_failed: true
  escalation_channel: pagerduty-p1
)";

}  // namespace

TEST_CASE("the seed policy loads verbatim with its values", "[policy]") {
  auto r = load(kSeed);
  INFO(all_errors(r));
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.policies);
  REQUIRE(r.policies->policies.size() == 1);
  const Policy& p = r.policies->policies[0];
  CHECK(p.incident_type == "memory-leak");
  CHECK(p.detection_signal == "OOMKilled");
  CHECK(p.auto_execute);
  CHECK(p.confidence_threshold == Approx(0.92));
  CHECK(p.max_attempts == 2);
  CHECK(p.cooldown == 10min);
  CHECK(p.verification_window == 5min);
  CHECK(p.rollback_if_failed);
  CHECK(p.escalation_channel == "pagerduty-p1");
  CHECK(p.source_line == 2);
  // No action named: the memory-leak default (a rolling restart) applies, and lint says so.
  CHECK(p.action_defaulted);
  REQUIRE(p.actions.size() == 1);
  CHECK(p.actions[0].kind == ActionKind::kRestart);
  bool noted = false;
  for (const auto& n : r.notes) {
    if (n.find("default") != std::string::npos && n.find("restart") != std::string::npos) {
      noted = true;
    }
  }
  CHECK(noted);
  // The seed's name and the canonical name both find it.
  CHECK(r.policies->find("high-memory-leak") == &p);
  CHECK(r.policies->find("memory-leak") == &p);
  CHECK(r.policies->find("cpu-spike") == nullptr);
}

TEST_CASE("the shipped example policies load", "[policy]") {
  for (const char* name : {"seed.yaml", "full.yaml"}) {
    INFO(name);
    auto r = load_policy_file(source_dir() + "/policies/examples/" + name);
    INFO(r.diagnostics.describe());
    CHECK(r.diagnostics.empty());
    CHECK(r.policies);
  }
}

TEST_CASE("list form with actions and parameters", "[policy]") {
  auto r = load(R"(remediation_policies:
  - incident_type: cpu-spike
    action: {kind: scale, replicas: 6}
    confidence_threshold: 0.85
  - incident_type: bad-deployment
    action: {kind: rollback, revision: 3}
    cooldown: 15m
  - incident_type: traffic-spike
    action: {kind: scale, factor: 2, max_replicas: 10}
  - incident_type: bad-feature-flag
    action: {kind: feature-flag-disable, flag: new-checkout}
  - incident_type: poisoned-cache
    action: cache-purge
  - incident_type: dependency-failure
    action: {kind: traffic-shift, share: 0.5, to: eu-west}
  - incident_type: consumer-stall
    actions: [restart, rollback, page]
)");
  INFO(all_errors(r));
  REQUIRE(r.policies);
  const auto& ps = *r.policies;
  REQUIRE(ps.policies.size() == 7);
  const Policy* cpu = ps.find("cpu-spike");
  REQUIRE(cpu != nullptr);
  CHECK(cpu->actions[0].kind == ActionKind::kScale);
  CHECK(cpu->actions[0].replicas == 6);
  CHECK_FALSE(cpu->action_defaulted);
  CHECK(cpu->confidence_threshold == Approx(0.85));
  CHECK(cpu->source_line == 2);
  const Policy* bad = ps.find("bad-deployment");
  CHECK(bad->actions[0].revision == 3);
  CHECK(bad->cooldown == 15min);
  const Policy* traffic = ps.find("traffic-spike");
  CHECK(traffic->actions[0].factor == Approx(2.0));
  CHECK(traffic->actions[0].max_replicas == 10);
  CHECK(ps.find("bad-feature-flag")->actions[0].flag == "new-checkout");
  CHECK(ps.find("poisoned-cache")->actions[0].kind == ActionKind::kCachePurge);
  const ActionSpec& shift = ps.find("dependency-failure")->actions[0];
  CHECK(shift.kind == ActionKind::kTrafficShift);
  CHECK(shift.traffic_share == Approx(0.5));
  CHECK(shift.to == "eu-west");
  const Policy* stall = ps.find("consumer-stall");
  REQUIRE(stall->actions.size() == 3);
  CHECK(stall->actions[0].kind == ActionKind::kRestart);
  CHECK(stall->actions[1].kind == ActionKind::kRollback);
  CHECK(stall->actions[2].kind == ActionKind::kPage);
  // Defaults for what the file leaves out.
  CHECK(cpu->max_attempts == 1);
  CHECK(cpu->cooldown == 10min);
  CHECK(cpu->verification_window == 5min);
  CHECK_FALSE(cpu->auto_execute);
  CHECK(ps.settings.mode == Mode::kAuto);
}

TEST_CASE("an unknown key is reported with a did-you-mean suggestion", "[policy]") {
  auto r = load(R"(remediation_policy:
  incident_type: memory-leak
  confidense_threshold: 0.9
)");
  CHECK_FALSE(r.policies);
  REQUIRE(r.diagnostics.size() == 1);
  const auto& e = r.diagnostics.errors()[0];
  CHECK(e.line == 3);
  CHECK(e.column == 3);
  CHECK(e.field == "remediation_policy.confidense_threshold");
  CHECK_THAT(e.message, Catch::Contains("did you mean \"confidence_threshold\"?"));
  CHECK_THAT(e.describe(), Catch::StartsWith("p.yaml:3:3: remediation_policy.confidense_threshold: "
                                             "unknown key"));
}

TEST_CASE("thresholds, penalties and shares outside [0, 1] are errors", "[policy]") {
  auto r = load(R"(remediation_policies:
  - incident_type: memory-leak
    confidence_threshold: 1.2
  - incident_type: cpu-spike
    confidence_threshold: -0.1
    planned_events: {confidence_penalty: 1.5}
  - incident_type: bad-deployment
    action: {kind: traffic-shift, share: 2, to: eu-west}
    dependency_precheck: {max_upstream_error_rate: 7}
)");
  INFO(all_errors(r));
  CHECK_FALSE(r.policies);
  CHECK(has_error(r, 3, "remediation_policies[0].confidence_threshold",
                  "must be between 0 and 1, got 1.2"));
  CHECK(has_error(r, 5, "remediation_policies[1].confidence_threshold",
                  "must be between 0 and 1, got -0.1"));
  CHECK(has_error(r, 6, "remediation_policies[1].planned_events.confidence_penalty",
                  "between 0 and 1"));
  CHECK(has_error(r, 8, "remediation_policies[2].action.share", "between 0 and 1"));
  CHECK(has_error(r, 9, "remediation_policies[2].dependency_precheck.max_upstream_error_rate",
                  "between 0 and 1"));
}

TEST_CASE("negative or malformed durations are errors with parse_duration's message", "[policy]") {
  auto r = load(R"(remediation_policies:
  - incident_type: memory-leak
    cooldown_after_action: -5m
    verification_window: 5 minutes
  - incident_type: cpu-spike
    cooldown: 10
    verification_window: 0s
engine:
  limits: {rate_window: 1.5h}
)");
  INFO(all_errors(r));
  CHECK_FALSE(r.policies);
  CHECK(has_error(r, 3, "remediation_policies[0].cooldown_after_action", "cannot carry a sign"));
  CHECK(has_error(r, 4, "remediation_policies[0].verification_window", "spaces are not allowed"));
  CHECK(has_error(r, 6, "remediation_policies[1].cooldown", "has no unit"));
  CHECK(has_error(r, 7, "remediation_policies[1].verification_window", "longer than 0s"));
  CHECK(has_error(r, 9, "engine.limits.rate_window", "fractions are not allowed"));
  CHECK(r.diagnostics.size() == 5);
}

TEST_CASE("unknown actions are errors with a suggestion", "[policy]") {
  auto r = load(R"(remediation_policies:
  - incident_type: memory-leak
    action: restrat
  - incident_type: bad-deployment
    actions: [rollback, {kind: rolback}, reboot]
  - incident_type: cpu-spike
    action: {kind: scale, replicas: 6}
    planned_events: {approval_required_for: [scael]}
)");
  INFO(all_errors(r));
  CHECK_FALSE(r.policies);
  CHECK(has_error(r, 3, "remediation_policies[0].action", "did you mean \"restart\"?"));
  CHECK(has_error(r, 5, "remediation_policies[1].actions[1].kind", "did you mean \"rollback\"?"));
  CHECK(has_error(r, 5, "remediation_policies[1].actions[2]", "unknown action \"reboot\""));
  CHECK(has_error(r, 8, "remediation_policies[2].planned_events.approval_required_for[0]",
                  "did you mean \"scale\"?"));
}

TEST_CASE("max_attempts below 1 and wrong types are errors", "[policy]") {
  auto r = load(R"(remediation_policy:
  incident_type: memory-leak
  max_attempts: 0
  confidence_threshold: high
  auto_execute: maybe
  escalation_channel: [a, b]
  risk: extreme
)");
  INFO(all_errors(r));
  CHECK_FALSE(r.policies);
  CHECK(has_error(r, 3, "remediation_policy.max_attempts", "must be at least 1, got 0"));
  CHECK(has_error(r, 4, "remediation_policy.confidence_threshold",
                  "expected a number, got \"high\""));
  CHECK(has_error(r, 5, "remediation_policy.auto_execute", "expected true or false"));
  CHECK(has_error(r, 6, "remediation_policy.escalation_channel", "got a list"));
  CHECK(has_error(r, 7, "remediation_policy.risk", "unknown risk class \"extreme\""));
  auto frac = load("remediation_policy: {incident_type: memory-leak, max_attempts: 2.5}\n");
  CHECK(frac.diagnostics.size() == 1);
  CHECK_THAT(frac.diagnostics.errors()[0].message, Catch::Contains("whole number"));
}

TEST_CASE("duplicate incident types name both lines", "[policy]") {
  auto r = load(R"(remediation_policies:
  - incident_type: memory-leak
    action: restart
  - incident_type: cpu-spike
    action: {kind: scale, replicas: 4}
  - incident_type: high-memory-leak
    action: restart
)");
  INFO(all_errors(r));
  CHECK_FALSE(r.policies);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(has_error(r, 6, "remediation_policies[2].incident_type",
                  "duplicate incident type `memory-leak`: remediation_policies[0] at line 2"));
}

TEST_CASE("a scale without bounds is an error", "[policy]") {
  auto r = load(R"(remediation_policies:
  - incident_type: cpu-spike
    action: scale
  - incident_type: traffic-spike
    action: {kind: scale, factor: 2}
  - incident_type: consumer-stall
    action: {kind: scale}
  - incident_type: pod-loss
    action: {kind: scale, replicas: 0}
)");
  INFO(all_errors(r));
  CHECK_FALSE(r.policies);
  CHECK(has_error(r, 3, "remediation_policies[0].action", "scale without bounds"));
  CHECK(has_error(r, 5, "remediation_policies[1].action", "add `max_replicas`"));
  CHECK(has_error(r, 7, "remediation_policies[2].action", "scale without bounds"));
  CHECK(has_error(r, 9, "remediation_policies[3].action.replicas", "at least 1"));
}

TEST_CASE("parameters must belong to the action kind", "[policy]") {
  auto r = load(R"(remediation_policy:
  incident_type: memory-leak
  action: {kind: restart, replicas: 3}
)");
  INFO(all_errors(r));
  CHECK(has_error(r, 3, "remediation_policy.action.replicas", "does not apply to restart"));
  auto flag = load(R"(remediation_policy:
  incident_type: bad-feature-flag
)");
  CHECK(has_error(flag, 2, "remediation_policy.action", "name the flag"));
  auto ladder = load(R"(remediation_policy:
  incident_type: bad-deployment
  actions: [rollback, page, restart]
)");
  CHECK(has_error(ladder, 3, "remediation_policy.actions[1]", "must be the last step"));
}

TEST_CASE("YAML syntax errors carry the parser's position", "[policy]") {
  auto r = load("remediation_policy:\n  incident_type: [memory-leak\n  max_attempts: 2\n");
  CHECK_FALSE(r.policies);
  REQUIRE(r.diagnostics.size() == 1);
  const auto& e = r.diagnostics.errors()[0];
  CHECK_THAT(e.message, Catch::StartsWith("YAML syntax error"));
  CHECK(e.file == "p.yaml");
  CHECK(e.line >= 2);
}

TEST_CASE("a missing file or an empty document is an error, not a crash", "[policy]") {
  auto missing = load_policy_file("/nonexistent/policy.yaml");
  CHECK_FALSE(missing.policies);
  REQUIRE(missing.diagnostics.size() == 1);
  CHECK(missing.diagnostics.errors()[0].file == "/nonexistent/policy.yaml");
  CHECK_THAT(missing.diagnostics.errors()[0].message, Catch::Contains("no such file"));
  auto empty = load("");
  CHECK_FALSE(empty.policies);
  CHECK_THAT(empty.diagnostics.describe(), Catch::Contains("remediation_policy"));
  auto wrong_top = load("remediation_polices:\n  - incident_type: memory-leak\n");
  CHECK(has_error(wrong_top, 1, "remediation_polices", "did you mean \"remediation_policies\"?"));
}

TEST_CASE("every problem in a file is reported at once", "[policy]") {
  auto r = load(R"(engine:
  mode: automatic
  limits: {max_concurrent_actions: -1, blast_radius: 1.5}
remediation_policies:
  - incident_type: memory-leak
    confidense_threshold: 0.9
    max_attempts: 0
  - incident_type: cpu-spike
    action: {kind: scale}
    cooldown_after_action: 10 min
  - detection_signal: OOMKilled
)");
  INFO(all_errors(r));
  CHECK_FALSE(r.policies);
  CHECK(has_error(r, 2, "engine.mode", "did you mean \"auto\"?"));
  CHECK(has_error(r, 3, "engine.limits.max_concurrent_actions", "at least 0"));
  CHECK(has_error(r, 3, "engine.limits.blast_radius", "between 0 and 1"));
  CHECK(has_error(r, 6, "remediation_policies[0].confidense_threshold", "did you mean"));
  CHECK(has_error(r, 7, "remediation_policies[0].max_attempts", "at least 1"));
  CHECK(has_error(r, 9, "remediation_policies[1].action", "scale without bounds"));
  CHECK(has_error(r, 10, "remediation_policies[1].cooldown_after_action", "invalid duration"));
  CHECK(has_error(r, 11, "remediation_policies[2].incident_type", "missing `incident_type`"));
  CHECK(r.diagnostics.size() == 8);
  // Reported in file order.
  int last = 0;
  for (const auto& e : r.diagnostics.errors()) {
    CHECK(e.line >= last);
    last = e.line;
  }
}

TEST_CASE("engine settings, scope, pre-check, planned events and verification load", "[policy]") {
  auto r = load(R"y(engine:
  mode: shadow
  kill_switch: true
  allowed_namespaces: [prod]
  flap_window: 45m
  limits: {max_concurrent_actions: 2, max_actions_per_window: 5, rate_window: 30m, blast_radius: 0.5}
remediation_policy:
  incident_type: cpu-spike
  action: {kind: scale, replicas: 6}
  risk: medium
  scope: {namespaces: [prod], services: [payment-api, checkout-api], exclude_services: [db]}
  dependency_precheck: true
  planned_events: {confidence_penalty: 0.3, approval_required_for: [scale, restart], kinds: [marketing-campaign]}
  verification:
    - {signal: error_rate, max: 0.02}
    - {signal: ready_ratio, min: 1}
    - {signal: error_rate, back_to_baseline: true}
    - {promql: "sum(rate(x[5m]))", max: 0.05, description: custom}
)y");
  INFO(all_errors(r));
  REQUIRE(r.policies);
  const auto& s = r.policies->settings;
  CHECK(s.mode == Mode::kShadow);
  CHECK(s.kill_switch);
  CHECK(s.allowed_namespaces == std::vector<std::string>{"prod"});
  CHECK(s.flap_window == 45min);
  CHECK(s.limits.max_concurrent_actions == 2);
  CHECK(s.limits.max_actions_per_window == 5);
  CHECK(s.limits.rate_window == 30min);
  CHECK(s.limits.blast_radius == Approx(0.5));
  const Policy& p = r.policies->policies[0];
  CHECK(p.risk == RiskClass::kMedium);
  CHECK(p.scope.namespaces == std::vector<std::string>{"prod"});
  CHECK(p.scope.services == std::vector<std::string>{"payment-api", "checkout-api"});
  CHECK(p.scope.exclude_services == std::vector<std::string>{"db"});
  CHECK(p.dependency_precheck.enabled);
  CHECK(p.dependency_precheck.max_upstream_error_rate == Approx(0.05));
  CHECK(p.planned_events.confidence_penalty == Approx(0.3));
  CHECK(p.planned_events.approval_required_for ==
        std::vector<ActionKind>{ActionKind::kScale, ActionKind::kRestart});
  CHECK(p.planned_events.kinds == std::vector<std::string>{"marketing-campaign"});
  REQUIRE(p.verification.size() == 4);
  CHECK(p.verification[0].signal == SignalName::kErrorRate);
  CHECK(p.verification[0].max == Approx(0.02));
  CHECK(p.verification[1].signal == SignalName::kReadyRatio);
  CHECK(p.verification[1].min == Approx(1.0));
  CHECK(p.verification[2].back_to_baseline);
  CHECK_FALSE(p.verification[3].signal);
  CHECK(p.verification[3].promql == "sum(rate(x[5m]))");
  CHECK(p.verification[3].description == "custom");
}

TEST_CASE("default actions per incident type", "[policy]") {
  CHECK(default_action_for("memory-leak")->kind == ActionKind::kRestart);
  CHECK(default_action_for("high-memory-leak")->kind == ActionKind::kRestart);
  auto cpu = default_action_for("cpu-spike");
  CHECK(cpu->kind == ActionKind::kScale);
  CHECK(cpu->replicas == 6);
  auto bad = default_action_for("bad-deployment");
  CHECK(bad->kind == ActionKind::kRollback);
  CHECK_FALSE(bad->revision);
  auto traffic = default_action_for("traffic-spike");
  CHECK(traffic->factor == Approx(2.0));
  CHECK(traffic->max_replicas == 20);
  CHECK(default_action_for("pod-loss")->kind == ActionKind::kPage);
  CHECK(default_action_for("dependency-failure")->kind == ActionKind::kPage);
  CHECK(default_action_for("poisoned-cache")->kind == ActionKind::kCachePurge);
  CHECK(default_action_for("consumer-stall")->kind == ActionKind::kRestart);
  CHECK_FALSE(default_action_for("bad-feature-flag"));
  CHECK_FALSE(default_action_for("disk-full"));
  auto custom = load("remediation_policy: {incident_type: disk-full}\n");
  CHECK(has_error(custom, 1, "remediation_policy.action", "has no default action"));
}

TEST_CASE("a tab in the indentation is named as the cause of the syntax error", "[policy]") {
  auto r = load("remediation_policy:\n\tincident_type: memory-leak\n");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics.errors()[0].line == 2);
  CHECK_THAT(r.diagnostics.errors()[0].message, Catch::Contains("indented with a tab"));
}

TEST_CASE("anchors and top-level x- keys let policies share settings", "[policy]") {
  auto r = load(R"(x-defaults: &defaults
  auto_execute: true
  max_attempts: 2
remediation_policies:
  - incident_type: memory-leak
    <<: *defaults
  - incident_type: consumer-stall
    <<: *defaults
    action: restart
    max_attempts: 3
)");
  INFO(all_errors(r));
  REQUIRE(r.policies);
  const Policy& leak = r.policies->policies[0];
  CHECK(leak.auto_execute);
  CHECK(leak.max_attempts == 2);
  // A key the policy states itself wins over the merged default.
  CHECK(r.policies->policies[1].max_attempts == 3);
  auto bad = load(R"(x-defaults: &defaults
  max_atempts: 2
  cooldown: 5 m
remediation_policies:
  - incident_type: memory-leak
    <<: *defaults
  - incident_type: cpu-spike
    <<: [*defaults]
    action: {kind: scale, replicas: 6}
)");
  INFO(all_errors(bad));
  CHECK(has_error(bad, 2, "remediation_policies[0].max_atempts", "did you mean \"max_attempts\"?"));
  CHECK(has_error(bad, 3, "remediation_policies[0].cooldown", "spaces are not allowed"));
  CHECK(has_error(bad, 3, "remediation_policies[1].cooldown", "spaces are not allowed"));
  auto plain = load(R"(x-channel: &channel pagerduty-p1
remediation_policy:
  incident_type: memory-leak
  escalation_channel: *channel
)");
  INFO(all_errors(plain));
  REQUIRE(plain.policies);
  CHECK(plain.policies->policies[0].escalation_channel == "pagerduty-p1");
}

TEST_CASE("an unknown key with no close match lists the keys allowed there", "[policy]") {
  auto r = load("remediation_policy:\n  incident_type: memory-leak\n  owner: team-a\n");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(has_error(r, 3, "remediation_policy.owner", "known keys: incident_type"));
}

TEST_CASE("duplicate keys in one map are errors", "[policy]") {
  auto r = load(
      "remediation_policy:\n  incident_type: memory-leak\n  max_attempts: 2\n  max_attempts: "
      "3\n");
  CHECK(has_error(r, 4, "remediation_policy.max_attempts", "first given at line 3"));
}

TEST_CASE("a quoted threshold and a negative zero are refused", "[policy][hardening]") {
  auto r = load(R"(remediation_policies:
  - incident_type: memory-leak
    confidence_threshold: '0.9'
  - incident_type: cpu-spike
    confidence_threshold: -0
  - incident_type: pod-loss
    max_attempts: "3"
)");
  INFO(all_errors(r));
  CHECK_FALSE(r.policies);
  CHECK(
      has_error(r, 3, "remediation_policies[0].confidence_threshold",
                "expected a number, got \"0.9\" (a quoted value is a string; remove the quotes)"));
  CHECK(has_error(r, 5, "remediation_policies[1].confidence_threshold",
                  "must be between 0 and 1, got -0"));
  CHECK(has_error(r, 7, "remediation_policies[2].max_attempts", "expected a whole number"));
}

TEST_CASE("a negative verification bound on a signal that is never negative is refused",
          "[policy][hardening]") {
  auto r = load(R"(remediation_policy:
  incident_type: memory-leak
  verification:
    - {signal: error_rate, max: -1}
    - {signal: restarts, min: -0.5}
    - {signal: queue_lag_trend, max: -10}
)");
  INFO(all_errors(r));
  CHECK_FALSE(r.policies);
  CHECK(has_error(r, 4, "remediation_policy.verification[0].max",
                  "must be at least 0 (error_rate is never negative), got -1"));
  CHECK(has_error(r, 5, "remediation_policy.verification[1].min", "must be at least 0"));
  // A trend may fall: a negative bound there is meaningful.
  CHECK(r.diagnostics.size() == 2);
}

TEST_CASE("flap_window defaults to off and is checked", "[policy][flapping]") {
  auto ok = load("remediation_policy: {incident_type: memory-leak, action: restart}\n");
  REQUIRE(ok.policies);
  CHECK(ok.policies->settings.flap_window == 0s);
  auto bad = load(
      "engine: {flap_window: soon}\nremediation_policy: {incident_type: memory-leak, action: "
      "restart}\n");
  INFO(all_errors(bad));
  CHECK_FALSE(bad.policies);
  CHECK(std::any_of(bad.diagnostics.errors().begin(), bad.diagnostics.errors().end(),
                    [](const auto& e) { return e.line == 1 && e.field == "engine.flap_window"; }));
}

TEST_CASE("a policy file that is not UTF-8 is refused with its line, not loaded",
          "[policy][loader]") {
  // Loaded, the byte reached `selfheal decide`'s JSON output, where nlohmann::json threw.
  const auto r =
      load("remediation_policy:\n  incident_type: memory-leak\n  escalation_channel: pager\xFF\n");
  CHECK_FALSE(r.policies);
  CHECK(has_error(r, 3, "", "invalid UTF-8 (byte 0xFF)"));
}
