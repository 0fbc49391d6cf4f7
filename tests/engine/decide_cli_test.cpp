// `selfheal decide`: the seed's remediate() as a command.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"

namespace cli = selfheal::cli;
using nlohmann::json;

namespace {

struct Run {
  int rc;
  std::string out;
  std::string err;
  json doc() const { return json::parse(out); }
};

Run decide(std::vector<std::string> args) {
  std::vector<const char*> argv{"selfheal", "decide"};
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int rc = cli::dispatch(static_cast<int>(argv.size()), argv.data(), cli::Io{out, err});
  return {rc, out.str(), err.str()};
}

// A fresh temporary directory, removed with the object.
class TempDir {
 public:
  TempDir() {
    dir_ = std::filesystem::temp_directory_path() /
           ("selfheal-decide-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

const char* kSeedPolicies = R"(remediation_policies:
  - incident_type: cpu-spike
    action: {kind: scale, replicas: 6}
    auto_execute: true
    confidence_threshold: 0.85
  - incident_type: high-memory-leak
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

TEST_CASE("decide: seed exercise 1 through the command", "[decide]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const auto incident = tmp.write(
      "incident.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "confidence": 0.61})");
  const Run r = decide({"--policy", policy, "--incident", incident});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const json j = r.doc();
  CHECK(j["status"] == "low-confidence");
  CHECK(j["escalate"] == true);
  CHECK(j["suggested_action"] == "kubectl scale deployment/payment-api -n prod --replicas=6");
  CHECK(j["argv"] ==
        json::array({"kubectl", "scale", "deployment/payment-api", "-n", "prod", "--replicas=6"}));
  CHECK(j["guardrail"] == "confidence");
  CHECK(j["classification"]["incident_type"] == "cpu-spike");
  CHECK(j["dry_run"] == true);
  CHECK_FALSE(j.contains("action"));
}

TEST_CASE("decide: --state carries a cooldown across calls", "[decide]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const auto incident = tmp.write(
      "incident.json",
      R"({"incident_type": "high-memory-leak", "service": "payment-api", "namespace": "prod",
          "confidence": 0.95, "alertname": "OOMKilled", "signals": {"oom_kills": 3}})");
  const auto state = tmp.path("state.json");

  const Run first = decide({"--policy", policy, "--incident", incident, "--state", state, "--now",
                            "2026-11-27T18:00:00Z"});
  INFO(first.err);
  REQUIRE(first.rc == 0);
  CHECK(first.doc()["status"] == "executed");
  CHECK(first.doc()["action"] == "kubectl rollout restart deployment/payment-api -n prod");
  REQUIRE(std::filesystem::exists(state));

  const Run second = decide({"--policy", policy, "--incident", incident, "--state", state, "--now",
                             "2026-11-27T18:04:00Z"});
  REQUIRE(second.rc == 0);
  CHECK(second.doc()["status"] == "cooldown-active");

  // Without the state file the engine would not remember.
  const Run stateless =
      decide({"--policy", policy, "--incident", incident, "--now", "2026-11-27T18:04:00Z"});
  CHECK(stateless.doc()["status"] == "executed");

  // After the cooldown: the second (last allowed) attempt, then escalate-only.
  CHECK(decide({"--policy", policy, "--incident", incident, "--state", state, "--now",
                "2026-11-27T18:11:00Z"})
            .doc()["status"] == "executed");
  const Run third = decide({"--policy", policy, "--incident", incident, "--state", state, "--now",
                            "2026-11-27T18:30:00Z"});
  CHECK(third.doc()["status"] == "max-attempts-reached");
  CHECK(third.doc()["escalate"] == true);

