// The server in-process over real loopback HTTP: auth, limits, malformed payloads, dedup,
// resolved alerts, the kill switch, restart persistence, escalation delivery, and the
// pieces it is built from (Prometheus responses, PagerDuty events, argv localisation).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "engine/audit_json.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"
#include "engine/policy_loader.hpp"
#include "live/actuator.hpp"
#include "live/http_client.hpp"
#include "live/notifier.hpp"
#include "live/prefetch.hpp"
#include "live/prometheus.hpp"
#include "live/runtime.hpp"
#include "live/server_metrics.hpp"
#include "live/service.hpp"
#include "live/sqlite_state.hpp"
#include "tests/live/serve_harness.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace service_test {

using namespace selfheal;
using namespace selfheal::live;
using namespace selfheal::live::serve_test;
using json = nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("constant-time token comparison", "[live][auth]") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK_FALSE(constant_time_equal("", "a"));
  CHECK(constant_time_equal("", ""));
}

TEST_CASE("a firing alert is decided and audited with the exact kubectl argv (dry-run)",
          "[live][service]") {
  TempDir dir;
  Running s(make_config(dir.path));
  auto r = s.send("POST", "/api/v1/alerts", alert_payload("fp-1"));
  CHECK(r.status == 202);
  CHECK(json::parse(r.body)["accepted"] == 1);
  auto executed = s.decisions(engine::Outcome::kExecuted);
  REQUIRE(executed.size() == 1);
  CHECK(executed[0].argv == std::vector<std::string>{"kubectl", "rollout", "restart",
                                                     "deployment/payment-api", "-n", "prod"});
  // The actuator's result says what would have run, context included, and that it did not.
  bool saw_result = false;
  for (auto& rec : s.svc->store().audit_log()) {
    if (rec.kind != engine::AuditKind::kActionResult) continue;
    saw_result = true;
    CHECK_THAT(rec.detail, Catch::Contains("dry-run: not executed: kubectl --context kind-test "
                                           "rollout restart deployment/payment-api -n prod"));
  }
  CHECK(saw_result);
  auto audit = s.send("GET", "/api/v1/audit?limit=10");
  CHECK(audit.status == 200);
  CHECK(json::parse(audit.body)["records"].size() >= 2);
  auto metrics = s.send("GET", "/metrics", {}, "");
  CHECK_THAT(metrics.body, Catch::Contains("selfheal_decisions_total{outcome=\"executed\"} 1"));
}

TEST_CASE("a duplicate storm gives exactly one action", "[live][service]") {
  TempDir dir;
  Running s(make_config(dir.path));
  for (int i = 0; i < 40; ++i)
    CHECK(s.send("POST", "/api/v1/alerts", alert_payload("fp-storm")).status == 202);
  CHECK(s.decisions(engine::Outcome::kExecuted).size() == 1);
  CHECK(s.decisions(engine::Outcome::kDuplicate).size() == 39);
}

TEST_CASE("bad tokens, huge bodies and malformed payloads are refused, nothing acted on",
          "[live][service]") {
  TempDir dir;
  Running s(make_config(dir.path));
  CHECK(s.send("POST", "/api/v1/alerts", alert_payload("fp-a"), "").status == 401);
  CHECK(s.send("POST", "/api/v1/alerts", alert_payload("fp-a"), "wrong-token-0123456789").status ==
        401);
  CHECK(s.send("POST", "/api/v1/alerts", alert_payload("fp-a"), std::string(kToken) + "x").status ==
        401);
  CHECK(s.send("GET", "/api/v1/audit", {}, "").status == 401);
  CHECK(s.send("POST", "/api/v1/kill-switch", R"({"engaged":true})", "").status == 401);
  std::string huge = alert_payload("fp-a");
  huge.insert(huge.size() - 1, ",\"padding\":\"" + std::string(100 * 1024, 'x') + "\"");
  CHECK(s.send("POST", "/api/v1/alerts", huge).status == 413);
  auto bad = s.send("POST", "/api/v1/alerts", R"({"version":"4","alerts":[]})");
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body, Catch::Contains("groupKey"));
  CHECK(s.send("POST", "/api/v1/alerts", "not json").status == 400);
  CHECK(s.send("GET", "/nope", {}).status == 404);
  CHECK(s.send("GET", "/healthz", {}, "").status == 200);
  REQUIRE(s.svc->drain(10s));
  CHECK(s.svc->store().audit_log().empty());
  // ... and nothing was lost: a good delivery afterwards is acted on.
  CHECK(s.send("POST", "/api/v1/alerts", alert_payload("fp-a")).status == 202);
  CHECK(s.decisions(engine::Outcome::kExecuted).size() == 1);
}

TEST_CASE("names that are not DNS-1123 never reach the engine", "[live][service]") {
  TempDir dir;
  Running s(make_config(dir.path));
  auto r = s.send("POST", "/api/v1/alerts", alert_payload("fp-x", "firing", "api;rm -rf /"));
  CHECK(r.status == 202);
  auto j = json::parse(r.body);
  CHECK(j["accepted"] == 0);
  CHECK(j["rejected"].size() == 1);
  REQUIRE(s.svc->drain(10s));
  CHECK(s.svc->store().audit_log().empty());
}

