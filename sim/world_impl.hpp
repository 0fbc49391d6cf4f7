// World::Impl: the simulated world's parts and their wiring. Internal to sim/.
//
// The world is one scrape-tick loop over every service plus the events of the scenario,
// the actuator and the on-call person, all on one Simulation (the event kernel). Its parts,
// one source file each, in the order a tick runs them:
//
//   pods.cpp       pods & rollouts: Deployment/ReplicaSet controllers, kubelet back-off,
//                  OOM kills, helm releases and pod templates
//   traffic.cpp    traffic & service physics: the scrape tick, demand, capacity, errors,
//                  latency, CPU, queues; the no-fault baselines and upstream health
//   telemetry.cpp  the telemetry ring and chart series; the Telemetry port's signals
//   alerting.cpp   Prometheus-like rules (pending -> firing -> resolved, episodes) and
//                  Alertmanager-like per-service grouping and notification
//   faults.cpp     the scenario: ground-truth incidents, fault and planned-event effects,
//                  attribution of events to incidents, impact and recovery tracking
//   actuation.cpp  the Actuator: kubectl/helm/API actions with real delays, waits on the
//                  model (rollout complete, replicas ready)
//   oncall.cpp     the on-call person: response times, pages, approvals, human fixes
//   sim_ports.cpp  the engine port adapters over the parts, and the audit -> timeline
//
// The state below is grouped by the part that writes it; other parts read it. Arrows
// between parts are calls (rollout complete -> end of a bad-deploy incident, alert ->
// direct page, on-call -> action) or events on `sim`. Model coefficients live in
// sim/model_constants.hpp. docs/architecture.md "The simulated world" has the picture.
//
// Build: the part files are one unity group (sim/CMakeLists.txt), compiled as a single
// translation unit, and their member definitions are `inline` like the in-class definitions
// they were: the scrape tick's callees are inlined as before (split and not inlined, the
// 200-service 7-day run took ~15% more CPU). Call these members only from the part files.
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
#include "sim/baseline_health.hpp"
#include "sim/cluster_spec.hpp"
#include "sim/model_types.hpp"
#include "sim/simulation.hpp"
#include "sim/telemetry_ring.hpp"
#include "sim/tick_workers.hpp"
#include "sim/timeline.hpp"
#include "sim/world.hpp"

namespace selfheal::sim {

struct World::Impl {
  using Phase = model::Phase;
  using Pod = model::Pod;
  using Release = model::Release;
  using Flag = model::Flag;
  using Sample = model::Sample;
  using PodStats = model::PodStats;
  using Svc = model::Svc;
  using AlertState = model::AlertState;
  using Group = model::Group;
  using IncidentRuntime = model::IncidentRuntime;
  using Wait = model::Wait;
  using int64_t = std::int64_t;

  // ---- engine port adapters (sim/sim_ports.cpp) ------------------------------------------
  struct ClockPort final : engine::Clock {
    explicit ClockPort(Impl& w) : w_(w) {}
    TimePoint now() const override;
    Impl& w_;
  };
  struct SchedulerPort final : engine::Scheduler {
    explicit SchedulerPort(Impl& w) : w_(w) {}
    engine::TimerId after(Duration delay, std::function<void()> cb) override;
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
    void execute(const engine::ActionRequest& r,
                 std::function<void(engine::ActionResult)> done) override;
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
  ClusterSpec spec;
  WorldOptions opts;
  Simulation sim;
  int64_t start_ms;
  int64_t scrape_ms;
  std::uint64_t tick_count = 0;
  int64_t last_tick_ms = -1;
  Timeline tl;
  std::function<void(const engine::Incident&)> sink;
  std::function<void(std::uint64_t, bool)> approval_handler;

  // ---- pods & rollouts, traffic & service physics (pods.cpp, traffic.cpp) ---------------
  double phi;        // AR(1) noise coefficient per tick
  double phi_innov;  // sqrt(1 - phi^2)
  std::vector<Svc> svcs;
  std::unordered_map<std::string, std::size_t> by_name;
  int64_t capacity = std::numeric_limits<int64_t>::max();  // pod slots in the cluster
  LoadGraph graph;  // spec's dependency graph by index (the no-fault baselines)
  int64_t slots_used = 0;
  std::vector<model::Seen> seen;  // [service] as its neighbours read it this tick
  /// Dependents then upstreams of every service, flat: service i's dependents are
  /// adj[adj_at[2i] .. adj_at[2i+1]), its upstreams adj[adj_at[2i+1] .. adj_at[2i+2]) (the
  /// order of Svc::dependents and Svc::upstreams; one array a tick reads in order).
  std::vector<std::uint32_t> adj;
  std::vector<std::uint32_t> adj_at;
  bool any_shift = false;        // some service shifts traffic to another one
  std::vector<double> shift_in;  // per service: traffic shifted to it (previous tick)