  std::ifstream in(state);
  const json saved = json::parse(in);
  REQUIRE(saved["targets"].size() == 1);
  CHECK(saved["targets"][0]["attempts"] == 2);
  CHECK(saved["targets"][0]["escalate_only"] == true);
  CHECK(saved["targets"][0]["last_action_at"] == "2026-11-27T18:11:00.000Z");
}

TEST_CASE("decide: an unknown incident type is no-policy, not an error", "[decide]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const auto incident = tmp.write(
      "incident.json",
      R"({"incident_type": "cpu-spik", "service": "payment-api", "namespace": "prod", "confidence": 0.99})");
  const Run r = decide({"--policy", policy, "--incident", incident});
  REQUIRE(r.rc == 0);
  CHECK(r.doc()["status"] == "no-policy");
  CHECK(r.doc()["escalate"] == true);
}

TEST_CASE("decide: planned events, upstreams and signals come from the incident", "[decide]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", R"(remediation_policies:
  - incident_type: cpu-spike
    action: {kind: scale, replicas: 20}
    auto_execute: true
    confidence_threshold: 0.85
  - incident_type: application-crash
    action: restart
    auto_execute: true
    confidence_threshold: 0.9
    dependency_precheck: true
)");
  const auto campaign = tmp.write("campaign.json", R"({
    "incident_type": "cpu-spike", "service": "checkout-api", "namespace": "prod",
    "confidence": 0.91, "time": "2026-11-27T18:00:00Z",
    "active_events": [{"name": "spring-campaign", "kind": "marketing-campaign",
                       "start": "2026-11-27T17:00:00Z", "end": "2026-11-27T20:00:00Z"}]})");
  const Run r = decide({"--policy", policy, "--incident", campaign});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK(r.doc()["status"] == "approval-required");
  CHECK(r.doc()["confidence"].get<double>() == Approx(0.51));

  const auto db = tmp.write("db.json", R"({
    "incident_type": "application-crash", "service": "payment-api", "namespace": "prod",
    "confidence": 0.95,
    "upstreams": [{"service": "payments-db", "healthy": false, "error_rate": 0.82}]})");
  const Run d = decide({"--policy", policy, "--incident", db});
  REQUIRE(d.rc == 0);
  CHECK(d.doc()["status"] == "dependency-failure");
  CHECK(d.doc()["upstream"]["name"] == "payments-db");
  CHECK(d.doc()["escalations"][0]["upstream"]["name"] == "payments-db");
}

TEST_CASE("decide: bad input exits 2 naming the file, position and field", "[decide]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);

  const auto malformed =
      tmp.write("bad.json", "{\n  \"incident_type\": \"cpu-spike\",\n  \"service\" \"x\"\n}");
  const Run m = decide({"--policy", policy, "--incident", malformed});
  CHECK(m.rc == 2);
  CHECK(m.err.find("bad.json:3:") != std::string::npos);
  CHECK(m.err.find("malformed JSON") != std::string::npos);
  CHECK(m.out.empty());

  const auto missing =
      tmp.write("missing.json",
                R"({"incident_type": "cpu-spike", "service": "payment-api", "confidense": 0.6})");
  const Run f = decide({"--policy", policy, "--incident", missing});
  CHECK(f.rc == 2);
  CHECK(f.err.find("namespace") != std::string::npos);
  CHECK(f.err.find("confidence") != std::string::npos);
  CHECK(f.err.find("did you mean \"confidence\"") != std::string::npos);

  const auto range = tmp.write(
      "range.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "confidence": 1.5})");
  CHECK(decide({"--policy", policy, "--incident", range}).rc == 2);

  // A planned event that ends before it starts is a typo, not an event that is never active.
  const auto reversed =
      tmp.write("reversed.json",
                R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod",
          "confidence": 0.6, "active_events": [{"name": "sale", "kind": "marketing-campaign",
          "start": "2026-01-05T10:00:00Z", "end": "2026-01-05T09:00:00Z"}]})");
  const Run rev = decide({"--policy", policy, "--incident", reversed});
  CHECK(rev.rc == 2);
  CHECK(rev.err.find("reversed.json:3:44: active_events[0].end: must be after start") !=
        std::string::npos);
  CHECK(rev.out.empty());

  const auto ok = tmp.write(
      "ok.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "confidence": 0.6})");
  CHECK(decide({"--policy", tmp.path("nope.yaml"), "--incident", ok}).rc == 2);
  CHECK(decide({"--policy", policy, "--incident", tmp.path("nope.json")}).rc == 2);
  CHECK(decide({"--policy", policy, "--incident", ok, "--now", "tomorrow"}).rc == 2);
  CHECK(decide({"--incident", ok}).rc == 2);

  const auto state = tmp.write("state.json", "{\"targets\": [{\"name\": 3}]}");
  const Run s = decide({"--policy", policy, "--incident", ok, "--state", state});
  CHECK(s.rc == 2);
  CHECK(s.err.find("state.json") != std::string::npos);
}

