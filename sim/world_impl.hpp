// World::Impl: the simulated world's parts and their wiring. Internal to sim/.
//
// The world is one scrape-tick loop over every service plus the events of the scenario,
// the actuator and the on-call person, all on one Simulation (the event kernel). Two kinds
// of parts, in the order a tick runs them:
//
// The hot parts, run for every service on every tick, compiled as one unity translation
// unit so the tick's callees inline (split and not inlined, the 200-service 7-day run took
// ~15% more CPU; their tick members are `inline`, call them only from these files):
//
//   pods           Pods (sim/pods.hpp): pods & rollouts, owning every service's
//                  model::PodSet (Deployment/ReplicaSet controllers, kubelet back-off, OOM
//                  kills, helm releases and pod templates) and the cluster's pod slots
//   traffic        Traffic (sim/traffic.hpp): traffic & service physics, owning every
//                  service's model::Svc: demand, capacity, errors, latency, CPU, queues,
//                  fault and action effects, the neighbours' view; the no-fault baselines
//   telemetry      Telemetry (sim/telemetry.hpp): the telemetry ring and chart series
//   alerting       Alerting (sim/alerting.hpp): Prometheus-like rules (pending -> firing
//                  -> resolved, episodes), the alert groups and the notifications they send
//   prom           PromExport (sim/prom_export.hpp, prom_series.cpp): the model as
//                  Prometheus series, only with WorldOptions::prometheus_series: the
//                  catalogue, running counters and histogram buckets in a ring
//   tick.cpp       the scrape tick: World::Impl runs the parts above for every service
//                  (one part's result is the next one's input), in parallel blocks with
//                  threads > 1
//
// The parts that run on events, per tick or on a change: objects that own their state,
// each a header + .cpp, constructed with what they need and asking the rest of the world
// through a small interface (`X::Env`) that World::Impl implements below (XEnv, in
// world.cpp) over the other parts:
//
//   alert_groups   AlertGroups (Alerting's): Alertmanager-like per-service group timing
//   faults         Faults: ground-truth incidents' runtime, fault and planned-event
//                  effects, attribution of events to incidents, impact and recovery
//   actuation      Actuation: the Actuator's actions with real delays, waits on the model
//                  (rollout complete, replicas ready), request ids, completions
//   oncall         OnCall: response times, pages, approvals, human fixes
//   sim_ports.cpp  the engine port adapters over the parts (the Telemetry port's signals,
//                  the Topology port's health, the snapshot), and the audit -> timeline
//
// Arrows (calls through an Env or a part's operations, or events on `sim`):
//   alerting -> AlertGroups (firing, resolved; flush decides when alerting sends a group)
//   alerting -> OnCall::page (a critical alert past direct_page_after), -> log; it reads
//             Telemetry's samples and the Pods' OOM and restart times
//   the tick -> Pods (stats) -> Traffic (values) -> Telemetry (sample) -> Alerting,
//             -> PromExport (the sample's counters)
//   Pods -> Faults (a good release rolled out ends a bad deploy), -> log
//   Faults -> Pods (a leak, a hog, stalled consumers, lost pods, a bad or planned release,
//             pod slots), -> traffic (outage, maintenance, degradation, traffic multiplier,
//             poison, flags), -> log
//   Actuation -> Pods (restart, rollback, replicas), -> traffic (purge, flag off, shift),
//             -> Faults (cache purged, flag disabled), -> log
//   OnCall -> Faults (attribution, incidents, end of a cause), -> Actuation (a fix by
//             hand), -> Pods and traffic (is the release still bad, the cache poisoned), -> log
//   the log -> Faults::attribute (every timeline event names its incident)
// Nothing writes another part's state: Faults and Actuation change pods and traffic only
// through the named operations of their Env. Time is core::TimePoint / Duration throughout.
// Model coefficients live in sim/model_constants.hpp. docs/architecture.md "The simulated
// world" has the picture.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/memory_state_store.hpp"
#include "engine/ports.hpp"
#include "sim/actuation.hpp"
#include "sim/alert_groups.hpp"
#include "sim/alerting.hpp"
#include "sim/baseline_health.hpp"
#include "sim/cluster_spec.hpp"
#include "sim/faults.hpp"
#include "sim/model_types.hpp"
#include "sim/oncall.hpp"
#include "sim/pods.hpp"
#include "sim/prom_export.hpp"
#include "sim/simulation.hpp"
#include "sim/telemetry.hpp"
#include "sim/telemetry_ring.hpp"
#include "sim/tick_workers.hpp"
#include "sim/timeline.hpp"
#include "sim/traffic.hpp"
#include "sim/world.hpp"

