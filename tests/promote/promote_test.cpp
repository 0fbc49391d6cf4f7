// selfheal promote: what people did (Kubernetes audit Events in the API server's format)
// against the engine's shadow/recommend decisions, and the recommendation drawn from it.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "core/timestamp.hpp"
#include "live/sqlite_state.hpp"
#include "promote/evidence.hpp"
#include "promote/k8s_audit.hpp"
#include "promote/sim_source.hpp"
#include "promote/write.hpp"
#include "sim/timeline.hpp"
#include "tests/support/cli_harness.hpp"

using namespace selfheal;
using namespace std::chrono_literals;
using promote::ChangeKind;
using promote::Verdict;

namespace {

const std::string kSample = std::string(SELFHEAL_TEST_SOURCE_DIR) + "/k8s-audit-sample.jsonl";

core::TimePoint at(const char* rfc3339) {
  return core::parse_rfc3339(rfc3339).value();
}

engine::AuditRecord decision(core::TimePoint t, const std::string& fp, const std::string& name,
                             engine::Outcome outcome,
                             engine::ActionKind action = engine::ActionKind::kRestart) {
  engine::AuditRecord r;
  r.time = t;
  r.kind = engine::AuditKind::kDecision;
  r.incident = fp;
  r.target = {"prod", name};
  r.policy = "memory-leak";
  r.classification = engine::Classification{"memory-leak", 0.95, "external", {}};
  r.outcome = outcome;
  if (outcome != engine::Outcome::kResolved) {
    engine::ActionSpec spec;
    spec.kind = action;
    r.action = spec;
  }
  return r;
}

promote::PersonAction person(core::TimePoint t, const std::string& name, ChangeKind k) {
  return promote::PersonAction{t, {"prod", name}, k, "alice@example.com", "test"};
}

// `n` firings of a leak on report-worker, an hour apart, each recommended at +0.
std::vector<promote::Observation> firings(int n, core::TimePoint start) {
  std::vector<engine::AuditRecord> records;
  for (int i = 0; i < n; ++i)
    records.push_back(decision(start + i * 1h, "fp" + std::to_string(i), "report-worker",
                               engine::Outcome::kRecommend));
  return promote::observations_from_audit(records);
}

}  // namespace

TEST_CASE("the Kubernetes audit log yields people's completed writes to workloads",
          "[promote][k8s-audit]") {
  core::Diagnostics diags;
  const auto acts = promote::read_k8s_audit_file(kSample, diags);
  INFO(diags.describe());
  REQUIRE(acts);
  // The sample: a restart, a get, a scale, a rollout undo, a controller's update, a
  // forbidden patch, a RequestReceived stage, a statefulset edit.
  REQUIRE(acts->size() == 4);
  CHECK((*acts)[0].kind == ChangeKind::kRestart);
  CHECK((*acts)[0].target == engine::ServiceRef{"prod", "report-worker"});
  CHECK((*acts)[0].user == "alice@example.com");
  CHECK((*acts)[0].time == at("2026-11-30T10:07:12.431Z"));
  CHECK((*acts)[0].where == kSample + ":1");
  CHECK((*acts)[1].kind == ChangeKind::kScale);
  CHECK((*acts)[2].kind == ChangeKind::kRollback);
  CHECK((*acts)[3].kind == ChangeKind::kOther);
  CHECK((*acts)[3].target.name == "orders-db");
}

TEST_CASE("a scale at audit level Metadata (no request body) is still a scale",
          "[promote][k8s-audit]") {
  core::Diagnostics diags;
  const std::string text =
      "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
      "\"stage\":\"ResponseComplete\",\"verb\":\"update\",\"user\":{\"username\":\"bob\"},"
      "\"objectRef\":{\"resource\":\"deployments\",\"namespace\":\"prod\",\"name\":\"api\","
      "\"subresource\":\"scale\"},\"responseStatus\":{\"code\":200},"
      "\"stageTimestamp\":\"2026-11-30T10:00:00.000000Z\"}\n";
  const auto acts = promote::parse_k8s_audit(text, "audit.log", diags);
  INFO(diags.describe());
  REQUIRE(acts);
  REQUIRE(acts->size() == 1);
  CHECK((*acts)[0].kind == ChangeKind::kScale);
}