TEST_CASE("decide --help describes the command", "[decide]") {
  const Run r = decide({"--help"});
  CHECK(r.rc == 0);
  CHECK((r.out + r.err).find("--incident") != std::string::npos);
}

TEST_CASE("decide: signals without a type run the built-in classifier and show its evidence",
          "[decide][classify]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const auto incident =
      tmp.write("incident.json", R"({"service": "payment-api", "namespace": "prod",
      "alertname": "OOMKilled",
      "signals": {"oom_kills": 3, "memory_utilization": 0.97, "memory_growth_per_hour": 0.3,
                  "error_rate": 0.01, "error_rate_baseline": 0.001}})");
  const Run r =
      decide({"--policy", policy, "--incident", incident, "--now", "2026-11-27T18:00:00Z"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const json j = r.doc();
  CHECK(j["classification"]["source"] == "builtin");
  CHECK(j["classification"]["incident_type"] == "memory-leak");
  CHECK(j["status"] == "executed");
  REQUIRE(j.contains("classifier"));
  const json& c = j["classifier"];
  CHECK(c["incident_type"] == "memory-leak");
  // The posterior covers every type, most likely first, and sums to 1.
  REQUIRE(c["posterior"].size() >= 2);
  CHECK(c["posterior"][0]["incident_type"] == "memory-leak");
  CHECK(c["posterior"][0]["probability"].get<double>() == Approx(c["confidence"].get<double>()));
  double sum = 0;
  for (const auto& p : c["posterior"])
    sum += p["probability"].get<double>();
  CHECK(sum == Approx(1.0));
  // Evidence: known features, the strongest first, with bucket and contribution.
  REQUIRE_FALSE(c["evidence"].empty());
  CHECK(c["evidence"][0]["feature"] == "oom_kills");
  CHECK(c["evidence"][0]["contribution"].get<double>() > 0);
  CHECK(c["evidence"][0].contains("bucket"));
  CHECK(c["evidence"][0].contains("value"));
}

TEST_CASE("decide: an external verdict prints no classifier block", "[decide][classify]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const auto incident = tmp.write(
      "incident.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "confidence": 0.61})");
  const Run r = decide({"--policy", policy, "--incident", incident});
  REQUIRE(r.rc == 0);
  CHECK_FALSE(r.doc().contains("classifier"));
}

TEST_CASE("decide: half a classification, or neither it nor signals, is bad input",
          "[decide][classify]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const auto type_only = tmp.write(
      "a.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "signals": {}})");
  const Run a = decide({"--policy", policy, "--incident", type_only});
  CHECK(a.rc == 2);
  CHECK_THAT(a.err, Catch::Contains("confidence: missing"));
  const auto nothing = tmp.write("b.json", R"({"service": "payment-api", "namespace": "prod"})");
  const Run b = decide({"--policy", policy, "--incident", nothing});
  CHECK(b.rc == 2);
  CHECK_THAT(b.err, Catch::Contains("or signals for the built-in classifier"));
}