namespace selfheal::sim {

struct World::Impl final : EventTarget {
  using Phase = model::Phase;
  using Pod = model::Pod;
  using Release = model::Release;
  using Flag = model::Flag;
  using Sample = model::Sample;
  using PodStats = model::PodStats;
  using Svc = model::Svc;
  using AlertState = model::AlertState;
  using int64_t = std::int64_t;

  // ---- engine port adapters (sim/sim_ports.cpp) ------------------------------------------
  struct ClockPort final : engine::Clock {
    explicit ClockPort(Impl& w) : w_(w) {}
    TimePoint now() const override;
    Impl& w_;
  };
  struct SchedulerPort final : engine::Scheduler {
    explicit SchedulerPort(Impl& w) : w_(w) {}
    engine::TimerId after(Duration delay, engine::Callbacks& to, std::uint64_t token) override;
    bool cancel(engine::TimerId id) override;
    Impl& w_;
  };
  struct TelemetryPort final : engine::Telemetry {
    explicit TelemetryPort(Impl& w) : w_(w) {}
    engine::ServiceSignals signals(const engine::ServiceRef& s, Duration window) override;
    Impl& w_;
  };
  struct TopologyPort final : engine::Topology {
    explicit TopologyPort(Impl& w) : w_(w) {}
    std::vector<engine::DependencyHealth> upstreams(const engine::ServiceRef& s) override;
    engine::DependencyHealth health(const engine::ServiceRef& s) override;
    std::size_t services_in_namespace(const std::string& ns) override;
    Impl& w_;
  };
  struct CalendarPort final : engine::Calendar {
    explicit CalendarPort(Impl& w) : w_(w) {}
    std::vector<engine::PlannedEvent> active(const engine::ServiceRef& s, TimePoint now) override;
    Impl& w_;
  };
  struct ActuatorPort final : engine::Actuator {
    explicit ActuatorPort(Impl& w) : w_(w) {}
    void execute(const engine::ActionRequest& r, engine::Callbacks& to) override;
    void forget(engine::Callbacks& to) override;
    engine::DeploymentStatus deployment(const engine::ServiceRef& target) override;
    Impl& w_;
  };
  struct NotifierPort final : engine::Notifier {
    explicit NotifierPort(Impl& w) : w_(w) {}
    void escalate(const engine::Escalation& e) override;
    Impl& w_;
  };
  struct AuditPort final : engine::AuditSink {
    explicit AuditPort(Impl& w) : w_(w) {}
    void record(const engine::AuditRecord& r) override;
    Impl& w_;
  };

  // ---- the world (world.cpp) -------------------------------------------------------------
  std::shared_ptr<const ClusterSpec> spec_ptr;  // shared by copies of the world
  const ClusterSpec& spec;
  WorldOptions opts;
  Simulation sim;
  TargetId tick_target = 0;  // the world's own events on `sim` (WorldEvent)
  /// The kinds of the world's own events (Event::kind).
  enum WorldEvent : std::uint32_t {
    kTick = 0,         ///< the scrape tick
    kEngineTimer = 1,  ///< an engine timer: a = receiver number, b = the engine's token
  };
  /// Who the engine-side Callbacks are that timers and action results are owed to, by
  /// number (first seen first): pending events and owed results name them by number, so
  /// the world's state is data and copies; World::rebind points a copy's at its own
  /// engine. A receiver the Actuator was told to forget is null (never called again).
  std::vector<engine::Callbacks*> receivers;
  std::uint32_t receiver_number(engine::Callbacks& to);
  Duration scrape;  // the scrape interval: a tick's period
  std::uint64_t tick_count = 0;
  TimePoint last_tick;  // the latest tick's instant (meaningful once tick_count > 0)
  Timeline tl;
  std::function<void(engine::Incident&)> sink;

  // ---- pods & rollouts (sim/pods.hpp), wired to faults and the log -------------------
  struct PodsEnv final : Pods::Env {
    explicit PodsEnv(Impl& w) : w_(w) {}
    TimelineEvent& log_at(EventKind kind, std::size_t svc, std::string name,
                          std::string detail) override;
    void good_release_rolled_out(std::size_t svc, const Release& r) override;
    Impl& w_;
  };
  PodsEnv pods_env{*this};
  Pods pods{spec, pods_env};

  // ---- traffic & service physics (sim/traffic.hpp) ------------------------------------
  Traffic traffic{spec, sim, opts.threads};

