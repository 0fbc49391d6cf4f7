// Decision latency: one incident through Engine::handle with 100 policies loaded and
// 10,000 targets tracked in the MemoryStateStore, every guardrail switched on (dependency
// pre-check, planned events, cooldown, attempts, concurrency, blast radius, breaker).
//
// Each iteration times exactly one handle() call, by steady_clock (manual time, the "Time"
// column is the mean) and by this thread's CPU clock, and keeps every sample: the counters
// wall_median_us / wall_p99_us / cpu_median_us / cpu_p99_us are the distribution. What the engine
// schedules (actuator completion, verification) runs between samples, untimed, so every timed
// decision starts from the same kind of state.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/audit_json.hpp"
#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"

namespace {

using namespace selfheal::engine;
using namespace std::chrono_literals;

constexpr int kPolicies = 100;
constexpr int kTargets = 10'000;
constexpr int kNamespaces = 100;  // 100 services each

class CountingSink final : public AuditSink {
 public:
  void record(const AuditRecord& r) override { last_seq_ = r.seq; }
  std::uint64_t last_seq_ = 0;
};

class CountingNotifier final : public Notifier {
 public:
  void escalate(const Escalation&) override { ++pages_; }
  std::size_t pages_ = 0;
};

// Completes every action on the next scheduler step, like a fast cluster.
// Its own timers (token = request id) report the results.
class InstantActuator final : public Actuator, Callbacks {
 public:
  explicit InstantActuator(Scheduler& s) : scheduler_(s) {}
  void execute(const ActionRequest& r, Callbacks& to) override {
    owed_[r.id] = &to;
    scheduler_.after(0ms, *this, r.id);
  }
  void forget(Callbacks& to) override {
    std::erase_if(owed_, [&](const auto& kv) { return kv.second == &to; });
  }

 private:
  void on_timer(std::uint64_t id) override {
    auto it = owed_.find(id);
    if (it == owed_.end()) return;
    Callbacks* to = it->second;
    owed_.erase(it);
    to->on_action_done(id, ActionResult{true, "ok", {}});
  }
  void on_action_done(std::uint64_t, ActionResult) override {}

  std::map<std::uint64_t, Callbacks*> owed_;  ///< request id -> whom it reports to
  Scheduler& scheduler_;
};

PolicySet make_policies() {
  PolicySet set;
  set.source_file = "bench";
  for (int i = 0; i < kPolicies; ++i) {
    Policy p;
    p.incident_type = "type-" + std::to_string(i);
    ActionSpec a;
    a.kind = i % 2 == 0 ? ActionKind::kRestart : ActionKind::kScale;
    if (a.kind == ActionKind::kScale) a.replicas = 6;
    p.actions = {a};
    p.auto_execute = true;
    p.confidence_threshold = 0.9;
    p.max_attempts = 2;
    p.cooldown = 10min;
    p.verification_window = 5min;
    p.dependency_precheck.enabled = true;
    p.scope.exclude_services = {"payments-db", "ledger-db"};
    set.policies.push_back(std::move(p));
  }
  set.settings.mode = Mode::kAuto;
  set.settings.limits.max_concurrent_actions = 50;
  set.settings.limits.max_actions_per_window = 1'000'000;  // on, never trips here
  set.settings.limits.rate_window = 1h;
  set.settings.limits.blast_radius = 0.5;
  return set;
}

ServiceRef target(int i) {
  return {"ns-" + std::to_string(i % kNamespaces), "svc-" + std::to_string(i)};
}

struct Bench {
  ManualClock clock{*parse_time("2026-11-27T00:00:00Z")};
  ManualScheduler scheduler{clock};
  StaticTelemetry telemetry;
  StaticTopology topology;
  StaticCalendar calendar;
  InstantActuator actuator{scheduler};
  CountingNotifier notifier;
  MemoryStateStore state;
  CountingSink audit;
  Engine engine;
  std::vector<Incident> incidents;