TEST_CASE("decide: an overflowing number exits 2 naming the field", "[decide][hardening]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const auto conf = tmp.write(
      "conf.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "confidence": 1e400})");
  const Run c = decide({"--policy", policy, "--incident", conf});
  CHECK(c.rc == 2);
  CHECK(c.err ==
        conf + ":1:93: confidence: the number 1e400 is out of range (larger than any double)\n");

  const auto sig = tmp.write(
      "sig.json",
      "{\"incident_type\": \"cpu-spike\", \"service\": \"payment-api\", \"namespace\": \"prod\",\n"
      " \"confidence\": 0.9, \"signals\": {\"error_rate\": -1e400}}");
  const Run s = decide({"--policy", policy, "--incident", sig});
  CHECK(s.rc == 2);
  CHECK(s.err.find(sig + ":2:47: signals.error_rate: the number -1e400") == 0);

  const auto ok = tmp.write(
      "ok.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "confidence": 0.6})");
  const auto state = tmp.write("state.json",
                               "{\"targets\": [{\"namespace\": \"prod\", \"name\": "
                               "\"x\", \"attempts\": 1e999}]}");
  const Run st = decide({"--policy", policy, "--incident", ok, "--state", state});
  CHECK(st.rc == 2);
  CHECK(st.err.find("targets[0].attempts: the number 1e999") != std::string::npos);
}

TEST_CASE("decide: a wrong type in the state file names the field", "[decide][hardening]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const auto ok = tmp.write(
      "ok.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "confidence": 0.6})");
  const auto state = tmp.write("state.json",
                               "{\"targets\": [\n  {\"namespace\": \"prod\", \"name\": \"x\",\n"
                               "   \"attempts\": \"two\"}]}");
  const Run s = decide({"--policy", policy, "--incident", ok, "--state", state});
  CHECK(s.rc == 2);
  CHECK(s.err ==
        state + ":3:4: targets[0].attempts: expected a whole number, got a string \"two\"\n");
  // The state was not rewritten.
  std::ifstream in(state);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}).find("\"two\"") != std::string::npos);
}

TEST_CASE("decide: a directory given as a file says so", "[decide][hardening]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const Run r = decide({"--policy", policy, "--incident", tmp.path("")});
  CHECK(r.rc == 2);
  CHECK(r.err.find("is a directory, not a file") != std::string::npos);
  CHECK(r.err.find("malformed JSON") == std::string::npos);
  const auto ok = tmp.write(
      "ok.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "confidence": 0.6})");
  const Run st = decide({"--policy", policy, "--incident", ok, "--state", tmp.path("")});
  CHECK(st.rc == 2);
  CHECK(st.err.find("is a directory, not a file") != std::string::npos);
}

TEST_CASE("decide: a duplicate JSON key is refused naming the key and line",
          "[decide][hardening]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const auto dup = tmp.write(
      "dup.json",
      "{\"incident_type\": \"cpu-spike\", \"service\": \"payment-api\", \"namespace\": \"prod\",\n"
      " \"confidence\": 0.6,\n \"confidence\": 0.99}");
  const Run r = decide({"--policy", policy, "--incident", dup});
  CHECK(r.rc == 2);
  CHECK(r.err == dup + ":3:2: confidence: duplicate key \"confidence\" (first given at line 2)\n");
}

TEST_CASE("decide: confidence just below the threshold prints the digits that differ",
          "[decide][hardening]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const auto below = tmp.write(
      "below.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "confidence": 0.8499999999999999})");
  const Run r = decide({"--policy", policy, "--incident", below});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK(r.doc()["status"] == "low-confidence");
  CHECK(r.doc()["reason"] == "confidence 0.8499999999999999 < threshold 0.85");
  // Two decimals when they tell the values apart.
  const auto low = tmp.write(
      "low.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "confidence": 0.61})");
  CHECK(decide({"--policy", policy, "--incident", low}).doc()["reason"] ==
        "confidence 0.61 < threshold 0.85");
}