  // ---- alerting (sim/alerting.hpp), wired to the log and the on-call ------------------
  struct AlertingEnv final : Alerting::Env {
    explicit AlertingEnv(Impl& w) : w_(w) {}
    TimelineEvent& log_at(EventKind kind, std::size_t svc, std::string name,
                          std::string detail) override;
    void page(std::size_t svc, const std::string& why) override;
    bool log_deliveries() const override { return w_.opts.record_audit; }
    Impl& w_;
  };
  AlertingEnv alerting_env{*this};

  // ---- faults and incidents (sim/faults.hpp), wired to pods, traffic and the log -------
  struct FaultsEnv final : Faults::Env {
    explicit FaultsEnv(Impl& w) : w_(w) {}
    std::size_t services() const override;
    std::ptrdiff_t service_index(std::string_view name) const override;
    bool within_objectives(std::size_t svc) const override;
    const model::PodSet& pods(std::size_t svc) const override;
    void touch(std::size_t svc) override;
    void add_leak(std::size_t svc, double mb_per_min) override;
    void remove_leak(std::size_t svc, double mb_per_min) override;
    int start_hog(std::size_t svc, double severity) override;
    void end_hog(std::size_t svc) override;
    int stall(std::size_t svc) override;
    void end_stall(std::size_t svc) override;
    int lose_pods(std::size_t svc, int pods, TimePoint replace_at) override;
    void upgrade(std::size_t svc, const ReleaseSpec& rs, const std::string& why) override;
    void deploy(std::size_t svc, Release r, const std::string& why) override;
    bool take_capacity(int64_t slots) override;
    void set_outage(std::size_t svc, double share) override;
    void set_maintenance(std::size_t svc, double share) override;
    void set_degradation(std::size_t svc, double error_share, double latency_ms) override;
    void multiply_traffic(std::size_t svc, double factor) override;
    void divide_traffic(std::size_t svc, double factor) override;
    void set_poison(std::size_t svc, double share) override;
    void flag_on(std::size_t svc, const std::string& name, double severity) override;
    void flag_off(std::size_t svc, const std::string& name, TimePoint at) override;
    TimelineEvent& log(EventKind kind, std::string service, std::string name,
                       std::string detail) override;
    Impl& w_;
  };
  FaultsEnv faults_env{*this};
  Faults faults{spec, tl, sim, faults_env, opts.recovery_hold};

  // ---- actuation (sim/actuation.hpp), wired to pods, faults and traffic ----------------
  struct ActuationEnv final : Actuation::Env {
    explicit ActuationEnv(Impl& w) : w_(w) {}
    std::ptrdiff_t service_index(std::string_view name) const override;
    const model::PodSet& pods(std::size_t svc) const override;
    void touch(std::size_t svc) override;
    std::uint32_t restart(std::size_t svc, const std::string& why) override;
    std::uint32_t deploy(std::size_t svc, Release r, const std::string& why) override;
    void set_desired(std::size_t svc, int replicas) override;
    void purge_cache(std::size_t svc, TimePoint now) override;
    std::optional<bool> disable_flag(std::size_t svc, const std::string& flag,
                                     TimePoint effective) override;
    void flag_disabled(std::size_t svc, const std::string& flag,
                       const std::string& detail) override;
    double shift_traffic(std::size_t svc, double share, std::ptrdiff_t to) override;
    void deliver(const Actuation::Owed& to, engine::ActionResult result) override;
    TimelineEvent& log(EventKind kind, std::string service, std::string name,
                       std::string detail) override;
    TimelineEvent& log_at(EventKind kind, std::size_t svc, std::string name,
                          std::string detail) override;
    Impl& w_;
  };
  ActuationEnv actuation_env{*this};
  Actuation actuation{spec.ns, spec.scrape_interval, sim, actuation_env};

  // ---- the on-call person (sim/oncall.hpp), wired to faults, pods and actuation --------
  struct OnCallEnv final : OnCall::Env {
    explicit OnCallEnv(Impl& w) : w_(w) {}
    std::size_t incidents() const override;
    std::ptrdiff_t attribute(std::size_t svc) const override;
    bool active_for(std::size_t k, std::size_t svc) const override;
    const IncidentRecord& record(std::size_t k) const override;
    bool cause_ended(std::size_t k) const override;
    std::ptrdiff_t service_index(std::string_view name) const override;
    const std::string& service_name(std::size_t svc) const override;
    RootState root_state(std::size_t k) const override;
    bool page_text() const override { return w_.opts.record_audit; }
    TimelineEvent& log(EventKind kind, std::string service, std::string name,
                       std::string detail) override;
    void act(const engine::ServiceRef& target, const engine::ActionSpec& a) override;
    void end_incident(std::size_t k, const std::string& why) override;
    Impl& w_;
  };
  OnCallEnv oncall_env{*this};
  OnCall oncall{spec.oncall, spec.ns, sim, oncall_env};

