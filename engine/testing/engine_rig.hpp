// An Engine on the in-memory ports, for tests that drive it alert by alert: a manual clock
// and scheduler, telemetry that reads healthy by default, a static topology and calendar,
// an actuator that completes every action after a fixed time, and recording notifier and
// audit. A test sets the ports up, then start()s the engine with its policies.
//
//   testing::EngineRig rig{kT0};
//   rig.topology.set_upstreams(kWeb, {{kApi, false, 0.35, "error_rate 0.35 > 0.05"}});
//   rig.start(PolicySet{{policy}, {}, "test"});
//   rig.engine->handle(incident);
//   rig.scheduler.advance(6min);
//   CHECK(rig.pages().size() == 1);
#pragma once

#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "engine/classifier.hpp"
#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"
#include "engine/testing/scripted_actuator.hpp"

namespace selfheal::engine::testing {

struct EngineRig {
  /// How long the actuator takes to report an action done.
  static constexpr Duration kActionTime = std::chrono::seconds{30};
  /// The healthy reading of every service without its own signals.
  static constexpr double kHealthyErrorRate = 0.001;

  ManualClock clock;
  ManualScheduler scheduler{clock};
  StaticTelemetry telemetry;
  StaticTopology topology;
  StaticCalendar calendar;
  ScriptedActuator actuator{&scheduler, kActionTime};
  RecordingNotifier notifier;
  MemoryStateStore state;
  VectorAuditSink audit;
  std::optional<Engine> engine;

  explicit EngineRig(TimePoint start) : clock(start) {
    telemetry.fallback.error_rate = kHealthyErrorRate;
    telemetry.fallback.error_rate_baseline = 0.002;
    telemetry.fallback.ready_replicas = 3;
    telemetry.fallback.desired_replicas = 3;
    telemetry.fallback.latency_p99_ms = 120;
    telemetry.fallback.latency_p99_baseline_ms = 110;
    topology.default_services_per_namespace = 10;
  }
  EngineRig(const EngineRig&) = delete;
  EngineRig& operator=(const EngineRig&) = delete;

  void start(PolicySet policies) {
    engine.emplace(EngineContext{clock, scheduler, telemetry, topology, calendar, actuator,
                                 notifier, state, audit},
                   std::move(policies), ClassifierModel{});
  }
  /// Escalations that page a person (approval requests and page updates excluded).
  std::vector<Escalation> pages() const {
    std::vector<Escalation> out;
    for (const auto& e : notifier.escalations())
      if (e.approval_id == 0 && !e.update) out.push_back(e);
    return out;
  }
  /// Updates of an open page (same incident, sent again with more in it).
  std::vector<Escalation> updates() const {
    std::vector<Escalation> out;
    for (const auto& e : notifier.escalations())
      if (e.update) out.push_back(e);
    return out;
  }
};

}  // namespace selfheal::engine::testing