TEST_CASE("decide: a suggested action that cannot be rendered is omitted, not empty",
          "[decide][hardening]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", R"(remediation_policy:
  incident_type: cpu-spike
  action: {kind: scale, factor: 2, max_replicas: 10}
  confidence_threshold: 0.85
)");
  // No desired_replicas signal: a factor cannot become a replica count.
  const auto incident = tmp.write(
      "incident.json",
      R"({"incident_type": "cpu-spike", "service": "payment-api", "namespace": "prod", "confidence": 0.5})");
  const Run r = decide({"--policy", policy, "--incident", incident});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const json j = r.doc();
  CHECK(j["status"] == "low-confidence");
  CHECK_FALSE(j.contains("suggested_action"));
  CHECK(j.contains("suggested_action_spec"));
  CHECK(j["reason"].get<std::string>().find("cannot be rendered") != std::string::npos);
}

TEST_CASE("decide --state refuses a recurring fault from the file's history and keeps it",
          "[decide][recurrence]") {
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", R"(remediation_policies:
  - incident_type: memory-leak
    action: restart
    auto_execute: true
)");
  const auto incident =
      tmp.write("incident.json", R"({"service": "report-worker", "namespace": "prod",
          "incident_type": "memory-leak", "confidence": 0.97})");
  // Three restarts verified within the last 6h (as `selfheal serve` would have recorded).
  const auto state = tmp.write("state.json", R"({"version": 1, "targets": [
    {"namespace": "prod", "name": "report-worker", "last_action_at": "2026-11-27T17:00:00Z",
     "remediations": [
      {"at": "2026-11-27T15:05:30Z", "policy": "memory-leak", "action": {"kind": "restart"}, "action_id": 1},
      {"at": "2026-11-27T16:05:30Z", "policy": "memory-leak", "action": {"kind": "restart"}, "action_id": 2},
      {"at": "2026-11-27T17:05:30Z", "policy": "memory-leak", "action": {"kind": "restart"}, "action_id": 3}]}]})");
  const Run r = decide({"--policy", policy, "--incident", incident, "--state", state, "--now",
                        "2026-11-27T18:00:00Z"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK(r.doc()["status"] == "max-attempts-reached");
  CHECK(r.doc()["guardrail"] == "recurrence");
  CHECK(r.doc()["escalate"] == true);
  CHECK_THAT(r.doc()["reason"].get<std::string>(),
             Catch::Contains("restart #1 verified at 2026-11-27T15:05:30.000Z"));
  std::ifstream in(state);
  const json saved = json::parse(in);
  CHECK(saved["targets"][0]["remediations"].size() == 3);  // rewritten, history kept

  // Once the first has left the 6h window, the restart is automated again.
  CHECK(decide({"--policy", policy, "--incident", incident, "--state", state, "--now",
                "2026-11-27T21:06:00Z"})
            .doc()["status"] == "executed");
}

namespace decide_cli_test {

TEST_CASE("decide: a service or namespace that is no DNS-1123 name is bad input, exit 2",
          "[decide][hardening]") {
  // It was accepted (exit 0, a decision "cannot render the action"); serve rejects it at
  // the webhook, and a name that reaches argv passes the one check in config/names.
  TempDir tmp;
  const auto policy = tmp.write("policy.yaml", kSeedPolicies);
  const auto bad = tmp.write(
      "bad.json",
      R"({"incident_type": "cpu-spike", "service": "Payment;rm", "namespace": "prod", "confidence": 0.6})");
  const Run r = decide({"--policy", policy, "--incident", bad});
  CHECK(r.rc == 2);
  CHECK(r.err.find("bad.json:1:32: service: \"Payment;rm\" is not a DNS-1123 name: contains "
                   "'P'") != std::string::npos);
  CHECK(r.out.empty());
}

}  // namespace decide_cli_test