TEST_CASE("a line that is not an audit Event is an error naming file and line",
          "[promote][k8s-audit]") {
  core::Diagnostics diags;
  const std::string text =
      "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"stage\":\"ResponseComplete\","
      "\"verb\":\"get\"}\n"
      "\n"
      "not json\n"
      "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}\n"
      "[1, 2]\n";
  CHECK_FALSE(promote::parse_k8s_audit(text, "audit.log", diags));
  const std::string d = diags.describe();
  CHECK_THAT(d, Catch::Contains("audit.log:3"));
  CHECK_THAT(d, Catch::Contains("audit.log:4"));
  CHECK_THAT(d, Catch::Contains("not a Kubernetes audit Event"));
  CHECK_THAT(d, Catch::Contains("audit.log:5"));
  CHECK(diags.size() == 3);
}

TEST_CASE("one firing is one observation, with its resolution attached", "[promote]") {
  const auto t0 = at("2026-11-30T10:00:00Z");
  const std::vector<engine::AuditRecord> records{
      decision(t0, "fp1", "report-worker", engine::Outcome::kShadow),
      decision(t0 + 1min, "fp1", "report-worker", engine::Outcome::kShadow),  // re-send
      decision(t0 + 2min, "fp2", "report-worker", engine::Outcome::kLowConfidence),
      decision(t0 + 9min, "fp1", "report-worker", engine::Outcome::kResolved),
      decision(t0 + 1h, "fp3", "report-worker", engine::Outcome::kRecommend,
               engine::ActionKind::kScale)};
  const auto obs = promote::observations_from_audit(records);
  REQUIRE(obs.size() == 2);
  CHECK(obs[0].mode == "shadow");
  CHECK(obs[0].resolved_at == t0 + 9min);
  CHECK(obs[1].action == engine::ActionKind::kScale);
  CHECK_FALSE(obs[1].resolved_at);
}

TEST_CASE("people doing the recommended action every time promotes it, with the time saved",
          "[promote]") {
  const auto t0 = at("2026-11-30T10:00:00Z");
  const auto obs = firings(6, t0);
  std::vector<promote::PersonAction> people;
  for (int i = 0; i < 6; ++i)
    people.push_back(person(t0 + i * 1h + (5 + i) * 1min, "report-worker", ChangeKind::kRestart));
  const auto table = promote::build_table(obs, people, promote::Options{});
  REQUIRE(table.rows.size() == 1);
  const auto& row = table.rows[0];
  CHECK(row.would_act == 6);
  CHECK(row.person_same == 6);
  CHECK(row.median_saved == 7min);  // lower median of 5..10 minutes
  CHECK(row.verdict == Verdict::kPromote);
  CHECK_THAT(row.reason, Catch::Contains("6 of 6 recommended restarts were done by a person"));
  const std::string yaml = promote::policy_snippet(table);
  CHECK_THAT(yaml, Catch::Contains("  - incident_type: memory-leak\n"));
  CHECK_THAT(yaml, Catch::Contains("    auto_execute: true\n"));
  CHECK_THAT(yaml, Catch::Contains("      services: [report-worker]\n"));

  SECTION("a person acting after the window does not count") {
    promote::Options narrow;
    narrow.match_window = 6min;  // only the first two restarts (5 and 6 min) are inside
    const auto t = promote::build_table(obs, people, narrow);
    CHECK(t.rows[0].person_same == 2);
    CHECK(t.rows[0].verdict == Verdict::kKeep);
    CHECK(promote::policy_snippet(t).empty());
  }
  SECTION("one manual restart is never counted for two firings") {
    const std::vector<engine::AuditRecord> close{
        decision(t0, "a", "report-worker", engine::Outcome::kRecommend),
        decision(t0 + 2min, "b", "report-worker", engine::Outcome::kRecommend)};
    const std::vector<promote::PersonAction> one{
        person(t0 + 5min, "report-worker", ChangeKind::kRestart)};
    const auto t =
        promote::build_table(promote::observations_from_audit(close), one, promote::Options{});
    CHECK(t.rows[0].would_act == 2);
    CHECK(t.rows[0].person_same == 1);
    CHECK(t.rows[0].no_signal == 1);
  }
}

TEST_CASE("no recommendation below the minimum number of observations", "[promote]") {
  const auto t0 = at("2026-11-30T10:00:00Z");
  const auto obs = firings(4, t0);
  std::vector<promote::PersonAction> people;
  for (int i = 0; i < 4; ++i)
    people.push_back(person(t0 + i * 1h + 5min, "report-worker", ChangeKind::kRestart));
  auto table = promote::build_table(obs, people, promote::Options{});
  CHECK(table.rows[0].verdict == Verdict::kTooFewObservations);
  CHECK_THAT(table.rows[0].reason, Catch::Contains("only 4 observation(s); at least 5"));
  promote::Options four;
  four.min_observations = 4;
  CHECK(promote::build_table(obs, people, four).rows[0].verdict == Verdict::kPromote);
}