  // ---- telemetry (sim/telemetry.hpp) ---------------------------------------------------
  Telemetry telemetry{tl, spec.scrape_interval, opts.record_series};

  // ---- alerting (sim/alerting.hpp): reads telemetry and pods -----------------------------
  Alerting alerting{spec, telemetry, pods, alerting_env};

  // ---- Prometheus series (sim/prom_export.hpp): built only with opts.prometheus_series --
  PromExport prom{spec, telemetry, traffic};

  // ---- ports -----------------------------------------------------------------------------
  ClockPort clock_port{*this};
  SchedulerPort scheduler_port{*this};
  TelemetryPort telemetry_port{*this};
  TopologyPort topology_port{*this};
  CalendarPort calendar_port{*this};
  ActuatorPort actuator_port{*this};
  NotifierPort notifier_port{*this};
  engine::MemoryStateStore state_port;  // the engine's own in-memory store
  AuditPort audit_port{*this};

  Impl(const ClusterSpec& s, std::uint64_t seed, WorldOptions o);
  /// A copy of `o` (World::copy): every part's state, rebound to this one's parts.
  Impl(const Impl& o, CopyOptions c);
  /// The world's own events (WorldEvent): the scrape tick, the engine's timers (tick.cpp).
  void on_event(const Event& e) override;

  // ---- the scrape tick (sim/tick.cpp)
  /// Fetches what the tick reads of service i (the hot lines of its records in each part).
  void prefetch_service(std::size_t i);
  void tick();
  /// All of one service's tick: pods, physics, the telemetry sample, series and rules.
  void tick_service(Svc& v, TimePoint at, Duration elapsed, double shape, double dt_s);
  /// The tick's sample of `v` into the telemetry ring (and Prometheus counters), and the
  /// chart series.
  void record_sample(Svc& v, TimePoint at, double dt_s);
  // ---- the tick on several threads (WorldOptions::threads > 1)
  /// A service a parallel chunk left for the serial pass, in service order: all of its tick
  /// (its pods need work) or only its alert rules (some alert's state changes).
  struct Deferred {
    std::uint32_t svc = 0;
    bool whole = false;
  };
  std::unique_ptr<model::TickWorkers> workers;  // created on the first parallel tick
  /// A block's deferrals, in a cache line of its own (two threads fill neighbouring blocks).
  struct alignas(64) DeferredBlock {
    std::vector<Deferred> list;
  };
  std::vector<DeferredBlock> deferred;  // [block of services]
  /// The services' tick in parallel blocks, then the deferred work in service order.
  void tick_parallel(TimePoint at, Duration elapsed, double shape, double dt_s);
  /// The part of a service's tick that writes only its own state: none of it (returns a
  /// whole deferral) when its pods need the controllers, else physics, sample and series,
  /// and whether its rules must run in the serial pass.
  void tick_own(Svc& v, TimePoint at, double shape, double dt_s, std::vector<Deferred>& out);

  // ---- the Topology port (sim/sim_ports.cpp)
  std::vector<engine::DependencyHealth> upstream_health(const engine::ServiceRef& ref) const;
  /// The health of service `u` by the rule upstream_health applies to each upstream.
  engine::DependencyHealth service_health(std::size_t u) const;
  engine::DependencyHealth health_of(const engine::ServiceRef& ref) const;
  /// service_health's error-rate text (the engine reads it on every decision about a
  /// caller while its upstream is down, and the rate is the same then as a rule).
  mutable core::RepeatedNumber health_error_text;

  // ---- the timeline's log (world.cpp)
  /// The timeline's header and one series per service (faults append the incidents).
  void build_timeline();
  /// The id of the incident events on `service` are attributed to now, or "".
  std::string incident_id_for(std::string_view service) const;
  /// Appends an event, attributed to the incident active on the service (faults).
  TimelineEvent& log(EventKind kind, std::string service, std::string name, std::string detail);
  /// log() for a service known by index (no name lookup).
  TimelineEvent& log_at(EventKind kind, std::size_t svc, std::string name, std::string detail);

  // ---- the Telemetry port (sim/sim_ports.cpp)
  engine::ServiceSignals signals_for(const engine::ServiceRef& ref, Duration window);
  ServiceSnapshot snapshot(std::string_view name) const;

  // ---- sim_ports (sim/sim_ports.cpp)
  void audit(const engine::AuditRecord& r);
  void log_audited(const engine::AuditRecord& r);
};

}  // namespace selfheal::sim
