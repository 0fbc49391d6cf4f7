// A simulated world: the event kernel, the cluster model built from a ClusterSpec, the
// alert rules, the Alertmanager-like notifier, the on-call responder, and the sim
// implementations of every engine port. Deterministic: the same spec, seed and build give
// the same timeline, byte for byte.
//
//   sim::World world{spec, /*seed=*/7};
//   engine::Engine engine{world.context(), policies, engine::ClassifierModel::builtin()};
//   world.set_incident_sink([&](const engine::Incident& i) { engine.handle(i); });
//   world.set_approval_handler([&](std::uint64_t id, bool ok) { engine.approve(id, ok); });
//   world.run_until(world.start() + 2h);
//   const sim::Timeline& t = world.timeline();
//
// Without an engine attached the world runs the same: notifications go nowhere and the
// on-call is only paged when OnCallSpec::direct_page_after is set.
//
// Threading and re-entrancy: everything runs on the caller's thread inside run_until().
// Incidents are delivered after a scrape tick's model update is complete, so the engine
// may call back into every port (Telemetry, Actuator, ...) from the incident sink. The
// Actuator never reports a result from inside execute(); it completes in a later event.
//
// Ownership: the World owns the Simulation, the model and the ports; the EngineContext it
// returns refers to them, so the World must outlive any Engine built on it. Not movable;
// copy() makes a second world with the same future (branching a run):
//
//   world.run_until(t1);
//   std::unique_ptr<sim::World> branch = world.copy();  // no sink, handler or evaluator set
//   branch->run_until(t2);  // the same timeline as world's to t2, unless told otherwise
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "engine/incident.hpp"
#include "engine/ports.hpp"
#include "sim/cluster_spec.hpp"
#include "sim/prom_series.hpp"
#include "sim/simulation.hpp"
#include "sim/timeline.hpp"

namespace selfheal::sim {

struct WorldOptions {
  std::size_t series_max_points = 2048;  ///< per service, see timeline.hpp
  /// Chart points of all services together: a service keeps at most
  /// max(2, min(series_max_points, series_point_budget / services)) points, so a fleet's
  /// series cost a bounded memory (~56 bytes a point: 4,194,304 points are ~224 MiB) and a
  /// fleet of up to 2,048 services keeps series_max_points each. docs/model.md "Bounded
  /// memory".
  std::size_t series_point_budget = std::size_t{1} << 22;
  bool record_series = true;          ///< false: no chart series (objectives still kept)
  Duration telemetry_retention = 2h;  ///< full-resolution history Telemetry can read
  Duration recovery_hold = 5min;      ///< how long "back within objectives" must hold
  /// Publish the model as Prometheus series (sim/prom_series.hpp): counters are accumulated
  /// per tick only when set, so a run without PromQL pays nothing.
  bool prometheus_series = false;
  /// false: the engine's audit records are not kept (Timeline::audit stays empty; no
  /// decision, verification, rollback or notification-delivered event is logged; pages,
  /// page updates and approval requests carry no detail nor story). For a counterfactual
  /// branch, which reads only
  /// outcomes (pages, actions, alerts, objectives): the world evolves exactly as with it.
  /// (Its runner also sets the engine's Engine::set_audit_text(false).)
  bool record_audit = true;
  /// Threads one scrape tick splits its per-service work over (>= 1). The result is the
  /// same for any count (services are computed from the previous tick of the others; what
  /// touches shared state - events, incidents, alerts, pods - runs after, in service
  /// order). For fleets of thousands of services (bench/README.md "Fleet scale: CPU per
  /// service-tick and both cores"); 1 starts no thread.
  /// A world created before fork() runs single-threaded in the child.
  unsigned threads = 1;
};

/// What World::copy() leaves out.
struct CopyOptions {
  /// false: the copy has no chart series (ServiceSeries::points, neither the original's nor
  /// its own: as WorldOptions::record_series = false), which a counterfactual branch never
  /// reads. Everything else evolves the same. Most of a large world's copy (bench/README.md
  /// "World copy").
  bool chart_series = true;
  /// false: of the events before now - recovery_hold - one scrape interval, the copy keeps
  /// only the alerts' firings and resolutions, so its Timeline::events is not the whole run.
  /// The world itself reads no event before then (a recovery is back-dated by its hold, at
  /// most that far; an action is linked to its decision at now), so the copy evolves the
  /// same. For a counterfactual branch, which reads the events from its decision on and its
  /// incident's alerts (scenario/run_metrics.hpp quiet_again). Copying and freeing the past
  /// events was most of a small world's copy (bench/README.md "World copy").
  bool past_events = true;
};

/// A read-only view of one service's state now, for tests and debugging.
struct ServiceSnapshot {
  std::string name;
  int desired = 0;
  int ready = 0;  ///< Running and ready
  int pending = 0;
  int starting = 0;
  int running = 0;    ///< including not-yet-warm pods
  int crashloop = 0;  ///< CrashLoopBackOff or OOMKilled (waiting to restart)
  int terminating = 0;
  int restarts = 0;  ///< container restarts, all pods ever
  int oom_kills = 0;
  int revision = 0;  ///< current helm revision
  std::string version;
  bool rollout_in_progress = false;
  double max_memory_mb = 0.0;  ///< over live containers
  double request_rate = 0.0;   ///< last tick
  double error_rate = 0.0;
  double cpu = 0.0;
  double latency_p99_ms = 0.0;
  double queue_lag = 0.0;
  double dependency_errors = 0.0;
  std::vector<std::string> enabled_flags;
};

/// What an external rule's evaluation found for one service (AlertRuleSpec::external): the
/// condition holds with this value; the alert's labels and (templated) annotations.
struct ExternalAlert {
  std::size_t service = 0;  ///< index in the spec's services
  double value = 0.0;
  std::map<std::string, std::string> labels, annotations;
};
/// Evaluates external rule `rule` (index in effective_alert_rules) at `now`, appending one
/// entry per service whose condition holds (a later entry for the same service is ignored).
using ExternalRuleEvaluator =
    std::function<void(std::size_t rule, TimePoint now, std::vector<ExternalAlert>& out)>;

class World {
 public:
  /// Precondition: validate(spec) is empty (throws std::invalid_argument with every
  /// problem described otherwise). Use create() to get an Error instead.
  World(const ClusterSpec& spec, std::uint64_t seed, WorldOptions options = {});
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  /// A world whose future is exactly this one's: every part's state copied (pods, traffic,
  /// faults and their random streams, actuation, on-call, telemetry, alerting, the
  /// Prometheus counters, the timeline, the engine's state store, the pending events with
  /// their ids, the engine timers and action results owed — to the original's engine until
  /// rebind()), the spec shared. The incident sink, approval handler and external rule
  /// evaluator are the caller's and are not copied. A member function returning a new
  /// world rather than a copy constructor: a World stays where it was built (the ports an
  /// Engine holds refer into it), and a copy may be refused: std::logic_error while a
  /// closure event is pending on the Simulation (a test's event), or when called from
  /// inside an event. Cost: see bench/README.md "World copy".
  std::unique_ptr<World> copy(CopyOptions options = {}) const;
  /// On a copy, before it runs: the engine timers and action results the original owed to
  /// `from` (an engine's Callbacks, or a wrapper's that forwards to it) are owed to `to`
  /// instead (the copied engine's). A `from` the world never saw changes nothing.
  ///   auto w2 = w.copy();
  ///   engine::Engine e2{e, w2->context()};
  ///   w2->rebind(e.callbacks(), e2.callbacks());
  void rebind(const engine::Callbacks& from, engine::Callbacks& to);