TEST_CASE("alerts that resolve on their own are not automated, and other fixes keep a person",
          "[promote]") {
  const auto t0 = at("2026-11-30T10:00:00Z");
  std::vector<engine::AuditRecord> records;
  for (int i = 0; i < 6; ++i) {
    const std::string fp = "fp" + std::to_string(i);
    records.push_back(decision(t0 + i * 1h, fp, "report-worker", engine::Outcome::kRecommend));
    records.push_back(
        decision(t0 + i * 1h + 4min, fp, "report-worker", engine::Outcome::kResolved));
  }
  const auto obs = promote::observations_from_audit(records);
  auto table = promote::build_table(obs, {}, promote::Options{});
  CHECK(table.rows[0].resolved_on_own == 6);
  CHECK(table.rows[0].verdict == Verdict::kDoNotAutomate);

  std::vector<promote::PersonAction> edits;
  for (int i = 0; i < 6; ++i)
    edits.push_back(person(t0 + i * 1h + 2min, "report-worker", ChangeKind::kOther));
  table = promote::build_table(obs, edits, promote::Options{});
  CHECK(table.rows[0].person_other == 6);
  CHECK(table.rows[0].resolved_on_own == 0);
  CHECK(table.rows[0].verdict == Verdict::kKeep);
}

TEST_CASE("selfheal promote reads serve's state database and the audit log", "[promote][cli]") {
  test::TempDir tmp("promote");
  const std::string db = (tmp.path / "state.db").string();
  const auto t0 = at("2026-11-30T10:00:00Z");
  {
    auto store = live::SqliteStore::open(db);
    REQUIRE(store);
    store.value()->record(decision(t0, "fp1", "report-worker", engine::Outcome::kRecommend));
  }
  auto r =
      test::call({"promote", "--state", db, "--k8s-audit", kSample, "--min-observations", "1"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("memory-leak"));
  CHECK_THAT(r.out, Catch::Contains("prod/report-worker"));
  CHECK_THAT(r.out, Catch::Contains("1 of 1 recommended restarts were done by a person within "
                                    "30m, median 7m12s after the alert; promote to auto"));
  CHECK_THAT(r.out, Catch::Contains("auto_execute: true"));

  auto j = test::call({"promote", "--state", db, "--k8s-audit", kSample, "--format", "json"});
  REQUIRE(j.rc == 0);
  CHECK_THAT(j.out, Catch::Contains("\"verdict\": \"too-few-observations\""));

  const std::string bad = (tmp.path / "bad.log").string();
  std::ofstream(bad) << "{\"kind\":\"Event\"}\n";
  auto b = test::call({"promote", "--state", db, "--k8s-audit", bad});
  CHECK(b.rc == 2);
  CHECK_THAT(b.err, Catch::Contains("bad.log:1"));
  auto missing =
      test::call({"promote", "--state", (tmp.path / "none.db").string(), "--k8s-audit", kSample});
  CHECK(missing.rc == 2);
  CHECK_THAT(missing.err, Catch::Contains("no such state database"));
}

namespace {

sim::TimelineEvent started(core::TimePoint t, const std::string& service, const char* action,
                           bool automated) {
  sim::TimelineEvent e;
  e.time = t;
  e.kind = sim::EventKind::kActionStarted;
  e.service = service;
  e.name = action;
  e.automated = automated;
  return e;
}

}  // namespace

TEST_CASE(
    "a shadow twin's decisions and on-call actions are the evidence, as the audit log "
    "would show them",
    "[promote][sim]") {
  const auto t0 = at("2026-11-30T10:00:00Z");
  sim::Timeline twin;
  twin.audit = {decision(t0, "fp1", "report-worker", engine::Outcome::kShadow),
                decision(t0 + 12min, "fp1", "report-worker", engine::Outcome::kResolved)};
  twin.events = {started(t0 + 4min, "report-worker", "restart", false),
                 started(t0 + 5min, "report-worker", "restart", true),  // the engine's own
                 started(t0 + 6min, "report-worker", "cache-purge", false),
                 started(t0 + 7min, "report-worker", "traffic-shift", false),  // a Service
                 started(t0 + 8min, "report-worker", "scale", false)};
  promote::Evidence ev;
  promote::add_shadow_twin(twin, "batch", 2h, "twin.yaml seed 1", ev);
  REQUIRE(ev.observations.size() == 1);
  CHECK(ev.observations[0].time == t0 + 2h);
  CHECK(ev.observations[0].resolved_at == t0 + 12min + 2h);
  REQUIRE(ev.person_actions.size() == 3);
  CHECK(ev.person_actions[0].kind == ChangeKind::kRestart);
  CHECK(ev.person_actions[0].time == t0 + 4min + 2h);
  CHECK(ev.person_actions[0].target == engine::ServiceRef{"batch", "report-worker"});
  CHECK(ev.person_actions[0].where == "twin.yaml seed 1");
  CHECK(ev.person_actions[1].kind == ChangeKind::kOther);  // an annotation on the Deployment
  CHECK(ev.person_actions[2].kind == ChangeKind::kScale);
  CHECK_FALSE(promote::audit_kind_of(engine::ActionKind::kTrafficShift));
  // The namespace is the simulated one, so the decision (target prod/...) and the person
  // (batch/...) are different workloads here: nothing matches.
  auto table = promote::build_table(ev.observations, ev.person_actions, promote::Options{});
  REQUIRE(table.rows.size() == 1);
  CHECK(table.rows[0].person_same == 0);
  // On the decision's own namespace the on-call's restart is the same action, 4 min later.
  ev = {};
  promote::add_shadow_twin(twin, "prod", 0s, "twin.yaml seed 1", ev);
  table = promote::build_table(ev.observations, ev.person_actions, promote::Options{});
  REQUIRE(table.rows.size() == 1);
  CHECK(table.rows[0].person_same == 1);
  CHECK(table.rows[0].median_saved == 4min);
}

TEST_CASE("selfheal promote --scenario builds the table from simulated shadow twins",
          "[promote][sim][cli]") {
  const std::string scenario = "scenarios/bad-deploy-rollback.yaml";
  auto r = test::call({"promote", "--scenario", scenario, "--runs", "5"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  // Each run's on-call rolls the bad release back after the page, as the engine would have.
  CHECK_THAT(
      r.out,
      Catch::Matches(
          R"((.|\n)*bad-deployment +prod/cart-api +rollback +5 +5 +0 +0 +0 .* promote\n(.|\n)*)"));
  CHECK_THAT(r.out, Catch::Contains("5 of 5 recommended rollbacks were done by a person"));
  CHECK_THAT(r.out, Catch::Contains("auto_execute: true"));
  CHECK(test::call({"promote", "--scenario", scenario, "--runs", "5"}).out == r.out);
  // One run is below the minimum: no recommendation, and it says so.
  auto one = test::call({"promote", "--scenario", scenario, "--format", "json"});
  REQUIRE(one.rc == 0);
  CHECK_THAT(one.out, Catch::Contains("\"source\": \"simulation\""));
  CHECK_THAT(one.out, Catch::Contains("\"verdict\": \"too-few-observations\""));
  // Two firings per run, a person restarting after one of them: runs laid end to end keep
  // each person's action with its own run's decision.
  auto freeze =
      test::call({"promote", "--scenario", "scenarios/orders-freeze.yaml", "--runs", "6"});
  REQUIRE(freeze.rc == 0);
  CHECK_THAT(freeze.out,
             Catch::Contains("memory-leak       orders/report-worker    restart   12     "
                             "6      0      6      0      17m     do-not-automate"));
  CHECK(test::call({"promote", "--scenario", scenario, "--runs", "0"}).rc == 2);
  CHECK(test::call({"promote", "--scenario", "no-such.yaml"}).rc == 2);
}

TEST_CASE("selfheal promote with both sources prints production and simulation side by side",
          "[promote][sim][cli]") {
  test::TempDir tmp("promote-both");
  const std::string db = (tmp.path / "state.db").string();
  {
    auto store = live::SqliteStore::open(db);
    REQUIRE(store);
    store.value()->record(
        decision(at("2026-11-30T10:00:00Z"), "fp1", "report-worker", engine::Outcome::kRecommend));
  }
  auto r = test::call({"promote", "--state", db, "--k8s-audit", kSample, "--scenario",
                       "scenarios/memory-leak-worker.yaml", "--runs", "5"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const auto prod = r.out.find("## production");
  const auto sim = r.out.find("## simulation");
  REQUIRE(prod != std::string::npos);
  REQUIRE(sim != std::string::npos);
  CHECK(prod < sim);
  CHECK(r.out.find("prod/report-worker") < sim);   // production's row
  CHECK(r.out.find("batch/report-worker") > sim);  // the simulated namespace's row
  auto j = test::call({"promote", "--state", db, "--k8s-audit", kSample, "--scenario",
                       "scenarios/memory-leak-worker.yaml", "--format", "json"});
  REQUIRE(j.rc == 0);
  CHECK_THAT(j.out, Catch::Contains("\"production\""));
  CHECK_THAT(j.out, Catch::Contains("\"simulation\""));
  CHECK_THAT(j.out, Catch::Contains("\"source\": \"both\""));
}