  // ---- alerting (alerting.cpp) -----------------------------------------------------------
  std::vector<AlertRuleSpec> rules;
  std::vector<std::vector<char>> rule_applies;  // [rule][service]
  std::vector<std::size_t> rule_back;           // [rule] window in ticks
  /// The rules as the hot loop reads them: signal index, sign-folded comparison.
  struct FastRule {
    std::uint8_t signal = 0;  // engine::SignalName as an index into the tick's values
    bool windowed = false;    // a counter increase or a trend over the window
    bool strict = true;       // > or < (else >= or <=)
    double sign = 1.0;        // -1 for < and <=: compare sign*value against sign*threshold
    double threshold = 0.0;   // already multiplied by sign
    int64_t for_ms = 0;
    int64_t keep_ms = 0;  // keep_firing_for
    int64_t step_ms = 0;  // time between evaluations: the scrape interval, or an external
                          // rule's group interval
  };
  std::vector<FastRule> fast_rules;
  // External rules (AlertRuleSpec::external): evaluated after the tick's services.
  std::vector<std::size_t> external_rules;
  ExternalRuleEvaluator external_eval;
  std::vector<ExternalAlert> external_found;  // one evaluation's answer
  std::vector<std::ptrdiff_t> external_hit;   // per service: index in external_found
  std::vector<ExternalAlert> external_last;   // [service * rules + rule], last answer
  void evaluate_external(int64_t now);
  /// The rules that apply to each service, in rule order, as the tick checks them: service
  /// i's are checks[checks_at[i] .. checks_at[i + 1]) (rules that do not apply are never
  /// read). One contiguous array: the quiet case reads nothing else but the busy flags.
  struct RuleCheck {
    double threshold = 0.0;          // FastRule::threshold (sign-folded)
    std::uint32_t window_ticks = 0;  // windowed rules: the counter moved within this many
    std::uint16_t rule = 0;
    std::uint8_t signal = 0;
    std::uint8_t flags = 0;  // kStrict | kWindowed | kNegate (FastRule::sign is -1)
  };
  static constexpr std::uint8_t kStrict = 1, kWindowed = 2, kNegate = 4;
  /// Services with the same rules (all of a kind, as a rule) share one list, so the lists
  /// stay in L1 while a tick walks every service.
  std::vector<RuleCheck> checks;
  std::vector<std::size_t> checks_at;     // [service] first check
  std::vector<std::size_t> checks_end;    // [service] one past its last
  std::vector<std::uint8_t> alert_busy;   // [service * rules + rule] see AlertState
  std::vector<char> alert_critical;       // [service * rules + rule] severity=critical
  std::vector<AlertState> alerts;         // [service * rules + rule]
  std::vector<std::string> fingerprints;  // [service * rules + rule], filled on first use
  std::vector<Group> groups;              // per service
  std::size_t groups_active = 0;          // groups with Group::active set
  int64_t direct_page_ms = -1;            // OnCallSpec::direct_page_after, -1 = off

  // ---- faults / incidents (faults.cpp) ---------------------------------------------------
  std::vector<IncidentRuntime> inc;  // parallel to timeline.incidents
  std::vector<std::size_t> live;     // started incidents still tracked or attributable

  // ---- actuation (actuation.cpp) ---------------------------------------------------------
  std::vector<Wait> waits;
  std::unordered_set<std::uint64_t> action_ids;
  std::vector<engine::Incident> outbox;  // notifications of this tick
  std::vector<std::pair<std::function<void(engine::ActionResult)>, engine::ActionResult>>
      completions;
  std::map<std::string, std::pair<int64_t, std::string>> last_decision;  // target -> (t, fp)