TEST_CASE("resolved alerts never act", "[live][service]") {
  TempDir dir;
  Running s(make_config(dir.path));
  CHECK(s.send("POST", "/api/v1/alerts", alert_payload("fp-r", "resolved")).status == 202);
  CHECK(s.decisions(engine::Outcome::kExecuted).empty());
  CHECK(s.decisions(engine::Outcome::kResolved).size() == 1);
}

TEST_CASE("the kill switch refuses new actions and survives a restart", "[live][service]") {
  TempDir dir;
  auto cfg = make_config(dir.path);
  {
    Running s(cfg);
    auto r = s.send("POST", "/api/v1/kill-switch", R"({"engaged":true})");
    CHECK(r.status == 200);
    CHECK(json::parse(r.body)["engaged"] == true);
    CHECK(s.send("POST", "/api/v1/kill-switch", "{}").status == 400);
  }
  Running s(cfg);
  CHECK(json::parse(s.send("GET", "/api/v1/kill-switch").body)["engaged"] == true);
  s.send("POST", "/api/v1/alerts", alert_payload("fp-k"));
  CHECK(s.decisions(engine::Outcome::kKillSwitch).size() == 1);
  CHECK(s.decisions(engine::Outcome::kExecuted).empty());
  s.send("POST", "/api/v1/kill-switch", R"({"engaged":false})");
  s.send("POST", "/api/v1/alerts", alert_payload("fp-k2"));
  CHECK(s.decisions(engine::Outcome::kExecuted).size() == 1);
}

TEST_CASE("the kill switch file engages the switch", "[live][service]") {
  TempDir dir;
  auto cfg = make_config(dir.path);
  cfg.kill_switch_file = (dir.path / "kill").string();
  std::ofstream(cfg.kill_switch_file) << "maintenance\n";
  Running s(cfg);
  s.send("POST", "/api/v1/alerts", alert_payload("fp-f"));
  CHECK(s.decisions(engine::Outcome::kKillSwitch).size() == 1);
}

TEST_CASE("after a restart no cooldown is forgotten and no action runs twice",
          "[live][service][durable]") {
  TempDir dir;
  auto cfg = make_config(dir.path);
  {
    Running s(cfg);
    s.send("POST", "/api/v1/alerts", alert_payload("fp-1"));
    REQUIRE(s.decisions(engine::Outcome::kExecuted).size() == 1);
  }  // stopped: its verification timer is lost with the process
  Running s(cfg);
  REQUIRE(s.svc->drain(10s));
  // The in-flight action is still known and its verification re-armed by resume().
  auto flying = s.svc->store().in_flight();
  REQUIRE(flying.size() == 1);
  CHECK(flying[0].first == engine::ServiceRef{"prod", "payment-api"});
  // Alertmanager re-delivers the same alert after the restart: not acted on again.
  s.send("POST", "/api/v1/alerts", alert_payload("fp-1"));
  // A new alert for the same target inside the cooldown: not acted on either.
  s.send("POST", "/api/v1/alerts", alert_payload("fp-2"));
  CHECK(s.decisions(engine::Outcome::kExecuted).size() == 1);  // still only the first one
}

TEST_CASE("escalations reach PagerDuty as Events v2, with retries", "[live][notifier]") {
  Receiver pd;
  pd.fail_first = 2;  // two 503s, then accepted
  NotifierConfig n;
  n.name = "pd";
  n.type = NotifierConfig::Type::kPagerDuty;
  n.url = "http://127.0.0.1:" + std::to_string(pd.port) + "/v2/enqueue";
  n.routing_key = "R0UT1NGKEY";
  n.backoff = 5ms;
  n.max_attempts = 4;
  std::atomic<int> delivered{0};
  HttpNotifier notifier({n}, [&](const std::string&, bool ok) { delivered += ok ? 1 : 0; });
  engine::Escalation e;
  e.incident = "fp-9";
  e.target = {"prod", "payment-api"};
  e.channel = "pagerduty-p1";
  e.severity = "critical";
  e.summary = "automation gave up on prod/payment-api";
  e.reason = engine::Outcome::kMaxAttemptsReached;
  e.suggested_argv = {"kubectl", "rollout", "restart", "deployment/payment-api", "-n", "prod"};
  engine::AuditRecord h;
  h.kind = engine::AuditKind::kDecision;
  h.outcome = engine::Outcome::kExecuted;
  e.history.push_back(h);
  notifier.escalate(e);
  REQUIRE(pd.wait_for(1));
  auto j = json::parse(pd.bodies[0]);
  CHECK(j["routing_key"] == "R0UT1NGKEY");
  CHECK(j["event_action"] == "trigger");
  CHECK(j["dedup_key"] == "selfheal/prod/payment-api/fp-9");
  CHECK(j["payload"]["summary"] == e.summary);
  CHECK(j["payload"]["source"] == "prod/payment-api");
  CHECK(j["payload"]["severity"] == "critical");
  CHECK(j["payload"]["component"] == "payment-api");
  CHECK(j["payload"]["group"] == "prod");
  CHECK(j["payload"]["class"] == "max-attempts-reached");
  CHECK(j["payload"]["custom_details"]["history"].size() == 1);
  CHECK(j["payload"]["custom_details"]["suggested_command"] ==
        "kubectl rollout restart deployment/payment-api -n prod");
  notifier.stop();
  CHECK(delivered == 1);
}

