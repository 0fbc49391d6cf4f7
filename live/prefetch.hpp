// Verification without stalling the engine: a Scheduler whose timers fetch the Prometheus
// answers their callback will need on worker threads first, and only then run the
// callback on the engine thread.
//
// The engine is single-threaded and its Telemetry port is synchronous, so a verification
// (about 15 signal queries plus the policy's PromQL checks, each up to prometheus.timeout)
// used to block every other decision queued behind it. With PrefetchScheduler:
//
//   timer expires (engine thread) -> planner(tag) lists the PromQL the callback will send
//     -> the queries run in parallel on the worker pool (the engine keeps deciding)
//     -> completion posted to the engine thread: answers installed in PrometheusTelemetry,
//        the callback runs and reads them without waiting, answers cleared.
//
// Semantics kept: a timer's callback still runs exactly once on the engine thread, later by
// the prefetch time (like a timer that fires late); cancel() before the callback ran
// (during the prefetch too) returns true and the callback never runs. A query the planner
// did not foresee is sent blocking, as before (PrometheusTelemetry::blocking_queries()).
// Without a Prometheus URL or with an empty plan the callback runs at once.
//
// Webhook decisions that will query (no external classification, ...) go through
// IncidentGate (below) the same way, so no engine call waits for Prometheus unless a query
// was not foreseen.
//
// Tags: each timer remembers the target the engine was working on when it was armed
// (set_current / CurrentTarget around every engine call the wiring makes), so a follow-up
// timer knows whose signals to fetch. Verification timers are found from the StateStore
// (in-flight actions whose verify_at is due), which also covers the timers Engine::resume
// arms after a restart.
//
//   PrefetchScheduler sched(engine_io.get_executor(), telemetry, planner);
//   { CurrentTarget on(sched, incident.target); engine.handle(incident); }
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "engine/data_needs.hpp"
#include "engine/incident.hpp"
#include "engine/policy.hpp"
#include "engine/ports.hpp"
#include "live/deployment_status.hpp"
#include "live/prometheus.hpp"
#include "live/runtime.hpp"

namespace selfheal::live {

class PrefetchScheduler final : public engine::Scheduler, private engine::Callbacks {
 public:
  /// The PromQL the callback of a timer armed while the engine worked on `tag` (nullopt:
  /// not known) will send. Called on the engine thread when the timer expires.
  using Planner =
      std::function<std::vector<std::string>(const std::optional<engine::ServiceRef>& tag)>;

  PrefetchScheduler(boost::asio::any_io_executor engine, PrometheusTelemetry& telemetry,
                    Planner planner, std::size_t workers = 4);
  /// Joins the workers (each query is bounded by prometheus.timeout); callbacks still
  /// waiting for their prefetch never run.
  ~PrefetchScheduler() override;
  PrefetchScheduler(const PrefetchScheduler&) = delete;
  PrefetchScheduler& operator=(const PrefetchScheduler&) = delete;

  engine::TimerId after(engine::Duration delay, engine::Callbacks& to,
                        std::uint64_t token) override;
  bool cancel(engine::TimerId id) override;

  /// The Deployments the callback of a timer armed while the engine worked on `tag` will
  /// read through Actuator::deployment (engine::DataNeeds::deployment); called on the engine
  /// thread when the timer expires. With `reader`, set before the first timer: those are
  /// read on the workers and installed in `reader` around the callback, like the PromQL.
  using DeploymentPlanner =
      std::function<std::vector<engine::ServiceRef>(const std::optional<engine::ServiceRef>& tag)>;
  void set_deployment_reads(DeploymentPlanner planner, DeploymentReader& reader) {
    deployment_planner_ = std::move(planner);
    reader_ = &reader;
  }

  /// Engine thread: the target the engine is working on now (tags timers armed meanwhile).
  void set_current(std::optional<engine::ServiceRef> target) { current_ = std::move(target); }
  const std::optional<engine::ServiceRef>& current() const { return current_; }

  /// Sends `plan` on the worker pool (in parallel) and posts `done` with every answer to the
  /// engine thread; `done` never runs once the scheduler is destroyed. Engine thread.
  void prefetch(std::vector<std::string> plan,
                std::function<void(std::shared_ptr<const PrometheusTelemetry::Answers>)> done);

  /// Timers armed or prefetching.
  std::size_t pending() const { return entries_.size(); }
  /// Callbacks that waited for a prefetch (for tests and logs).
  std::uint64_t prefetched_callbacks() const { return prefetched_; }

 private:
  struct Entry {
    std::optional<engine::ServiceRef> tag;
    engine::Callbacks* to = nullptr;  ///< called with `token` once the prefetch is in
    std::uint64_t token = 0;
    engine::TimerId inner = 0;  ///< 0 once expired (prefetching)
  };
  // The inner scheduler's timers call back here, the token being the entry's id.
  void on_timer(std::uint64_t id) override { expired(id); }
  void on_action_done(std::uint64_t, engine::ActionResult) override {}
  void expired(engine::TimerId id);
  /// After the Deployment reads (if any): the PromQL prefetch, then run.
  void fetch_then_run(engine::TimerId id, std::shared_ptr<DeploymentReader::Answers> deployments);
  void run(engine::TimerId id, std::shared_ptr<const PrometheusTelemetry::Answers> answers,
           std::shared_ptr<DeploymentReader::Answers> deployments);

