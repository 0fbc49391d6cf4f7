// Verification as an operator would do it, live (issue 15): the Deployment reader parses
// `kubectl get deployment -o json` into the engine's DeploymentStatus, and the engine over
// the live actuator and reader (a stand-in kubectl prints the rollout, look by look) decides
// as it does over in-memory ports for the same rollout (tests/engine/completion_test.cpp;
// both read tests/support/verification_inputs.hpp).
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"
#include "engine/policy_loader.hpp"
#include "engine/time_text.hpp"
#include "live/actuator.hpp"
#include "live/deployment_status.hpp"
#include "live/prefetch.hpp"
#include "serve_harness.hpp"
#include "tests/support/verification_inputs.hpp"

using namespace selfheal;
using namespace selfheal::live;
using namespace std::chrono_literals;
namespace v = selfheal::test_support::verification;

namespace {

const engine::ServiceRef kTarget{v::kNamespace, v::kService};

// A stand-in kubectl: `get deployment` prints the next status document (the last repeats)
// and logs its argv; anything else succeeds.
std::string fake_kubectl(const std::filesystem::path& dir, const std::vector<std::string>& docs) {
  for (std::size_t k = 0; k < docs.size(); ++k)
    std::ofstream(dir / ("status-" + std::to_string(k + 1) + ".json")) << docs[k];
  std::ofstream(dir / "status-last.json") << docs.back();
  const auto script = dir / "kubectl";
  const std::string d = dir.string();
  std::ofstream(script) << "#!/bin/sh\n"
                           "echo \"$@\" >> " +
                               d +
                               "/argv.log\n"
                               "case \"$*\" in\n"
                               "  *\"get deployment/\"*)\n"
                               "    n=$(cat " +
                               d + "/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + d +
                               "/n\n"
                               "    f=" +
                               d + "/status-$n.json; [ -f \"$f\" ] || f=" + d +
                               "/status-last.json; cat \"$f\";;\n"
                               "  *) echo \"deployment.apps/payment-api restarted\";;\n"
                               "esac\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  return script.string();
}

// The engine over the live actuator and Deployment reader, on a manual clock: each poll is
// prefetched as PrefetchScheduler does (deployment_planner names the reads, the reader runs
// them, the answers are installed around the timer's callback).
struct LiveRig {
  serve_test::TempDir dir;
  boost::asio::io_context io;
  CommandExecutor exec{io.get_executor()};
  KubeConfig kube;
  std::optional<KubeActuator> actuator;
  std::optional<DeploymentReader> reader;
  engine::ManualClock clock{*engine::parse_time("2026-11-27T18:00:00Z")};
  engine::ManualScheduler scheduler{clock};
  engine::StaticTelemetry telemetry;
  engine::StaticTopology topology;
  engine::StaticCalendar calendar;
  engine::RecordingNotifier notifier;
  engine::MemoryStateStore state;
  engine::VectorAuditSink audit;
  engine::PolicySet policies;
  std::optional<engine::Engine> engine;

  explicit LiveRig(const std::vector<std::string>& docs) {
    kube.kubectl = fake_kubectl(dir.path, docs);
    kube.timeout = 30s;
    actuator.emplace(kube, /*dry_run=*/false, exec, io.get_executor());
    reader.emplace(kube);
    actuator->set_deployment_reader(&*reader);
    telemetry.fallback.error_rate = 0.001;
    telemetry.fallback.ready_replicas = 4;
    telemetry.fallback.desired_replicas = 4;
    auto l = engine::load_policy_string(v::kPolicy, "verification.yaml");
    REQUIRE(l.policies);
    policies = *l.policies;
    engine.emplace(engine::EngineContext{clock, scheduler, telemetry, topology, calendar, *actuator,
                                         notifier, state, audit},
                   policies, engine::ClassifierModel{});
  }
  /// Runs the engine thread's queue until the action's result is in.
  void until_done() {
    auto guard = boost::asio::make_work_guard(io);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (count(engine::AuditKind::kActionResult) == 0 &&
           std::chrono::steady_clock::now() < deadline)
      io.run_one_for(1s);
    REQUIRE(count(engine::AuditKind::kActionResult) == 1);
  }
  /// One poll: prefetch what the planner names, then advance the clock by `step`.
  void poll(engine::Duration step) {
    DeploymentReader::Answers answers;
    for (const auto& t : deployment_planner(state, clock, policies)(kTarget))
      answers[t] = reader->read(t);
    reader->install(std::move(answers));
    scheduler.advance(step);
    reader->clear();
  }
  std::size_t count(engine::AuditKind k) const {
    std::size_t n = 0;
    for (const auto& r : audit.records())
      n += r.kind == k;
    return n;
  }
  std::vector<engine::AuditRecord> of_kind(engine::AuditKind k) const {
    std::vector<engine::AuditRecord> out;
    for (const auto& r : audit.records())
      if (r.kind == k) out.push_back(r);
    return out;
  }
};

engine::Incident leak(engine::TimePoint at) {
  engine::Incident i;
  i.target = kTarget;
  i.fingerprint = "fp-leak";
  i.started_at = at;
  i.classification = engine::ExternalClassification{"memory-leak", 0.97};
  return i;
}

}  // namespace