  explicit Bench(bool external_classification)
      : engine({clock, scheduler, telemetry, topology, calendar, actuator, notifier, state, audit},
               make_policies(), ClassifierModel::builtin()) {
    ServiceSignals healthy;
    healthy.error_rate = 0.001;
    healthy.ready_replicas = healthy.desired_replicas = 3;
    healthy.latency_p99_ms = 100;
    healthy.latency_p99_baseline_ms = 100;
    telemetry.fallback = healthy;
    topology.default_services_per_namespace = kTargets / kNamespaces;
    // Every target has history: a past action long out of cooldown.
    for (int i = 0; i < kTargets; ++i) {
      TargetState st;
      st.last_action_at = clock.now() - 24h;
      state.save(target(i), st);
      topology.set_upstreams(target(i), {DependencyHealth{{"ns-0", "payments-db"}, true, 0.001, ""},
                                         DependencyHealth{{"ns-0", "cache"}, true, 0.0, ""}});
    }
    // A campaign for some other service: the calendar is consulted, nothing matches.
    calendar.add({"spring-campaign", "marketing-campaign", clock.now(), clock.now() + 2400h, 3.0},
                 ServiceRef{"ns-1", "checkout-api"});
    for (int i = 0; i < kTargets; ++i) {
      Incident inc;
      inc.target = target(i);
      inc.fingerprint = "fp-" + std::to_string(i);
      inc.alertname = "HighErrorRate";
      if (external_classification) {
        inc.classification = ExternalClassification{"type-" + std::to_string(i % kPolicies), 0.95};
      }
      incidents.push_back(std::move(inc));
    }
  }
};

// This thread's CPU time: unlike steady_clock it does not count time the thread spent
// preempted, so it stays meaningful on a loaded shared machine.
double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

struct Samples {
  std::vector<double> wall;
  std::vector<double> cpu;
};

void put(benchmark::State& state, const char* name, std::vector<double>& ns) {
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  state.counters[std::string(name) + "_median_us"] = ns[ns.size() / 2] / 1000.0;
  state.counters[std::string(name) + "_p99_us"] =
      ns[std::min(ns.size() - 1, ns.size() * 99 / 100)] / 1000.0;
}

void report(benchmark::State& state, Samples& s) {
  put(state, "wall", s.wall);
  put(state, "cpu", s.cpu);
}

// Times one handle() call: wall (steady_clock) and thread CPU time.
template <typename F>
void timed(benchmark::State& state, Samples& s, F&& f) {
  const double c0 = thread_cpu_ns();
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const auto t1 = std::chrono::steady_clock::now();
  const double c1 = thread_cpu_ns();
  const double wall = std::chrono::duration<double, std::nano>(t1 - t0).count();
  s.wall.push_back(wall);
  s.cpu.push_back(c1 - c0);
  state.SetIterationTime(wall / 1e9);
}

// One decision that passes every guardrail and executes.
void BM_DecisionExecuted(benchmark::State& state) {
  Bench b(true);
  Samples samples;
  std::size_t i = 0;
  Outcome last = Outcome::kExecuted;
  for (auto _ : state) {
    const Incident& inc = b.incidents[i++ % b.incidents.size()];
    timed(state, samples, [&] {
      Decision d = b.engine.handle(inc);
      last = d.outcome;
      benchmark::DoNotOptimize(d);
    });
    b.scheduler.run_all();  // untimed: completion + verification (verified)
  }
  if (last != Outcome::kExecuted) state.SkipWithError("decision was not executed");
  report(state, samples);
}
BENCHMARK(BM_DecisionExecuted)->UseManualTime()->Iterations(20'000)->Unit(benchmark::kMicrosecond);

// The most common refusal: the same target again inside its cooldown (quiet, no page).
void BM_DecisionCooldown(benchmark::State& state) {
  Bench b(true);
  for (const auto& inc : b.incidents)
    b.engine.handle(inc);
  b.scheduler.run_all();
  Samples samples;
  std::size_t i = 0;
  for (auto _ : state) {
    Incident inc = b.incidents[i++ % b.incidents.size()];
    timed(state, samples, [&] {
      Decision d = b.engine.handle(inc);
      benchmark::DoNotOptimize(d);
    });
  }
  report(state, samples);
}
BENCHMARK(BM_DecisionCooldown)->UseManualTime()->Iterations(20'000)->Unit(benchmark::kMicrosecond);

// With the built-in classifier instead of an external classification (the incident type
// comes from Telemetry + Topology; usually "unknown" here, so no-policy + a page).
void BM_DecisionBuiltinClassifier(benchmark::State& state) {
  Bench b(false);
  Samples samples;
  std::size_t i = 0;
  for (auto _ : state) {
    const Incident& inc = b.incidents[i++ % b.incidents.size()];
    timed(state, samples, [&] {
      Decision d = b.engine.handle(inc);
      benchmark::DoNotOptimize(d);
    });
    b.scheduler.run_all();
  }
  report(state, samples);
}
BENCHMARK(BM_DecisionBuiltinClassifier)
    ->UseManualTime()
    ->Iterations(20'000)
    ->Unit(benchmark::kMicrosecond);

// Engine(const Engine&, EngineContext) (issue 13: a snapshot at a decision): the copy of an
// engine with kCopyInFlight actions executed, reported done and waiting for verification
// (an episode with its history, an in-flight entry and a pending verification timer each),
// onto a copied scheduler (the copy is never run, so the other ports are the original's).
// Times the copy alone; its destruction (cancelling its timers on the copied scheduler) runs
// untimed.
constexpr int kCopyInFlight = 50;  // the bench's max_concurrent_actions

void BM_EngineCopy(benchmark::State& state) {
  Bench b(true);
  for (int i = 0; i < kCopyInFlight; ++i)
    if (b.engine.handle(b.incidents[static_cast<std::size_t>(i)]).outcome != Outcome::kExecuted)
      state.SkipWithError("decision was not executed");
  b.scheduler.advance(1s);  // results in: every action now waits for its verification
  if (b.scheduler.pending() != kCopyInFlight) state.SkipWithError("verification not pending");
  Samples samples;
  std::size_t copy_bytes = 0;  // heap the copy holds (glibc's count of bytes in use)
  for (auto _ : state) {
    ManualClock clock = b.clock;
    ManualScheduler scheduler{b.scheduler, clock};
    InstantActuator actuator{scheduler};
    std::optional<Engine> copy;
    const std::size_t heap_before = mallinfo2().uordblks;
    timed(state, samples, [&] {
      copy.emplace(b.engine, EngineContext{clock, scheduler, b.telemetry, b.topology, b.calendar,
                                           actuator, b.notifier, b.state, b.audit});
    });
    copy_bytes = mallinfo2().uordblks - heap_before;
  }
  state.counters["in_flight"] = kCopyInFlight;
  state.counters["copy_heap_kB"] = static_cast<double>(copy_bytes) / 1024.0;
  report(state, samples);
}
BENCHMARK(BM_EngineCopy)->UseManualTime()->Iterations(5'000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