  boost::asio::any_io_executor engine_;
  PrometheusTelemetry& telemetry_;
  Planner planner_;
  DeploymentPlanner deployment_planner_;
  DeploymentReader* reader_ = nullptr;
  AsioScheduler inner_;
  boost::asio::thread_pool pool_;
  engine::TimerId next_ = 1;
  std::map<engine::TimerId, Entry> entries_;
  std::optional<engine::ServiceRef> current_;
  std::uint64_t prefetched_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

/// Sets the scheduler's current target for a scope (restoring the previous one).
class CurrentTarget {
 public:
  CurrentTarget(PrefetchScheduler& s, std::optional<engine::ServiceRef> target)
      : s_(s), previous_(s.current()) {
    s_.set_current(std::move(target));
  }
  ~CurrentTarget() { s_.set_current(std::move(previous_)); }
  CurrentTarget(const CurrentTarget&) = delete;
  CurrentTarget& operator=(const CurrentTarget&) = delete;

 private:
  PrefetchScheduler& s_;
  std::optional<engine::ServiceRef> previous_;
};

/// Tags the engine's work on an action's completion with its target, so the timers the
/// engine arms there (verification) are known to be about it. Wraps the real actuator; both
/// references must outlive it.
class TaggingActuator final : public engine::Actuator, private engine::Callbacks {
 public:
  TaggingActuator(engine::Actuator& inner, PrefetchScheduler& scheduler)
      : inner_(inner), scheduler_(scheduler) {}
  ~TaggingActuator() override { inner_.forget(*this); }
  TaggingActuator(const TaggingActuator&) = delete;
  TaggingActuator& operator=(const TaggingActuator&) = delete;
  void execute(const engine::ActionRequest& request, engine::Callbacks& to) override;
  void forget(engine::Callbacks& to) override;
  engine::DeploymentStatus deployment(const engine::ServiceRef& target) override {
    return inner_.deployment(target);
  }

 private:
  // The inner actuator's results come here first: tagged, then passed on.
  void on_timer(std::uint64_t) override {}
  void on_action_done(std::uint64_t request_id, engine::ActionResult r) override;

  engine::Actuator& inner_;
  PrefetchScheduler& scheduler_;
  struct Waiting {
    engine::Callbacks* to = nullptr;
    engine::ServiceRef target;
  };
  std::map<std::uint64_t, Waiting> waiting_;  ///< request id -> whom its result goes to
};

/// Webhook decisions get the same treatment: an incident whose decision will query
/// Prometheus (planner non-empty: no external classification, a resolved alert's health
/// check, a topology dependency pre-check) waits, off the engine's queue, while its
/// queries are sent on the workers; other incidents are handled at once. Per target, order
/// is kept: while a target has an incident waiting, every later incident for it queues
/// behind. Answers are reused for the same target for `reuse` after they arrived, so a
/// duplicate storm costs one round of queries, not one per duplicate (the engine dedups
/// duplicates before it would query anyway). Engine thread only.
class IncidentGate {
 public:
  using Planner = std::function<std::vector<std::string>(const engine::Incident&)>;
  using Handler = std::function<void(const engine::Incident&)>;
  IncidentGate(PrefetchScheduler& scheduler, PrometheusTelemetry& telemetry, Planner planner,
               Handler handler,
               std::chrono::steady_clock::duration reuse = std::chrono::seconds{1});
  /// Handles `incident` now (through the handler, with any answers installed) or once its
  /// target's queries are answered.
  void submit(engine::Incident incident);
  /// Incidents waiting for their queries.
  std::size_t waiting() const;
  /// Rounds of queries sent for incidents.
  std::uint64_t fetches() const { return fetches_; }

 private:
  struct Cached {
    std::chrono::steady_clock::time_point at;
    std::shared_ptr<const PrometheusTelemetry::Answers> answers;
  };
  void drain(const engine::ServiceRef& target);
  bool covered(const engine::ServiceRef& target, const std::vector<std::string>& plan) const;
  void handle(const engine::Incident& incident,
              std::shared_ptr<const PrometheusTelemetry::Answers> answers);

  PrefetchScheduler& scheduler_;
  PrometheusTelemetry& telemetry_;
  Planner planner_;
  Handler handler_;
  std::chrono::steady_clock::duration reuse_;
  std::map<engine::ServiceRef, std::deque<engine::Incident>> waiting_;
  std::map<engine::ServiceRef, Cached> cache_;
  std::uint64_t fetches_ = 0;
};

/// The live incident planner: the PromQL answering what the engine says the decision will
/// read (engine::decision_needs: signal windows, upstreams, PromQL checks), given the
/// target's state in `state` and the time on `clock`. Upstreams become their error-rate
/// queries (what ConfigTopology::upstreams sends).
IncidentGate::Planner incident_planner(engine::StateStore& state, engine::Clock& clock,
                                       const engine::PolicySet& policies,
                                       const PrometheusTelemetry& telemetry,
                                       const ConfigTopology& topology);

/// The live planner: for every in-flight action whose verification is due (from `state`),
/// the PromQL for engine::verification_needs (the policy's verification window and its
/// PromQL checks); for a tagged target with nothing in flight (a follow-up re-decides it),
/// the PromQL for engine::follow_up_needs.
PrefetchScheduler::Planner verification_planner(engine::StateStore& state, engine::Clock& clock,
                                                const engine::PolicySet& policies,
                                                const PrometheusTelemetry& telemetry,
                                                const ConfigTopology& topology);

/// The Deployments a verification timer's callback reads: each executed in-flight action
/// that is tagged or due whose policy's verification_needs name `deployment`.
PrefetchScheduler::DeploymentPlanner deployment_planner(engine::StateStore& state,
                                                        engine::Clock& clock,
                                                        const engine::PolicySet& policies);

}  // namespace selfheal::live