  // ---- telemetry (telemetry.cpp) ---------------------------------------------------------
  model::TelemetryRing ring;   // the last telemetry_retention of ticks, every service
  std::size_t series_cap = 2;  // points per service's chart series (WorldOptions budget)
  /// [service] the chart bucket being filled; its point reaches the series when the bucket
  /// closes or flush_series() runs.
  std::vector<model::OpenBucket> open_buckets;
  bool series_open = false;  // some open bucket may be newer than the series' last point

  // ---- Prometheus series (prom_series.cpp), only with opts.prometheus_series
  /// Cumulative counters of one service at one tick.
  struct PromCounters {
    double ok = 0, err = 0, cpu_s = 0, dur_sum = 0;
    std::array<double, kLatencyBuckets.size()> bucket{};
    bool oom_last = false;  // the latest container termination was an OOM kill
    bool present = false;   // written by a tick (zero-filled slots are not)
  };
  std::vector<PromSeriesInfo> prom_catalog;
  std::vector<PromCounters> prom_cum;  // per service, running
  model::BasicRing<PromCounters> prom_ring;
  void build_prom_series();
  void prom_accumulate(const Svc& v, const Sample& s, double dt_s);
  double prom_value(const PromSeriesInfo& info, const Sample& s, const PromCounters& c) const;

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

  int64_t now_ms() const { return core::to_unix_ms(sim.now()); }
  TimePoint tp(int64_t ms) const { return core::from_unix_ms(ms); }

  /// The sample `back` ticks before the latest (clamped to the oldest kept); a zero sample
  /// before the world started.
  const Sample& sample_back(const Svc& v, std::size_t back) const {
    return ring.back(v.index, back);
  }

  // ---- pods (sim/pods.cpp)
  void build_services();
  /// adj, adj_at and seen, from the services' dependents and upstreams; open_buckets.
  void build_adjacency();
  static Release make_release(const ReleaseSpec& rs, int64_t start);
  static double release_error(const Release& r);
  /// Starts a rollout of a new pod template for release index `rel` (restart: same one).
  std::uint32_t new_template(Svc& v, std::size_t rel, const std::string& why);
  std::uint32_t deploy_release(Svc& v, Release r, const std::string& why);
  void schedule_pod(Svc& v, Pod& p, int64_t now);
  /// Deterministic spread in [0.75, 1.25) from the pod's sequence number (golden ratio).
  static float leak_factor_for(std::uint32_t seq);
  void create_pod(Svc& v, int64_t now);
  void terminate(Svc& v, Pod& p, int64_t now);
  void container_died(Svc& v, Pod& p, int64_t t, bool oom);
  /// Accumulates pod `p` into `st` (after its transitions).
  void account(const Svc& v, const Pod& p, int64_t now, PodStats& st) const;
  PodStats pod_stats(const Svc& v, int64_t now) const;
  /// Time-driven transitions up to `now`, memory growth and OOM kills, and the stats of
  /// the result (one pass over the pods).
  PodStats advance_pods(Svc& v, int64_t now, int64_t dt);
  /// The Deployment + ReplicaSet controllers for one service. `st` is the pods' state
  /// now; returns false when there was nothing to do (steady state).
  bool reconcile(Svc& v, int64_t now, const PodStats& st);
  void finish_rollout(Svc& v);
  /// The Deployment controller during a rollout: old ReplicaSets down as availability
  /// allows, the new one up within the surge; finishes the rollout when complete.
  void roll_out(Svc& v, int64_t now);
  /// Whether v's pods have time-driven transitions, memory growth or marked changes due at
  /// `now` (refresh_pods then advances them; the parallel tick defers such a service).
  static bool pods_due(const Svc& v, int64_t now) {
    return v.pods_dirty || v.leak_mb_per_ms != 0 || v.rollout || now >= v.stats.next_event;
  }
  /// Whether the Deployment/ReplicaSet controllers may have work for v with its pods `st`.
  static bool controllers_due(const Svc& v, const PodStats& st) {
    return v.rollout || st.active != v.desired || st.pending != 0;
  }
  /// The pods' stats for this tick: transitions and controllers when something is due,
  /// else the cached stats (most services, most ticks). Compacts Gone pods.
  const PodStats& refresh_pods(Svc& v, TimePoint now, Duration elapsed);