TEST_CASE("Prometheus query responses reduce to one value", "[live][prometheus]") {
  auto v = parse_query_response(R"({"status":"success","data":{"resultType":"vector","result":[)"
                                R"({"metric":{"pod":"a"},"value":[1700000000.1,"0.25"]},)"
                                R"({"metric":{"pod":"b"},"value":[1700000000.1,"0.75"]}]}})");
  REQUIRE(v);
  CHECK(**v == Approx(0.75));  // the maximum over series
  auto s = parse_query_response(
      R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"3"]}})");
  REQUIRE(s);
  CHECK(**s == Approx(3));
  auto empty =
      parse_query_response(R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  REQUIRE(empty);
  CHECK_FALSE(empty->has_value());
  auto nan = parse_query_response(
      R"({"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}})");
  REQUIRE(nan);
  CHECK_FALSE(nan->has_value());
  auto err = parse_query_response(
      R"({"status":"error","errorType":"bad_data","error":"parse error at char 5"})");
  REQUIRE_FALSE(err);
  CHECK_THAT(err.error().message, Catch::Contains("bad_data"));
  CHECK_FALSE(
      parse_query_response(R"({"status":"success","data":{"resultType":"matrix","result":[]}})"));
  CHECK_FALSE(parse_query_response("<html>"));
}

TEST_CASE("PromQL templates expand validated names and the window", "[live][prometheus]") {
  CHECK(expand_template(R"(rate(x{namespace="{namespace}",service="{service}"}[{window}]))",
                        {"prod", "api"},
                        5min) == R"(rate(x{namespace="prod",service="api"}[300s]))");
  CHECK(url_encode("a b{c=\"d\"}") == "a%20b%7Bc%3D%22d%22%7D");
}

TEST_CASE("argv gets the configured binaries and context", "[live][actuator]") {
  KubeConfig k;
  k.kubectl = "/opt/bin/kubectl";
  k.helm = "/opt/bin/helm";
  k.context = "prod-eu";
  CHECK(localize_argv({"kubectl", "rollout", "restart", "deployment/api", "-n", "prod"}, k) ==
        std::vector<std::string>{"/opt/bin/kubectl", "--context", "prod-eu", "rollout", "restart",
                                 "deployment/api", "-n", "prod"});
  CHECK(localize_argv({"helm", "rollback", "api", "-n", "prod"}, k) ==
        std::vector<std::string>{"/opt/bin/helm", "--kube-context", "prod-eu", "rollback", "api",
                                 "-n", "prod"});
  KubeConfig none;
  CHECK(localize_argv({"kubectl", "get", "pods"}, none) ==
        std::vector<std::string>{"kubectl", "get", "pods"});
}