  /// Validates first: an Error naming the field when the spec is not valid.
  static core::Result<std::unique_ptr<World>> create(const ClusterSpec& spec, std::uint64_t seed,
                                                     WorldOptions options = {});

  /// The ports for an Engine: Clock, Scheduler (the event queue), Telemetry (the model's
  /// series), Topology, Calendar, Actuator (the model, with real delays), Notifier (the
  /// on-call + timeline), StateStore (in memory), AuditSink (into the timeline).
  engine::EngineContext context();

  /// Receives every alert notification (one Incident per alert of a service's group, at
  /// group_wait / group_interval / repeat_interval, and once when resolved). The Incident
  /// is the world's own, overwritten by a later notification: the sink may change it (say,
  /// attach a classification) before handing it on, instead of copying it.
  void set_incident_sink(std::function<void(engine::Incident&)> sink);
  /// Evaluates the external rules (Prometheus rule files) at their groups' intervals, after
  /// every service's sample of the tick is written; without one they never fire.
  void set_external_rule_evaluator(ExternalRuleEvaluator e);
  /// Receives the on-call's answers to approval requests (Escalation::approval_id).
  void set_approval_handler(std::function<void(std::uint64_t approval_id, bool approved)> h);

  /// Runs the world up to `t` (absolute). Scrape ticks fall on start + k * scrape_interval.
  void run_until(TimePoint t);
  void run_for(Duration d) { run_until(now() + d); }
  /// Runs until `n` events have been dispatched (Simulation::run_until_dispatched): exactly
  /// between two events, to copy the world just before a given one.
  void run_until_dispatched(std::uint64_t n);
  TimePoint now() const;
  TimePoint start() const;

  /// The chart points include the bucket still being filled (written into each series'
  /// last point on this call: like any other call, not concurrently with another one).
  const Timeline& timeline() const;
  /// Moves the timeline out when the run is over (a sweep does this for every run rather
  /// than copy it); the world's own timeline is left empty.
  Timeline take_timeline();
  const ClusterSpec& spec() const;
  Simulation& simulation();

  /// State of `service` now; throws std::out_of_range for an unknown name.
  ServiceSnapshot snapshot(std::string_view service) const;
  /// Signals as the Telemetry port reports them (same as context().telemetry).
  engine::ServiceSignals signals(std::string_view service, Duration window);

  /// The Prometheus series the world publishes (docs/prometheus-series.md), services in
  /// spec order; empty unless WorldOptions::prometheus_series. Fixed for the world's life.
  const std::vector<PromSeriesInfo>& prom_series() const;
  /// Appends to `out` the samples of prom_series()[index] at scrape ticks in [start, end]
  /// that are still kept (the last `telemetry_retention`), ascending; none before the
  /// first tick. A series absent at a tick (the OOMKilled reason before any OOM kill) has
  /// no sample there.
  void prom_samples(std::size_t index, TimePoint start, TimePoint end,
                    std::vector<PromPoint>& out) const;
  /// The scrape ticks prom_samples can still return samples at: [first, last], both
  /// inclusive; nullopt before the first tick. A caller keeping copies of samples (e.g.
  /// scenario::WorldSeriesSource) drops those before `first` to answer as prom_samples does.
  std::optional<std::pair<TimePoint, TimePoint>> prom_kept() const;
  /// The samples of prom_series()[indices[j]] at scrape tick `t` (one prom_kept() holds)
  /// into out[j], as prom_samples would give them: one pass over the rings for a row of many
  /// series. out[j] is written only for the series with a sample there; see PromRow.
  PromRow prom_row(std::span<const std::size_t> indices, TimePoint t, double* out) const;

  /// Scrape ticks run so far (the benchmark's event count uses Simulation::dispatched()).
  std::uint64_t ticks() const;

 private:
  struct Impl;
  explicit World(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal::sim