  // ---- traffic (sim/traffic.cpp)
  static double daily_shape(int64_t ms);
  static double call_factor(const model::Seen& d, int64_t now);
  /// Fetches what the tick reads of service i (the hot lines of its record).
  void prefetch_service(std::size_t i);
  void tick();
  /// seen[i] for the services in [lo, hi): their values of the previous tick.
  void copy_seen(std::size_t lo, std::size_t hi);
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
  std::vector<std::vector<Deferred>> deferred;  // [block of services]
  /// The services' tick in parallel blocks, then the deferred work in service order.
  void tick_parallel(TimePoint at, Duration elapsed, double shape, double dt_s);
  /// The part of a service's tick that writes only its own state: none of it (returns a
  /// whole deferral) when its pods need the controllers, else physics, sample and series,
  /// and whether its rules must run in the serial pass.
  void tick_own(Svc& v, TimePoint at, double shape, double dt_s, std::vector<Deferred>& out);
  /// One service's demand this tick: external traffic (daily shape, AR(1) noise,
  /// multipliers, minus what is shifted away) plus its dependents' calls and shifted-in load.
  double demand_of(Svc& v, int64_t now, double shape);
  /// One service's physics this tick from its pods' stats `st`: utilisation, errors,
  /// latency, CPU, calls, queue, memory and whether it is within its objectives.
  void serve(Svc& v, const PodStats& st, TimePoint now, double shape, double dt_s);
  /// Share of v's calls failing because of its upstreams (previous tick); sets `up_lat` to
  /// the slowest upstream's p99.
  double upstream_errors(const Svc& v, double& up_lat) const;
  /// Share of requests failing on an enabled (or not yet propagated) bad feature flag.
  static double flag_errors(const Svc& v, int64_t now);
  /// Requests/s expected now without faults, events or noise.
  double baseline_rps(std::size_t i, TimePoint now, int depth) const;
  double baseline_p99(std::size_t i, TimePoint now, int depth) const;
  std::vector<engine::DependencyHealth> upstream_health(const engine::ServiceRef& ref) const;
  /// The health of service `u` by the rule upstream_health applies to each upstream.
  engine::DependencyHealth service_health(std::size_t u) const;
  engine::DependencyHealth health_of(const engine::ServiceRef& ref) const;

  // ---- faults (sim/faults.cpp)
  void build_timeline();
  void schedule_scenario();
  /// Whether incident k is active for `svc` now: started, affects it, and its cause is on
  /// or its impact has not recovered yet.
  bool active_for(std::size_t k, std::size_t svc) const;
  /// The ground-truth incident `svc` is attributed to now: among the active ones, those
  /// rooted at `svc` first, then the latest started.
  std::ptrdiff_t attribute(std::size_t svc) const;
  std::string incident_id_for(std::string_view service) const;
  /// log() for a service known by index (no name lookup).
  TimelineEvent& log_at(EventKind kind, std::size_t svc, std::string name, std::string detail);
  TimelineEvent& log(EventKind kind, std::string service, std::string name, std::string detail);
  void begin_incident(std::size_t k);
  /// pod-loss: a node fails, taking its pods and (optionally) cluster capacity.
  std::string lose_pods(std::size_t k, const FaultParams& p, Svc& v);
  /// bad-deploy: a helm upgrade to a bad release.
  std::string deploy_bad_release(const FaultParams& p, Svc& v);
  std::string apply_fault(std::size_t k, const FaultSpec& f, Svc& v);
  /// Stops the cause of incident k (duration elapsed, planned end, on-call fix).
  void end_incident(std::size_t k, const std::string& why);
  void end_cause_of_kind(std::size_t svc, FaultKind kind, const std::string& why);
  /// An intermittent fault switches its effect off (`on` false) or on again and schedules
  /// the next switch; nothing once the fault has ended.
  void intermittent_phase(std::size_t k, bool on);
  Duration jittered(std::size_t k, Duration phase, const IntermittentSpec& spec);
  std::map<std::size_t, Rng> phase_rng;  // incident -> its intermittent stream
  void track_incidents(TimePoint now);
  std::vector<engine::PlannedEvent> calendar_active(const engine::ServiceRef& ref,
                                                    TimePoint now) const;