TEST_CASE("executing mode runs the command through the executor, once per request",
          "[live][actuator]") {
  boost::asio::io_context io;
  CommandExecutor exec(io.get_executor());
  KubeConfig k;
  k.kubectl = "echo";  // stands in for kubectl: prints the argv it was given
  KubeActuator act(k, /*dry_run=*/false, exec, io.get_executor());
  engine::ActionRequest req;
  req.id = 7;
  req.target = {"prod", "api"};
  req.argv = {"kubectl", "rollout", "restart", "deployment/api", "-n", "prod"};
  req.timeout = 10s;
  std::vector<engine::ActionResult> results;
  engine::FunctionCallbacks collect{
      nullptr, [&](std::uint64_t, engine::ActionResult r) { results.push_back(r); }};
  act.execute(req, collect);
  act.execute(req, collect);  // same id
  auto guard = boost::asio::make_work_guard(io);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (results.size() < 2 && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(1s);
  REQUIRE(results.size() == 2);
  CHECK(results[0].ok);
  CHECK_THAT(results[0].message, Catch::Contains("rollout restart deployment/api -n prod"));
  CHECK(act.started().size() == 1);
  // A target name that is not DNS-1123 is refused without running anything.
  req.id = 8;
  req.target = {"prod", "api --all"};
  results.clear();
  act.execute(req, collect);
  while (results.empty() && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(1s);
  REQUIRE(results.size() == 1);
  CHECK_FALSE(results[0].ok);
  CHECK(act.started().size() == 1);
}

TEST_CASE("a page pending when the process dies is re-delivered at the next start",
          "[live][notifier][outbox][durable]") {
  TempDir dir;
  const auto db = (dir.path / "state.db").string();
  Receiver pd;
  pd.fail_first = 1000;  // PagerDuty is down
  NotifierConfig n;
  n.name = "pd";
  n.type = NotifierConfig::Type::kPagerDuty;
  n.url = "http://127.0.0.1:" + std::to_string(pd.port) + "/v2/enqueue";
  n.routing_key = "R0UT1NGKEY";
  n.backoff = std::chrono::hours{1};  // the second attempt would be an hour later
  n.max_attempts = 5;
  engine::Escalation e;
  e.incident = "fp-9";
  e.target = {"prod", "payment-api"};
  e.channel = "pagerduty-p1";
  e.severity = "critical";
  e.summary = "automation gave up on prod/payment-api";
  e.reason = engine::Outcome::kMaxAttemptsReached;
  {
    auto store = SqliteStore::open(db);
    REQUIRE(store);
    auto notifier =
        std::make_unique<HttpNotifier>(std::vector<NotifierConfig>{n}, nullptr, store->get());
    notifier->escalate(e);
    REQUIRE(pd.wait_hits(1));  // the first attempt failed; now in back-off
    CHECK(notifier->undelivered() == 1);
    // The crash: the notifier and the store are dropped in the middle of the back-off.
    notifier.reset();
  }
  // The integration key never reaches the disk; it is added when sending.
  for (const auto* suffix : {"", "-wal"}) {
    std::ifstream f(db + suffix, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    CHECK(bytes.find("R0UT1NGKEY") == std::string::npos);
  }
  pd.fail_first = 0;  // PagerDuty is back
  auto store = SqliteStore::open(db);
  REQUIRE(store);
  REQUIRE((*store)->outbox_pending().size() == 1);
  CHECK((*store)->outbox_pending()[0].attempts == 1);
  std::atomic<int> delivered{0};
  HttpNotifier notifier(
      {n}, [&](const std::string&, bool ok) { delivered += ok ? 1 : 0; }, store->get());
  CHECK(notifier.redeliver_pending() == 1);
  REQUIRE(pd.wait_for(1));
  notifier.stop();
  auto j = json::parse(pd.bodies[0]);
  CHECK(j["routing_key"] == "R0UT1NGKEY");
  CHECK(j["dedup_key"] == "selfheal/prod/payment-api/fp-9");  // PagerDuty dedups a repeat
  CHECK(j["payload"]["summary"] == e.summary);
  CHECK(pd.idempotency_keys[0].starts_with("selfheal-outbox-"));
  CHECK(delivered == 1);
  CHECK((*store)->outbox_pending().empty());
  CHECK((*store)->outbox_count("delivered") == 1);
}

TEST_CASE("a page that cannot be delivered is given up after max_attempts, not re-sent",
          "[live][notifier][outbox]") {
  TempDir dir;
  const auto db = (dir.path / "state.db").string();
  Receiver hook;
  hook.fail_first = 1000;
  NotifierConfig n;
  n.name = "chat";
  n.url = "http://127.0.0.1:" + std::to_string(hook.port) + "/hook";
  n.backoff = 1ms;
  n.max_attempts = 3;
  auto store = SqliteStore::open(db);
  REQUIRE(store);
  std::atomic<int> failed{0};
  {
    HttpNotifier notifier(
        {n}, [&](const std::string&, bool ok) { failed += ok ? 0 : 1; }, store->get());
    engine::Escalation e;
    e.incident = "fp-x";
    e.target = {"prod", "api"};
    notifier.escalate(e);
    REQUIRE(hook.wait_hits(3));
    notifier.stop();
  }
  // The third attempt was in progress when the receiver counted it; stop() lets a running
  // attempt finish, so the give-up is recorded by now.
  CHECK(failed == 1);
  CHECK((*store)->outbox_count("failed") == 1);
  CHECK((*store)->outbox_pending().empty());
  // A restart does not send it again.
  HttpNotifier again({n}, nullptr, store->get());
  CHECK(again.redeliver_pending() == 0);
}

TEST_CASE("an escalation in back-off when the server stops reaches the receiver after a restart",
          "[live][service][outbox][durable]") {
  TempDir dir;
  Receiver pd;
  pd.fail_first = 1000;
  auto cfg = make_config(dir.path, pd.port);
  cfg.notifiers[0].backoff = std::chrono::hours{1};
  {
    Running s(cfg);
    // Confidence 0.5 < the policy's 0.9: no action, a page to a person.
    CHECK(s.send("POST", "/api/v1/alerts",
                 alert_payload("fp-low", "firing", "payment-api", "memory-leak", "0.5"))
              .status == 202);
    REQUIRE(s.decisions(engine::Outcome::kLowConfidence).size() == 1);
    REQUIRE(pd.wait_hits(1));
    CHECK(s.svc->store().outbox_count("pending") == 1);
    CHECK_THAT(s.send("GET", "/healthz", {}, "").body, Catch::Contains("\"outbox_pending\":1"));
  }
  pd.fail_first = 0;
  Running s(cfg);
  REQUIRE(pd.wait_for(1));
  auto j = json::parse(pd.bodies[0]);
  CHECK(j["dedup_key"] == "selfheal/prod/payment-api/fp-low");
  CHECK(j["routing_key"] == "R0UT1NGKEY");
  CHECK(j["payload"]["class"] == "low-confidence");
  REQUIRE(s.svc->drain(10s));
  CHECK(s.decisions(engine::Outcome::kLowConfidence).size() == 1);  // not decided again
}

TEST_CASE("audit sequence numbers continue across a restart of the server",
          "[live][service][durable]") {
  TempDir dir;
  auto cfg = make_config(dir.path);
  {
    Running s(cfg);
    s.send("POST", "/api/v1/alerts", alert_payload("fp-1"));
    REQUIRE(s.decisions(engine::Outcome::kExecuted).size() == 1);
  }
  Running s(cfg);
  s.send("POST", "/api/v1/alerts", alert_payload("fp-2", "firing", "checkout-api"));
  REQUIRE(s.decisions(engine::Outcome::kExecuted).size() == 2);
  std::vector<std::uint64_t> seqs;
  for (const auto& r : s.svc->store().audit_log())
    seqs.push_back(r.seq);
  REQUIRE(seqs.size() >= 4);
  for (std::size_t k = 1; k < seqs.size(); ++k)
    CHECK(seqs[k] == seqs[k - 1] + 1);  // one sequence, no restart at 1
  auto newest = json::parse(s.send("GET", "/api/v1/audit?limit=1").body)["records"][0];
  CHECK(newest["seq"] == seqs.back());
}

TEST_CASE("a slow Prometheus does not stall other decisions while a verification waits for it",
          "[live][service][prometheus]") {
  TempDir dir;
  HeldPrometheus prom;
  auto cfg = make_config(dir.path);
  cfg.prometheus.url = prom.url();
  cfg.prometheus.timeout = 120s;  // the hold is released by the test, never timed out
  const engine::ServiceRef api{"prod", "payment-api"};
  {
    // A restart finds an executed action whose verification is due now.
    auto store = SqliteStore::open(cfg.state_path);
    REQUIRE(store);
    SystemClock clock;
    engine::TargetState st;
    st.last_action_at = clock.now() - 1min;
    st.attempts = 1;
    engine::InFlightAction fl;
    fl.action_id = 1;
    fl.incident = "fp-before";
    fl.action.kind = engine::ActionKind::kRestart;
    fl.started_at = clock.now() - 1min;
    fl.verify_at = clock.now() - 1s;
    fl.executed = true;
    fl.policy = "memory-leak";
    st.in_flight = fl;
    (*store)->save(api, st);
  }
  Running s(cfg);
  // Should an assertion fail, release Prometheus before the server's stop waits for it.
  struct ReleaseOnExit {
    HeldPrometheus& p;
    ~ReleaseOnExit() { p.release(); }
  } release_on_exit{prom};
  // resume() re-armed the verification; its queries are now held by Prometheus.
  REQUIRE(prom.wait_received(1));
  // A webhook for another service meanwhile, of a type no policy handles (a decision that
  // reads nothing; an action would read its before-action state): answered at once ...
  json other = json::parse(alert_payload("fp-other", "firing", "checkout-api"));
  other["alerts"][0]["annotations"]["incident_type"] = "mystery";
  auto r = s.send("POST", "/api/v1/alerts", other.dump());
  CHECK(r.status == 202);
  // ... and decided at once: the engine thread is not waiting for Prometheus.
  REQUIRE(s.svc->drain(10s));
  auto decided = s.decisions(engine::Outcome::kNoPolicy);
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].target == engine::ServiceRef{"prod", "checkout-api"});
  CHECK(s.records(engine::AuditKind::kVerification).empty());  // still waiting for its data
  prom.release();
  REQUIRE(s.wait_record(engine::AuditKind::kVerification));
  auto v = s.records(engine::AuditKind::kVerification);
  REQUIRE(v.size() == 1);
  CHECK(v[0].target == api);
  CHECK(v[0].success == true);  // every signal answered 0: no OOM kills, no restarts
  // Every query the verification made was answered from the prefetch: none blocked.
  auto metrics = s.send("GET", "/metrics", {}, "").body;
  CHECK_THAT(metrics, Catch::Contains("selfheal_prometheus_blocking_queries 0"));
}

TEST_CASE("an unclassified alert waits for its queries off the engine thread, in order",
          "[live][service][prometheus]") {
  TempDir dir;
  HeldPrometheus prom;
  auto cfg = make_config(dir.path);
  cfg.prometheus.url = prom.url();
  cfg.prometheus.timeout = 120s;
  Running s(cfg);
  struct ReleaseOnExit {
    HeldPrometheus& p;
    ~ReleaseOnExit() { p.release(); }
  } release_on_exit{prom};
  // No incident_type annotation: the built-in classifier needs the signals.
  json unclassified = json::parse(alert_payload("fp-unknown"));
  unclassified["alerts"][0]["annotations"] = json::object();
  for (int k = 0; k < 20; ++k)  // a duplicate storm while Prometheus holds
    CHECK(s.send("POST", "/api/v1/alerts", unclassified.dump()).status == 202);
  REQUIRE(prom.wait_received(1));
  // Another service, classified by Alertmanager as a type no policy handles (its decision
  // reads nothing), is decided meanwhile.
  json other = json::parse(alert_payload("fp-c", "firing", "checkout-api"));
  other["alerts"][0]["annotations"]["incident_type"] = "mystery";
  CHECK(s.send("POST", "/api/v1/alerts", other.dump()).status == 202);
  REQUIRE(s.svc->drain(10s));
  auto decided = [&](const std::string& service) {
    std::size_t n = 0;
    for (const auto& r : s.records(engine::AuditKind::kDecision))
      n += r.target.name == service ? 1 : 0;
    return n;
  };
  CHECK(decided("checkout-api") == 1);
  CHECK(decided("payment-api") == 0);  // waiting for its answers, not blocking the engine
  prom.release();
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (decided("payment-api") < 20 && std::chrono::steady_clock::now() < deadline) {
    s.svc->drain(1s);
    std::this_thread::yield();
  }
  CHECK(decided("payment-api") == 20);  // all 20, after the release
  // All zero signals classify as nothing this policy set handles: each delivery is audited.
  for (const auto& r : s.records(engine::AuditKind::kDecision))
    if (r.target.name == "payment-api") CHECK(r.outcome == engine::Outcome::kNoPolicy);
  auto metrics = s.send("GET", "/metrics", {}, "").body;
  CHECK_THAT(metrics, Catch::Contains("selfheal_prometheus_blocking_queries 0"));
  // One round of queries for the storm (18 signal templates at most over each of the two
  // windows: the classifier's and an action's before-action state), not one per repeat.
  std::lock_guard lock(prom.mu);
  CHECK(prom.received <= 2 * 18);
}

TEST_CASE("a timer cancelled while its queries are in flight never runs", "[live][prefetch]") {
  HeldPrometheus prom;
  PrometheusConfig pc;
  pc.url = prom.url();
  pc.timeout = 120s;
  PrometheusTelemetry telemetry(pc);
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  int planned = 0;
  PrefetchScheduler sched(io.get_executor(), telemetry,
                          [&](const std::optional<engine::ServiceRef>& tag) {
                            ++planned;
                            CHECK(tag == engine::ServiceRef{"prod", "api"});
                            return telemetry.signal_queries(*tag, 5min);
                          });
  bool ran = false;
  engine::FunctionCallbacks first{[&](std::uint64_t) { ran = true; }};
  engine::TimerId id = 0;
  {
    CurrentTarget on(sched, engine::ServiceRef{"prod", "api"});
    id = sched.after(0ms, first, 1);
  }
  CHECK_FALSE(sched.current());
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (planned == 0 && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(1s);
  REQUIRE(planned == 1);
  REQUIRE(prom.wait_received(1));  // the prefetch is waiting for Prometheus
  CHECK(sched.cancel(id));         // cancelled before the callback ran
  CHECK_FALSE(sched.cancel(id));
  prom.release();
  // A second timer, not cancelled, runs with its answers prefetched (none sent blocking).
  std::optional<double> seen;
  engine::FunctionCallbacks second{[&](std::uint64_t) {
    seen = telemetry.signals({"prod", "api"}, 5min).oom_kills;
  }};
  {
    CurrentTarget on(sched, engine::ServiceRef{"prod", "api"});
    sched.after(0ms, second, 2);
  }
  while (!seen && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(1s);
  REQUIRE(seen);
  CHECK(*seen == 0.0);
  CHECK_FALSE(ran);
  CHECK(telemetry.blocking_queries() == 0);
  CHECK(telemetry.prefetch_hits() > 0);
  CHECK(sched.pending() == 0);
}

TEST_CASE("the in-flight record is made durable before a command starts", "[live][actuator]") {
  boost::asio::io_context io;
  CommandExecutor exec(io.get_executor());
  KubeConfig k;
  k.kubectl = "echo";
  KubeActuator act(k, /*dry_run=*/false, exec, io.get_executor());
  // The real store, as serve wires it (live/service.cpp): the barrier is SqliteStore::flush
  // of the open write batch. A second connection (another process after a crash, in
  // effect) sees only what was committed.
  TempDir dir;
  const std::string db = (dir.path / "state.db").string();
  auto store = SqliteStore::open(db);
  REQUIRE(store);
  auto reader = SqliteStore::open(db);
  REQUIRE(reader);
  (*store)->begin_batch();
  engine::TargetState st;
  st.in_flight = engine::InFlightAction{};
  st.in_flight->action_id = 1;
  st.in_flight->incident = "api-crash";
  (*store)->save({"prod", "api"}, st);
  REQUIRE((*reader)->in_flight().empty());  // only in the open batch so far
  std::vector<std::size_t> started_at_barrier;
  std::vector<std::size_t> committed_at_barrier;  // in-flight records the reader sees
  bool durable = true;
  act.set_durability_barrier([&] {
    started_at_barrier.push_back(act.started().size());
    if (!durable) return false;
    const bool ok = (*store)->flush();
    committed_at_barrier.push_back((*reader)->in_flight().size());
    return ok;
  });
  engine::ActionRequest req;
  req.id = 1;
  req.target = {"prod", "api"};
  req.argv = {"kubectl", "rollout", "restart", "deployment/api", "-n", "prod"};
  req.timeout = 10s;
  std::vector<engine::ActionResult> results;
  engine::FunctionCallbacks collect{
      nullptr, [&](std::uint64_t, engine::ActionResult r) { results.push_back(r); }};
  act.execute(req, collect);
  auto guard = boost::asio::make_work_guard(io);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (results.empty() && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(1s);
  REQUIRE(results.size() == 1);
  CHECK(results[0].ok);
  CHECK(started_at_barrier == std::vector<std::size_t>{0});    // before anything ran
  CHECK(committed_at_barrier == std::vector<std::size_t>{1});  // committed by then
  REQUIRE(act.started().size() == 1);
  CHECK(act.started()[0] ==
        std::vector<std::string>{"echo", "rollout", "restart", "deployment/api", "-n", "prod"});
  CHECK_THAT(results[0].message, Catch::EndsWith(": rollout restart deployment/api -n prod\n"));
  const auto seen = (*reader)->in_flight();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].first.name == "api");
  CHECK(seen[0].second.in_flight->action_id == 1);
  CHECK((*store)->errors() == 0);
  // When the state cannot be committed, nothing runs.
  durable = false;
  req.id = 2;
  results.clear();
  act.execute(req, collect);
  while (results.empty() && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(1s);
  REQUIRE(results.size() == 1);
  CHECK_FALSE(results[0].ok);
  CHECK_THAT(results[0].message, Catch::Contains("could not be committed"));
  CHECK(act.started().size() == 1);
}

TEST_CASE("the incident planner foresees the checks a held verified firing re-runs",
          "[live][prefetch]") {
  // While a target holds the re-deliveries of a verified firing, the engine re-runs the
  // policy's verification checks before holding one: those queries must be in the plan, or
  // every such delivery would query Prometheus blocking on the engine thread.
  PrometheusConfig pc;
  pc.url = "http://127.0.0.1:9";
  PrometheusTelemetry telemetry(pc);
  ConfigTopology topology({}, telemetry, pc);
  engine::MemoryStateStore state;
  engine::ManualClock clock(engine::TimePoint{std::chrono::hours{1000}});
  engine::Policy p;
  p.incident_type = "memory-leak";
  p.verification_window = 7min;
  engine::VerificationCheck check;
  check.promql = "sum(rate(http_errors_total{service=\"{{service}}\"}[5m]))";
  check.max = 0.01;
  p.verification.push_back(check);
  engine::PolicySet policies{{p}, {}, "test"};
  const auto plan = incident_planner(state, clock, policies, telemetry, topology);

  engine::Incident inc;
  inc.target = {"prod", "payment-api"};
  inc.classification = engine::ExternalClassification{"memory-leak", 0.95};
  CHECK(plan(inc).empty());  // external classification, no hold: nothing to fetch

  engine::TargetState st;
  st.recovered = engine::RecoveredFiring{"fp@1", "memory-leak", clock.now() + 1h};
  state.save(inc.target, st);
  const auto held = plan(inc);
  const auto contains = [&held](const std::string& q) {
    return std::find(held.begin(), held.end(), q) != held.end();
  };
  CHECK(contains(telemetry.check_query(check.promql, inc.target)));
  for (const auto& q : telemetry.signal_queries(inc.target, 7min))
    CHECK(contains(q));

  clock.advance(2h);  // the hold is over
  CHECK(plan(inc).empty());
}

TEST_CASE("pagerduty-p1 and pagerduty-p2 route to their own routing keys, with the story",
          "[live][notifier][channels]") {
  Receiver p1, p2;
  auto pd = [](const std::string& name, std::uint16_t port, const std::string& key,
               const std::string& channel) {
    NotifierConfig n;
    n.name = name;
    n.type = NotifierConfig::Type::kPagerDuty;
    n.url = "http://127.0.0.1:" + std::to_string(port) + "/v2/enqueue";
    n.routing_key = key;
    n.channels = {channel};
    n.backoff = 5ms;
    return n;
  };
  HttpNotifier notifier(
      {pd("p1", p1.port, "KEY-P1", "pagerduty-p1"), pd("p2", p2.port, "KEY-P2", "pagerduty-p2")});
  engine::Escalation e;
  e.incident = "fp-2";
  e.target = {"prod", "checkout"};
  e.channel = "pagerduty-p2";
  e.severity = "critical";
  e.reason = engine::Outcome::kMaxAttemptsReached;
  engine::AuditRecord act;
  act.kind = engine::AuditKind::kDecision;
  act.outcome = engine::Outcome::kExecuted;
  act.action = engine::ActionSpec{};
  act.action->kind = engine::ActionKind::kRollback;
  act.reason = "every guardrail passed";
  engine::AuditRecord ver;
  ver.kind = engine::AuditKind::kVerification;
  ver.success = false;
  ver.reason = "verification failed after rollback";
  ver.detail = "FAIL: latency_p99 216 > 150";
  e.history = {act, ver};
  notifier.escalate(e);
  REQUIRE(p2.wait_for(1));
  notifier.stop();
  CHECK(p1.count() == 0);  // the p1 service is not woken for a p2 page
  const auto j = json::parse(p2.bodies[0]);
  CHECK(j["routing_key"] == "KEY-P2");
  const auto& d = j["payload"]["custom_details"];
  CHECK(d["channel"] == "pagerduty-p2");
  REQUIRE(d.contains("story"));
  REQUIRE(d["story"].size() == 3);
  CHECK(d["story"][0].get<std::string>().find("decision executed rollback") != std::string::npos);
  CHECK(d["story"][1].get<std::string>().find("verification failed") != std::string::npos);
  CHECK(d["story"][1].get<std::string>().find("latency_p99 216 > 150") != std::string::npos);
  CHECK(d["next_step"] == "next: a person decides (max-attempts-reached)");
  // The webhook body (the Escalation JSON) tells the same story.
  const nlohmann::json w = e;
  CHECK(w["story"] == d["story"]);
}

// The same alert sequence as the engine's correlation test (tests/engine/correlation_test.cpp,
// "callers of a paged upstream join its page"), through `selfheal serve`: one page, then an
// update with the same dedup_key listing the caller.
TEST_CASE("serve: a caller of a paged upstream updates its page instead of paging",
          "[live][service][correlation]") {
  Receiver pd;
  TempDir dir;
  auto cfg = make_config(dir.path, pd.port);
  TopologyService api{"prod", "payment-api", {"payments-db"}};
  cfg.topology = {api, TopologyService{"prod", "payments-db", {}}};
  Running s(cfg);
  s.send("POST", "/api/v1/alerts",
         alert_payload("fp-db", "firing", "payments-db", "bad-deployment", "0.95"));
  REQUIRE(pd.wait_for(1));
  s.send("POST", "/api/v1/alerts",
         alert_payload("fp-api", "firing", "payment-api", "dependency-failure", "0.95"));
  REQUIRE(pd.wait_for(2));
  const auto joined = s.decisions(engine::Outcome::kNoPolicy);
  REQUIRE(joined.size() == 2);
  CHECK_FALSE(joined[1].escalate);
  CHECK(joined[1].reason.find("joined the open incident of upstream prod/payments-db") !=
        std::string::npos);
  std::lock_guard lock(pd.mu);
  REQUIRE(pd.bodies.size() == 2);
  const auto page = json::parse(pd.bodies[0]);
  const auto update = json::parse(pd.bodies[1]);
  CHECK(page["dedup_key"] == update["dedup_key"]);  // PagerDuty updates, nobody re-paged
  CHECK(update["payload"]["source"] == "prod/payments-db");
  CHECK(update["payload"]["custom_details"]["update"] == true);
  CHECK(update["payload"]["custom_details"]["root"] == "prod/payments-db");
  CHECK(update["payload"]["custom_details"]["affected"] == json::array({"prod/payment-api"}));
}

// The same alert sequence as the engine's flapping test (tests/engine/flapping_test.cpp, "a
// flapping unsure alert pages once"), through `selfheal serve` with engine.flap_window in
// the policy file: fire, resolve, fire, resolve, fire -> one page.
TEST_CASE("serve: a flapping alert pages once", "[live][service][flapping]") {
  Receiver pd;
  TempDir dir;
  auto l = engine::load_policy_string(std::string(kPolicies) + "engine: {flap_window: 30m}\n",
                                      "test-policies.yaml");
  INFO(l.diagnostics.describe());
  REQUIRE(l.policies);
  Running s(make_config(dir.path, pd.port), true, *l.policies);
  for (int cycle = 0; cycle < 3; ++cycle) {
    if (cycle > 0) s.send("POST", "/api/v1/alerts", alert_payload("fp-flap", "resolved"));
    s.send("POST", "/api/v1/alerts",
           alert_payload("fp-flap", "firing", "payment-api", "memory-leak", "0.3"));
  }
  const auto unsure = s.decisions(engine::Outcome::kLowConfidence);
  REQUIRE(unsure.size() == 3);
  CHECK(unsure[0].reason.find("flapping") == std::string::npos);
  CHECK(unsure[1].reason.find("flapping: fired again") != std::string::npos);
  CHECK(unsure[2].reason.find("cycle 3 within the 30m flap window") != std::string::npos);
  CHECK(s.records(engine::AuditKind::kEscalation).size() == 1);  // one page
  REQUIRE(pd.wait_for(1));
}

}  // namespace service_test

namespace service_test {

TEST_CASE("the audit endpoint's limit is digits only", "[live][service]") {
  // stoul read "-1" as 2^64 - 1 (1000 records served) and "2abc" as 2.
  TempDir dir;
  Running s(make_config(dir.path));
  for (const char* bad : {"-1", "2abc", "0", "", "99999999999999999999999"}) {
    INFO(bad);
    auto r = s.send("GET", std::string("/api/v1/audit?limit=") + bad);
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains("limit must be a positive integer"));
  }
  CHECK(s.send("GET", "/api/v1/audit?x=1&limit=5").status == 200);
  CHECK(s.send("GET", "/api/v1/audit?limit=5000").status == 200);  // at most 1000 served
}

TEST_CASE("a body declared as anything but JSON is refused with 415, nothing acted on",
          "[live][service]") {
  TempDir dir;
  Running s(make_config(dir.path));
  const auto form = s.send_as("application/x-www-form-urlencoded", "POST", "/api/v1/alerts",
                              alert_payload("fp-a"));
  CHECK(form.status == 415);
  CHECK_THAT(form.body, Catch::Contains("Content-Type must be application/json, not "
                                        "\\\"application/x-www-form-urlencoded\\\""));
  CHECK(s.send_as("text/plain", "POST", "/api/v1/kill-switch", R"({"engaged":true})").status ==
        415);
  REQUIRE(s.svc->drain(10s));
  CHECK(s.svc->store().audit_log().empty());
  CHECK_FALSE(s.svc->store().kill_switch());
  // JSON with parameters, any case, and a body that declares nothing are read.
  CHECK(
      s.send_as("Application/JSON; charset=utf-8", "POST", "/api/v1/alerts", alert_payload("fp-a"))
          .status == 202);
  CHECK(s.send_as("", "POST", "/api/v1/alerts", alert_payload("fp-b", "firing", "orders-api"))
            .status == 202);
  CHECK(s.decisions(engine::Outcome::kExecuted).size() == 2);
}

TEST_CASE("json_media_type reads the type, not its parameters or case", "[live][http]") {
  CHECK(HttpServer::json_media_type("application/json"));
  CHECK(HttpServer::json_media_type(" APPLICATION/json ; charset=utf-8"));
  CHECK(HttpServer::json_media_type("application/vnd.alertmanager+json"));
  CHECK(HttpServer::json_media_type(""));
  CHECK(HttpServer::json_media_type("  "));
  CHECK_FALSE(HttpServer::json_media_type("application/x-www-form-urlencoded"));
  CHECK_FALSE(HttpServer::json_media_type("text/json"));
  CHECK_FALSE(HttpServer::json_media_type("application/jsonp"));
  CHECK_FALSE(HttpServer::json_media_type("; charset=utf-8"));
}

TEST_CASE("query_param reads one parameter of a target", "[live][http]") {
  CHECK(HttpServer::query_param("/a?limit=20", "limit") == "20");
  CHECK(HttpServer::query_param("/a?x=1&limit=", "limit") == "");
  CHECK_FALSE(HttpServer::query_param("/a?xlimit=3", "limit"));
  CHECK_FALSE(HttpServer::query_param("/a", "limit"));
}

}  // namespace service_test
