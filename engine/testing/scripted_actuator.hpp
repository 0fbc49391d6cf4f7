// Test doubles for the engine's ports (test-only target selfheal::engine_testing; never linked
// into a production binary). The value-backed ports themselves are production code
// (engine/fixed_ports.hpp: `selfheal decide` runs over them); what lives here only makes
// sense in a test: an actuator that completes by itself on a timer, and ports that record
// what the engine asked.
//
//   ManualClock clock{t0};
//   ManualScheduler scheduler{clock};
//   testing::ScriptedActuator actuator{&scheduler, 30s};   // every action done 30 s later, ok
//   actuator.undo_for = [](const ActionRequest&) { return previous_scale; };
//   ...
//   engine.handle(incident);
//   scheduler.advance(30s + 5min);   // completion, then verification
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/fixed_ports.hpp"

namespace selfheal::engine::testing {

/// Records every request. Completion is either manual (`complete`) or automatic: with a
/// scheduler, each action completes `delay` after execute() with `auto_result` (the
/// `undo` of a result is filled in by `undo_for` when set). Completion never happens
/// inside execute(), as the Actuator contract requires. Repeating a request id is
/// idempotent: the second execute() is recorded in `duplicates()` and never completes.
///
/// Its automatic completions are timers addressed to itself (it is their Callbacks, the
/// token a request id), so a copy (ScriptedActuator(other, scheduler)) on a copied
/// ManualScheduler works once the scheduler's timers for `other` are retargeted to it.
class ScriptedActuator final : public Actuator, public Callbacks {
 public:
  ScriptedActuator() = default;
  ScriptedActuator(Scheduler* scheduler, Duration delay,
                   ActionResult auto_result = {true, "ok", {}})
      : scheduler_(scheduler), delay_(delay), auto_result_(std::move(auto_result)) {}
  /// `other`'s state (requests, pending completions, script) on `scheduler`.
  ScriptedActuator(const ScriptedActuator& other, Scheduler* scheduler) : ScriptedActuator(other) {
    scheduler_ = scheduler;
  }

  void execute(const ActionRequest& request, Callbacks& to) override;
  void forget(Callbacks& to) override { recorded_.forget(to); }
  /// Every pending completion owed to `from` is now owed to `to`.
  void retarget(const Callbacks& from, Callbacks& to) { recorded_.retarget(from, to); }
  /// The automatic completion of request `token` is due.
  void on_timer(std::uint64_t token) override;
  /// Unused: an actuator starts no action of its own.
  void on_action_done(std::uint64_t, ActionResult) override {}

  /// Completes a pending request. False when `id` is not pending.
  bool complete(std::uint64_t id, ActionResult result) {
    return recorded_.complete(id, std::move(result));
  }
  /// Completes every pending request with `result`, oldest first; returns how many.
  std::size_t complete_all(const ActionResult& result) { return recorded_.complete_all(result); }

  const std::vector<ActionRequest>& requests() const { return recorded_.requests(); }
  std::size_t pending() const { return recorded_.pending(); }
  std::size_t duplicates() const { return recorded_.duplicates(); }
  /// How an action would be undone, attached to automatic results (e.g. the previous
  /// replica count for a scale). Unset: results carry no undo.
  std::function<std::optional<ActionSpec>(const ActionRequest&)> undo_for;
  /// Result for automatic completion (may be changed between actions).
  ActionResult& auto_result() { return auto_result_; }

  /// Actuator::deployment: each read takes the next scripted status (the last one repeats;
  /// none scripted: not observed, as the default actuator) and is recorded in
  /// deployment_reads(). Example: {in progress, in progress, complete} completes on the
  /// third look.
  DeploymentStatus deployment(const ServiceRef& target) override {
    deployment_reads_.push_back(target);
    if (deployments.empty()) return {};
    const std::size_t k = std::min(deployment_reads_.size(), deployments.size()) - 1;
    return deployments[k];
  }
  std::vector<DeploymentStatus> deployments;
  std::vector<ServiceRef>& deployment_reads() { return deployment_reads_; }

 private:
  Scheduler* scheduler_ = nullptr;
  Duration delay_{0};
  ActionResult auto_result_{true, "ok", {}};
  /// Requests, pending completions and the idempotence by id: engine::RecordingActuator's,
  /// which this one extends with completion on a timer.
  RecordingActuator recorded_;
  std::vector<ServiceRef> deployment_reads_;

  ScriptedActuator(const ScriptedActuator&) = default;
};

/// One call the engine made to a data port.
struct PortCall {
  enum class Kind { kSignals, kQuery, kUpstreams, kHealth };
  Kind kind = Kind::kSignals;
  ServiceRef service;
  Duration window{0};  ///< kSignals
  std::string expr;    ///< kQuery
  friend bool operator==(const PortCall&, const PortCall&) = default;
};

/// Telemetry that answers from a StaticTelemetry and records every call.
class RecordingTelemetry final : public Telemetry {
 public:
  explicit RecordingTelemetry(Telemetry& inner) : inner_(inner) {}
  ServiceSignals signals(const ServiceRef& service, Duration window) override;
  std::optional<double> query(const std::string& expr, const ServiceRef& service) override;
  std::vector<PortCall>& calls() { return calls_; }

 private:
  Telemetry& inner_;
  std::vector<PortCall> calls_;
};

/// Topology that answers from another and records upstreams() and health() calls into `calls`.
class RecordingTopology final : public Topology {
 public:
  RecordingTopology(Topology& inner, std::vector<PortCall>& calls) : inner_(inner), calls_(calls) {}
  std::vector<DependencyHealth> upstreams(const ServiceRef& service) override;
  DependencyHealth health(const ServiceRef& service) override;
  std::size_t services_in_namespace(const std::string& ns) override {
    return inner_.services_in_namespace(ns);
  }

 private:
  Topology& inner_;
  std::vector<PortCall>& calls_;
};

}  // namespace selfheal::engine::testing