TEST_CASE("kubectl's Deployment document parses into the engine's DeploymentStatus",
          "[live][verification]") {
  for (std::size_t k = 0; k < v::kRollout.size(); ++k)
    CHECK(parse_deployment_status(v::kRollout[k]) == v::kRolloutStatus[k]);
  CHECK(parse_deployment_status(v::kStuck) == v::kStuckStatus);
  const auto bad = parse_deployment_status("{\"kind\":\"Service\"}");
  CHECK(bad.observed);
  CHECK(bad.error == "not a Deployment document");
  CHECK(parse_deployment_status("not json").error == "not a Deployment document");
}

TEST_CASE("the Deployment read is an argv with the context, names checked first",
          "[live][verification]") {
  KubeConfig k;
  k.kubectl = "/opt/bin/kubectl";
  k.context = "prod-eu";
  DeploymentReader r(k);
  CHECK(r.argv(kTarget) == std::vector<std::string>{"/opt/bin/kubectl", "--context", "prod-eu",
                                                    "get", "deployment/payment-api", "-n", "prod",
                                                    "-o", "json"});
  CHECK(r.argv({"prod", "api;rm -rf /"}).empty());
  const auto refused = r.read({"prod", "api;rm -rf /"});
  CHECK_THAT(refused.error, Catch::Contains("is not a DNS-1123 name"));
  CHECK(r.status(kTarget).error == "not read yet");
}

TEST_CASE("live: verification waits for the rollout kubectl reports, as the engine alone does",
          "[live][verification]") {
  LiveRig rig({v::kRollout.begin(), v::kRollout.end()});
  REQUIRE(rig.engine->handle(leak(rig.clock.now())).outcome == engine::Outcome::kExecuted);
  rig.until_done();  // kubectl rollout restart returned; nothing read yet
  for (int k = 0; k < 3; ++k)
    rig.poll(15s);  // three looks through kubectl: the rollout completes on the third
  const auto results = rig.of_kind(engine::AuditKind::kActionResult);
  REQUIRE(results.size() == 2);
  CHECK_THAT(results[1].reason, Catch::Contains(v::kTookEffect));
  rig.poll(5min - 1s);
  CHECK(rig.count(engine::AuditKind::kVerification) == 0);
  rig.poll(1s);
  const auto verifications = rig.of_kind(engine::AuditKind::kVerification);
  REQUIRE(verifications.size() == 1);
  CHECK(verifications[0].success == true);
  std::ifstream log(rig.dir.path / "argv.log");
  std::string first;
  std::getline(log, first);
  CHECK(first == "rollout restart deployment/payment-api -n prod");
}

TEST_CASE("live: a rollout that never completes fails at completion_timeout, as alone",
          "[live][verification]") {
  LiveRig rig({v::kStuck});
  REQUIRE(rig.engine->handle(leak(rig.clock.now())).outcome == engine::Outcome::kExecuted);
  rig.until_done();
  for (int k = 0; k < 8; ++k)
    rig.poll(15s);
  const auto verifications = rig.of_kind(engine::AuditKind::kVerification);
  REQUIRE(verifications.size() == 1);
  CHECK(verifications[0].success == false);
  CHECK(verifications[0].reason == v::kDidNotComplete);
  CHECK(verifications[0].detail == v::kStuckDetail);
}