  // ---- alerting (sim/alerting.cpp)
  void build_rules();
  std::size_t ticks_in(Duration window) const;
  double rule_value(const Svc& v, std::size_t ri) const;
  std::string severity_of(const Svc& v, const AlertRuleSpec& r) const;
  void evaluate_rules(Svc& v, TimePoint now);
  /// The rule checks of evaluate_rules. kApply false: changes nothing and returns whether
  /// some alert's state would change (the condition holds or the alert is busy).
  template <bool kApply>
  bool check_rules(Svc& v, int64_t now);
  /// The alert state machine of rule r on service v, for a tick where the condition holds
  /// or the alert is pending, firing or in an episode.
  [[gnu::noinline]] void update_alert(Svc& v, std::size_t r, bool cond, double value, int64_t now);
  std::string describe(const Svc& v, const AlertRuleSpec& r, double value) const;
  /// The alert's fingerprint: a pure function of (rule name, namespace, service), so it is
  /// computed once per alert and kept (every firing, resolution and notification logs it).
  const std::string& fingerprint(const Svc& v, std::size_t r);
  void fire(Svc& v, std::size_t r, int64_t now);
  void resolve(Svc& v, std::size_t r, int64_t now);
  engine::Incident make_incident(const Svc& v, std::size_t r, bool resolved, int64_t started);
  void flush_groups(TimePoint now);

  // ---- actuation (sim/actuation.cpp)
  void complete_later(Duration delay, std::function<void(engine::ActionResult)> done,
                      engine::ActionResult res, std::uint64_t id, std::string service,
                      bool automated, std::string kind);
  void execute(const engine::ActionRequest& r, std::function<void(engine::ActionResult)> done);
  void start_action(const engine::ServiceRef& target, const engine::ActionSpec& a,
                    const std::vector<std::string>& argv, std::uint64_t id, Duration timeout,
                    bool automated, std::function<void(engine::ActionResult)> done);
  /// One start_action call, handed to the action kinds' handlers below.
  struct ActionCall {
    const engine::ServiceRef& target;
    const engine::ActionSpec& a;
    std::uint64_t id;
    bool automated;
    std::string kind;  // engine::to_string(a.kind)
    int64_t now;
    int64_t deadline;  // waits give up here: now + max(timeout, one scrape)
    std::function<void(engine::ActionResult)> done;
  };
  /// Completes `c` as failed after kNotFoundDelay (unknown object, unsupported action).
  void fail_action(ActionCall& c, std::string msg);
  void restart(Svc& v, ActionCall& c);
  void scale(Svc& v, ActionCall& c);
  void rollback(Svc& v, ActionCall& c);
  void purge_cache(Svc& v, ActionCall& c);
  /// Also ends a bad-feature-flag incident whose flag this is (the cause is gone).
  void disable_flag(Svc& v, ActionCall& c);
  void shift_traffic(Svc& v, ActionCall& c);
  static std::string describe_action(const engine::ServiceRef& t, const engine::ActionSpec& a);
  void check_waits(TimePoint now);
  /// The Deployment's rollout as the pods model has it (actuation.cpp).
  engine::DeploymentStatus deployment_status(const engine::ServiceRef& target) const;

  // ---- oncall (sim/oncall.cpp)
  Duration response_time(TimePoint now) const;
  void escalate(const engine::Escalation& e);
  /// A page reaches the on-call: they acknowledge after the response time and take over
  /// the incident attributed to `svc` (once per incident).
  void page_oncall(std::size_t svc, const std::string& why);
  void acknowledge(std::size_t k, std::size_t svc);

  // ---- telemetry (sim/telemetry.cpp)
  void record_series(Svc& v, const Sample& s, TimePoint now);
  /// Writes every open bucket into its series' last point, so `tl` is complete; World
  /// calls it before handing the timeline out (timeline(), take_timeline()). Cheap when
  /// no tick ran since the last call.
  void flush_series();
  /// Folds `p` into `into`, which already stands for `weight` samples: rates average,
  /// peaks keep the worst value (max, or min for ready pods), counts add. One rule for both
  /// filling a bucket and halving the series, so a long run's points mean what short ones do.
  static void fold_into(SeriesPoint& into, const SeriesPoint& p, float weight);
  engine::ServiceSignals signals_for(const engine::ServiceRef& ref, Duration window);
  ServiceSnapshot snapshot(std::string_view name) const;

  // ---- sim_ports (sim/sim_ports.cpp)
  void audit(const engine::AuditRecord& r);
};

}  // namespace selfheal::sim
