// The cluster model, detection, notification, on-call and the sim ports.
//
// Hot loop layout (docs/model.md "Performance"): one scrape event per tick drives every
// service; services live in one vector, each with its pods in one contiguous vector of
// small PODs; the telemetry ring is one preallocated array [slot x service]. Nothing in a
// tick allocates except amortised growth of the series / event log and the rare event
// (a pod created, an alert firing). Cross-service effects (upstream errors and latency,
// calls from dependents) read the PREVIOUS tick's values, so the order services are
// computed in never matters and there is no cycle to resolve within a tick.
#include "sim/world.hpp"

#include "core/number_format.hpp"

#include "core/duration.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace selfheal::sim {
namespace {

using engine::ActionKind;
using std::int64_t;

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinute = 60'000;
constexpr double kDependencyTimeoutMs = 1000.0;  // callers' connect/pool timeout
constexpr double kMaxLatencyMs = 30'000.0;       // request timeout
constexpr int64_t kBackoffBase = 10'000;         // kubelet crash back-off: 10s, doubling
constexpr int64_t kBackoffMax = 300'000;         // ... capped at 5 min
constexpr int64_t kBackoffReset = 600'000;       // ... reset after 10 min running
constexpr int64_t kPurgeWarmup = 5 * kMinute;    // cache refill after a purge
constexpr int64_t kFlagPropagation = 10'000;     // flag SDKs poll
constexpr int64_t kQuickActionDelay = 5'000;     // purge / flag / shift API call
constexpr int64_t kNotFoundDelay = 1'000;
constexpr int64_t kEpisodeGap = 30 * 60'000;  // alert quiet this long: a new episode

enum class Phase : std::uint8_t {
  kPending,
  kStarting,
  kRunning,
  kBackoff,
  kTerminating,
  kLost,
  kGone
};

enum : std::uint8_t { kFlagHog = 1, kFlagStalled = 2, kFlagOom = 4 };

struct Pod {
  int64_t next_ms = kNever;   // next time-driven transition
  int64_t started_ms = 0;     // container start
  int64_t ready_ms = kNever;  // became ready (Running)
  float leaked_mb = 0;        // memory leaked by this container so far
  float leak_factor = 1.0f;   // per-pod spread of a leak (0.75..1.25): pods drift apart
  std::uint32_t tmpl = 0;     // pod-template generation (ReplicaSet)
  std::uint16_t restarts = 0;
  Phase phase = Phase::kPending;
  std::uint8_t flags = 0;
  std::uint8_t failures = 0;  // consecutive container failures (back-off exponent)
};

struct Release {
  int revision = 1;
  std::string version;
  bool bad = false;
  double error_rate = 0.0;
  bool crash_loop = false;
  int64_t crash_after_ms = 90'000;
  int64_t deployed_ms = 0;
};

struct Flag {
  std::string name;
  double severity = 0.0;  // share of requests failing while enabled
  bool enabled = true;
  int64_t off_at = kNever;  // disabled, effective from this instant
};

/// One tick's values, kept in the telemetry ring.
struct Sample {
  float rps = 0, err = 0, p99 = 0, cpu = 0, mem = 0, ready = 0, desired = 0, queue = 0, dep_err = 0;
  std::uint32_t cum_oom = 0, cum_restarts = 0;
};

/// What one pass over a service's pods found.
struct PodStats {
  int active = 0;  // not Terminating/Gone (what the ReplicaSet counts)
  int pending = 0;
  int ready = 0;
  int hogs = 0;
  double cap = 0.0;             // requests/s the ready pods serve
  double rel_err_w = 0.0;       // capacity-weighted release error
  float max_leaked = 0.0f;      // over live containers
  bool any_live = false;        // some container is Starting or Running
  bool gone = false;            // some pod is Gone: compact the vector
  int64_t next_event = kNever;  // earliest time-driven change (transition, warm-up end)
};
// Field order is by heat: a tick walks all services, and everything it reads of a service
// sits in the first few cache lines, the constants of its spec copied in (the spec's own
// fields are spread over a large struct); what other services read of it (the previous
// tick) comes first. Pods, releases and templates are only touched on a change.
struct Svc {
  // ---- read by dependents and upstreams: the previous tick, and constants they need
  double prev_err = 0, prev_p99 = 0, prev_calls = 0, prev_shifted = 0;
  double base_error_rate = 0;  // spec
  int64_t purge_ms = std::numeric_limits<int64_t>::min() / 2;
  bool cache = false;       // spec: kind == cache
  bool worker = false;      // spec: kind == worker
  bool daily_shape = true;  // spec.traffic
  bool pods_dirty = true;
  bool rollout = false;
  bool within = true;
  int desired = 0;

  // ---- this tick
  double rps = 0, err = 0, p99 = 0, cpu = 0, mem = 0, dep_err = 0, calls = 0, shifted = 0;
  double util = 0.0;
  double queue = 0.0;
  double noise = 0.0;
  int ready = 0;
  int prev_ready = 0;
  std::uint32_t cum_oom = 0, cum_restarts = 0;
  int64_t last_oom_ms = std::numeric_limits<int64_t>::min() / 2;      // last OOM kill
  int64_t last_restart_ms = std::numeric_limits<int64_t>::min() / 2;  // last container restart

  // ---- constants of the spec the tick reads
  double traffic_rps = 0, traffic_noise = 0;
  double base_latency_ms = 0, memory_per_pod_mb = 0, memory_limit_mb = 0;
  double slo_error_rate = 0, slo_latency_p99_ms = 0, slo_queue_lag = 0;

  // ---- fault and action effects
  double leak_mb_per_ms = 0.0;
  double hog_severity = 0.0;
  double outage = 0.0;       // share unavailable (dependency-outage)
  double maintenance = 0.0;  // share failing (planned maintenance)
  double degrade_err = 0.0;
  double degrade_latency = 0.0;
  double ext_mult = 1.0;  // traffic spikes x campaigns
  double shift = 0.0;     // share of external traffic shifted away
  double poison = 0.0;
  std::ptrdiff_t shift_to = -1;

  // ---- series recording
  std::uint32_t bucket_ticks = 1;
  std::uint32_t series_oom = 0, series_restarts = 0;  // counters at the last recorded tick
  std::uint32_t bucket_fill = 0;

  // Pod stats cache: while nothing touches the pods and no time-driven change is due, a
  // tick reuses them instead of walking the pods (most services, most ticks).
  PodStats stats;

  Rng rng{0};
  const ServiceSpec* spec = nullptr;
  std::size_t index = 0;
  std::vector<std::size_t> upstreams;
  std::vector<std::size_t> dependents;
  std::vector<Flag> flags;

  // ---- cold: Deployment / ReplicaSet
  std::vector<Pod> pods;
  std::uint32_t pod_seq = 0;      // pods ever created (names the next pod's leak_factor)
  std::vector<Release> releases;  // helm history; `current` indexes it
  std::size_t current = 0;
  std::vector<std::size_t> templates;  // template generation -> release index
  std::vector<double> tmpl_err;        // template generation -> error share (0 if good)
  std::uint32_t tmpl = 0;
  std::uint32_t completed_tmpl = 0;
  int64_t last_deploy_ms = 0;
};

struct AlertState {
  int64_t pending_since = -1;
  int64_t firing_since = -1;
  int64_t resolved_at = -1;  // last resolution, while the episode lasts
  int64_t firing_ms = 0;     // time spent firing in this episode (flapping adds up)
  bool resolved_unsent = false;
  bool paged = false;
  double value = 0.0;
};

struct Group {
  bool active = false;
  int64_t next_flush = kNever;
  int64_t last_flush = -1;
  int firing = 0;
};

struct IncidentRuntime {
  std::vector<char> affects;                // per service index
  std::vector<std::size_t> affected_index;  // the services it affects (spec order)
  std::vector<char> impacted;               // per service: left its objectives
  std::ptrdiff_t root = -1;
  bool started = false;
  bool ended = false;
  bool engaged = false;  // the on-call has taken it
  int64_t hold_start = -1;
  bool closed = false;          // no impact and long over: stop checking
  std::ptrdiff_t fault = -1;    // index into spec.faults, or -1
  std::ptrdiff_t planned = -1;  // index into spec.planned, or -1
  int64_t capacity_lost = 0;
};

/// An action waiting for the model to reach a state (rollout complete, pods ready).
struct Wait {
  std::uint64_t id = 0;
  std::size_t svc = 0;
  bool rollout = false;  // else: scale (ready >= desired)
  std::uint32_t tmpl = 0;
  int64_t deadline = 0;
  bool automated = true;
  std::function<void(engine::ActionResult)> done;
  std::optional<engine::ActionSpec> undo;
  std::string ok_message;
};

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string fmt(double v, int prec = 3) {
  return core::format_general(v, prec);
}

std::string join_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

double latency_factor(double util) {
  const double rho = std::clamp(util, 0.0, 0.98);
  return 1.0 + 0.5 * rho / (1.0 - rho);
}

}  // namespace

// =========================================================================================

struct World::Impl {
  // ---- ports ---------------------------------------------------------------------------
  struct ClockPort final : engine::Clock {
    explicit ClockPort(Impl& w) : w_(w) {}
    TimePoint now() const override { return w_.sim.now(); }
    Impl& w_;
  };
  struct SchedulerPort final : engine::Scheduler {
    explicit SchedulerPort(Impl& w) : w_(w) {}
    engine::TimerId after(Duration delay, std::function<void()> cb) override {
      if (delay < Duration::zero()) delay = Duration::zero();
      return w_.sim.after(delay, std::move(cb));
    }
    bool cancel(engine::TimerId id) override { return w_.sim.cancel(id); }
    Impl& w_;
  };
  struct TelemetryPort final : engine::Telemetry {
    explicit TelemetryPort(Impl& w) : w_(w) {}
    engine::ServiceSignals signals(const engine::ServiceRef& s, Duration window) override {
      return w_.signals_for(s, window);
    }
    Impl& w_;
  };
  struct TopologyPort final : engine::Topology {
    explicit TopologyPort(Impl& w) : w_(w) {}
    std::vector<engine::DependencyHealth> upstreams(const engine::ServiceRef& s) override {
      return w_.upstream_health(s);
    }
    std::size_t services_in_namespace(const std::string& ns) override {
      return ns == w_.spec.ns ? w_.svcs.size() : 0;
    }
    Impl& w_;
  };
  struct CalendarPort final : engine::Calendar {
    explicit CalendarPort(Impl& w) : w_(w) {}
    std::vector<engine::PlannedEvent> active(const engine::ServiceRef& s, TimePoint now) override {
      return w_.calendar_active(s, now);
    }
    Impl& w_;
  };
  struct ActuatorPort final : engine::Actuator {
    explicit ActuatorPort(Impl& w) : w_(w) {}
    void execute(const engine::ActionRequest& r,
                 std::function<void(engine::ActionResult)> done) override {
      w_.execute(r, std::move(done));
    }
    Impl& w_;
  };
  struct NotifierPort final : engine::Notifier {
    explicit NotifierPort(Impl& w) : w_(w) {}
    void escalate(const engine::Escalation& e) override { w_.escalate(e); }
    Impl& w_;
  };
  struct StatePort final : engine::StateStore {
    engine::TargetState load(const engine::ServiceRef& t) override {
      auto it = targets.find(t.key());
      return it == targets.end() ? engine::TargetState{} : it->second.second;
    }
    void save(const engine::ServiceRef& t, const engine::TargetState& s) override {
      targets[t.key()] = {t, s};
    }
    std::vector<std::pair<engine::ServiceRef, engine::TargetState>> in_flight() override {
      std::vector<std::pair<engine::ServiceRef, engine::TargetState>> out;
      for (const auto& [k, v] : targets) {
        if (v.second.in_flight) out.push_back(v);
      }
      return out;
    }
    engine::BreakerState load_breaker() override { return breaker; }
    void save_breaker(const engine::BreakerState& b) override { breaker = b; }
    bool kill_switch() override { return kill; }
    void set_kill_switch(bool engaged) override { kill = engaged; }
    bool seen(const std::string& key) override { return seen_keys.count(key) != 0; }
    void mark_seen(const std::string& key, TimePoint at) override { seen_keys[key] = at; }

    std::map<std::string, std::pair<engine::ServiceRef, engine::TargetState>> targets;
    engine::BreakerState breaker;
    bool kill = false;
    std::unordered_map<std::string, TimePoint> seen_keys;
  };
  struct AuditPort final : engine::AuditSink {
    explicit AuditPort(Impl& w) : w_(w) {}
    void record(const engine::AuditRecord& r) override { w_.audit(r); }
    Impl& w_;
  };

  // ---- state ---------------------------------------------------------------------------
  ClusterSpec spec;
  WorldOptions opts;
  Simulation sim;
  int64_t start_ms;
  int64_t scrape_ms;
  double phi;        // AR(1) noise coefficient per tick
  double phi_innov;  // sqrt(1 - phi^2)
  std::vector<Svc> svcs;
  std::unordered_map<std::string, std::size_t> by_name;
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
  };
  std::vector<FastRule> fast_rules;
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
  int64_t direct_page_ms = -1;            // OnCallSpec::direct_page_after, -1 = off
  std::vector<AlertState> alerts;         // [service * rules + rule]
  std::vector<std::string> fingerprints;  // [service * rules + rule], filled on first use
  std::vector<Group> groups;              // per service
  std::size_t groups_active = 0;          // groups with Group::active set
  std::vector<IncidentRuntime> inc;       // parallel to timeline.incidents
  std::vector<std::size_t> live;          // started incidents still tracked or attributable
  std::vector<Wait> waits;
  std::unordered_set<std::uint64_t> action_ids;
  std::vector<engine::Incident> outbox;  // notifications of this tick
  std::vector<std::pair<std::function<void(engine::ActionResult)>, engine::ActionResult>>
      completions;
  int64_t capacity = std::numeric_limits<int64_t>::max();
  bool any_shift = false;        // some service shifts traffic to another one
  std::vector<double> shift_in;  // per service: traffic shifted to it (previous tick)
  int64_t slots_used = 0;
  std::uint64_t tick_count = 0;
  int64_t last_tick_ms = -1;

  // Telemetry ring: [slot * services + service]: a tick writes one contiguous row.
  std::size_t ring_len = 0;
  std::size_t ring_head = 0;  // slot of the latest tick
  std::size_t ring_filled = 0;
  std::vector<Sample> ring;

  Timeline tl;
  std::function<void(const engine::Incident&)> sink;
  std::function<void(std::uint64_t, bool)> approval_handler;
  std::map<std::string, std::pair<int64_t, std::string>> last_decision;  // target -> (t, fp)

  ClockPort clock_port{*this};
  SchedulerPort scheduler_port{*this};
  TelemetryPort telemetry_port{*this};
  TopologyPort topology_port{*this};
  CalendarPort calendar_port{*this};
  ActuatorPort actuator_port{*this};
  NotifierPort notifier_port{*this};
  StatePort state_port;
  AuditPort audit_port{*this};

  Impl(const ClusterSpec& s, std::uint64_t seed, WorldOptions o)
      : spec(s), opts(o), sim(seed, s.start) {
    start_ms = core::to_unix_ms(spec.start);
    scrape_ms = spec.scrape_interval.count();
    phi = std::exp(-static_cast<double>(scrape_ms) / 60'000.0);
    phi_innov = std::sqrt(1.0 - phi * phi);
    if (spec.capacity_pods) capacity = *spec.capacity_pods;
    build_services();
    build_rules();
    build_timeline();
    schedule_scenario();
    sim.at(spec.start, [this] { tick(); });
  }

  int64_t now_ms() const { return core::to_unix_ms(sim.now()); }
  TimePoint tp(int64_t ms) const { return core::from_unix_ms(ms); }

  // ---- construction --------------------------------------------------------------------
  void build_services() {
    svcs.resize(spec.services.size());
    for (std::size_t i = 0; i < spec.services.size(); ++i)
      by_name[spec.services[i].name] = i;
    for (std::size_t i = 0; i < spec.services.size(); ++i) {
      Svc& v = svcs[i];
      const ServiceSpec& ss = spec.services[i];
      v.spec = &ss;
      v.index = i;
      v.base_error_rate = ss.base_error_rate;
      v.cache = ss.kind == ServiceKind::kCache;
      v.worker = ss.kind == ServiceKind::kWorker;
      v.daily_shape = ss.traffic.daily_shape;
      v.traffic_rps = ss.traffic.rps;
      v.traffic_noise = ss.traffic.noise;
      v.base_latency_ms = ss.base_latency_ms;
      v.memory_per_pod_mb = ss.memory_per_pod_mb;
      v.memory_limit_mb = ss.memory_limit_mb;
      v.slo_error_rate = ss.slo.error_rate;
      v.slo_latency_p99_ms = ss.slo.latency_p99_ms;
      v.slo_queue_lag = ss.slo.queue_lag;
      v.rng = sim.stream("svc/" + ss.name + "/traffic");
      if (ss.traffic.noise > 0) v.noise = v.rng.normal(0.0, ss.traffic.noise);
      for (const auto& d : ss.depends_on) {
        v.upstreams.push_back(by_name.at(d));
        svcs[by_name.at(d)].dependents.push_back(i);
      }
      if (ss.releases.empty()) {
        Release r;
        r.revision = 1;
        r.version = "1.0.0";
        r.deployed_ms = start_ms - 72 * 3600'000LL;
        v.releases.push_back(r);
      } else {
        for (const auto& rs : ss.releases)
          v.releases.push_back(make_release(rs, start_ms));
      }
      v.current = v.releases.size() - 1;
      v.last_deploy_ms = v.releases.back().deployed_ms;
      v.templates.push_back(v.current);
      v.tmpl_err.push_back(release_error(v.releases[v.current]));
      v.tmpl = 0;
      v.completed_tmpl = 0;
      v.desired = ss.replicas;
      for (const auto& f : ss.feature_flags)
        v.flags.push_back({f, 0.0, true, kNever});
      v.pods.reserve(static_cast<std::size_t>(std::max(4, ss.replicas * 2 + 2)));
      for (int k = 0; k < ss.replicas; ++k) {
        Pod p;
        p.leak_factor = leak_factor_for(v.pod_seq++);
        p.tmpl = 0;
        if (slots_used < capacity) {
          p.phase = Phase::kRunning;
          p.started_ms = start_ms - 3600'000;
          p.ready_ms = start_ms - 3600'000;
          if (v.releases[v.current].crash_loop) {
            p.next_ms = start_ms + v.releases[v.current].crash_after_ms;
          }
          ++slots_used;
        } else {
          p.phase = Phase::kPending;
        }
        v.pods.push_back(p);
      }
      const double u0 = ss.traffic.rps / std::max(1.0, ss.replicas * ss.capacity_rps_per_replica);
      v.util = std::min(1.0, u0);
      v.p99 = v.prev_p99 = ss.base_latency_ms * latency_factor(u0);
      v.err = v.prev_err = ss.base_error_rate;
    }
    // Calls in flight before the first tick, so upstreams do not start from zero.
    for (std::size_t i = 0; i < svcs.size(); ++i) {
      svcs[i].calls = svcs[i].prev_calls = baseline_rps(i, start_ms, 0);
    }
    ring_len = static_cast<std::size_t>(opts.telemetry_retention.count() / scrape_ms) + 2;
    ring.assign(ring_len * svcs.size(), Sample{});
  }

  static Release make_release(const ReleaseSpec& rs, int64_t start) {
    Release r;
    r.revision = rs.revision;
    r.version = rs.version;
    r.bad = rs.bad;
    r.error_rate = rs.error_rate;
    r.crash_loop = rs.crash_loop;
    r.crash_after_ms = rs.crash_after.count();
    r.deployed_ms = start - rs.deployed_ago.count();
    return r;
  }

  static double release_error(const Release& r) {
    if (!r.bad || r.crash_loop) return 0.0;
    return r.error_rate > 0 ? r.error_rate : 0.3;
  }

  void build_rules() {
    rules = effective_alert_rules(spec);
    rule_applies.assign(rules.size(), std::vector<char>(svcs.size(), 0));
    for (std::size_t r = 0; r < rules.size(); ++r) {
      for (std::size_t i = 0; i < svcs.size(); ++i) {
        const auto& kinds = rules[r].kinds;
        rule_applies[r][i] = kinds.empty() || std::find(kinds.begin(), kinds.end(),
                                                        svcs[i].spec->kind) != kinds.end();
      }
    }
    for (const auto& r : rules) {
      rule_back.push_back(ticks_in(r.window));
      FastRule f;
      f.signal = static_cast<std::uint8_t>(r.signal);
      f.windowed = r.signal == engine::SignalName::kOomKills ||
                   r.signal == engine::SignalName::kRestarts ||
                   r.signal == engine::SignalName::kQueueLagTrend;
      f.strict = r.op == CompareOp::kGt || r.op == CompareOp::kLt;
      f.sign = (r.op == CompareOp::kLt || r.op == CompareOp::kLe) ? -1.0 : 1.0;
      f.threshold = f.sign * r.threshold;
      f.for_ms = r.for_.count();
      fast_rules.push_back(f);
    }
    std::map<std::vector<std::uint16_t>, std::size_t> lists;  // rule list -> where in checks
    for (std::size_t i = 0; i < svcs.size(); ++i) {
      std::vector<std::uint16_t> list;
      for (std::size_t r = 0; r < rules.size(); ++r) {
        if (rule_applies[r][i]) list.push_back(static_cast<std::uint16_t>(r));
      }
      auto [it, added] = lists.emplace(list, checks.size());
      if (added) {
        for (const std::uint16_t r : list) {
          const FastRule& f = fast_rules[r];
          RuleCheck c;
          c.threshold = f.threshold;
          c.window_ticks = static_cast<std::uint32_t>(
              std::min<std::size_t>(rule_back[r], std::numeric_limits<std::uint32_t>::max()));
          c.rule = r;
          c.signal = f.signal;
          c.flags = static_cast<std::uint8_t>(
              (f.strict ? kStrict : 0) | (f.windowed ? kWindowed : 0) | (f.sign < 0 ? kNegate : 0));
          checks.push_back(c);
        }
      }
      checks_at.push_back(it->second);
      checks_end.push_back(it->second + list.size());
    }
    alert_busy.assign(svcs.size() * rules.size(), 0);
    alerts.assign(svcs.size() * rules.size(), AlertState{});
    fingerprints.assign(svcs.size() * rules.size(), std::string{});
    for (std::size_t i = 0; i < svcs.size(); ++i) {
      for (std::size_t r = 0; r < rules.size(); ++r) {
        alert_critical.push_back(severity_of(svcs[i], rules[r]) == "critical");
      }
    }
    if (spec.oncall.direct_page_after) direct_page_ms = spec.oncall.direct_page_after->count();
    groups.assign(svcs.size(), Group{});
  }

  void build_timeline() {
    tl.start = spec.start;
    tl.end = spec.start;
    tl.scrape_interval = spec.scrape_interval;
    for (const auto& s : spec.services) {
      ServiceSeries ss;
      ss.service = s.name;
      ss.slo = s.slo;
      ss.step = spec.scrape_interval;
      tl.services.push_back(std::move(ss));
    }
    auto truths = ground_truths(spec);
    for (std::size_t k = 0; k < truths.size(); ++k) {
      IncidentRecord rec;
      rec.truth = std::move(truths[k]);
      rec.start = spec.start + rec.truth.start;
      IncidentRuntime rt;
      rt.affects.assign(svcs.size(), 0);
      rt.impacted.assign(svcs.size(), 0);
      for (const auto& a : rec.truth.affected) {
        rt.affects[by_name.at(a)] = 1;
        rt.affected_index.push_back(by_name.at(a));
      }
      if (!rec.truth.root_service.empty())
        rt.root = static_cast<std::ptrdiff_t>(by_name.at(rec.truth.root_service));
      if (k < spec.faults.size()) {
        rt.fault = static_cast<std::ptrdiff_t>(k);
      } else {
        rt.planned = static_cast<std::ptrdiff_t>(k - spec.faults.size());
      }
      tl.incidents.push_back(std::move(rec));
      inc.push_back(std::move(rt));
    }
  }

  void schedule_scenario() {
    for (std::size_t k = 0; k < inc.size(); ++k) {
      const auto& rec = tl.incidents[k];
      sim.at(rec.start, [this, k] { begin_incident(k); });
      if (inc[k].fault >= 0) {
        const FaultSpec& f = spec.faults[static_cast<std::size_t>(inc[k].fault)];
        if (f.duration && f.kind != FaultKind::kBadDeploy) {
          sim.at(rec.start + *f.duration, [this, k] { end_incident(k, "duration elapsed"); });
        }
      } else {
        const PlannedEventSpec& p = spec.planned[static_cast<std::size_t>(inc[k].planned)];
        sim.at(spec.start + p.end, [this, k] { end_incident(k, "planned end"); });
      }
    }
  }

  // ---- timeline helpers ----------------------------------------------------------------
  /// Whether incident k is active for `svc` now: started, affects it, and its cause is on
  /// or its impact has not recovered yet.
  bool active_for(std::size_t k, std::size_t svc) const {
    const auto& rt = inc[k];
    if (!rt.started || !rt.affects[svc]) return false;
    const auto& rec = tl.incidents[k];
    return !rt.ended || (rec.impact && !rec.recovered);
  }

  /// The ground-truth incident `svc` is attributed to now: among the active ones, those
  /// rooted at `svc` first, then the latest started.
  std::ptrdiff_t attribute(std::size_t svc) const {
    std::ptrdiff_t best = -1;
    bool best_root = false;
    for (const std::size_t k : live) {
      if (!active_for(k, svc)) continue;
      const bool root = inc[k].root == static_cast<std::ptrdiff_t>(svc);
      if (best < 0 || (root && !best_root) ||
          (root == best_root &&
           tl.incidents[static_cast<std::size_t>(best)].start <= tl.incidents[k].start)) {
        best = static_cast<std::ptrdiff_t>(k);
        best_root = root;
      }
    }
    return best;
  }

  std::string incident_id_for(std::string_view service) const {
    auto it = by_name.find(std::string(service));
    if (it == by_name.end()) return {};
    const auto k = attribute(it->second);
    return k < 0 ? std::string{} : tl.incidents[static_cast<std::size_t>(k)].truth.id;
  }

  /// log() for a service known by index (no name lookup).
  TimelineEvent& log_at(EventKind kind, std::size_t svc, std::string name, std::string detail) {
    TimelineEvent e;
    e.time = sim.now();
    e.kind = kind;
    const auto k = attribute(svc);
    if (k >= 0) e.incident = tl.incidents[static_cast<std::size_t>(k)].truth.id;
    e.service = svcs[svc].spec->name;
    e.name = std::move(name);
    e.detail = std::move(detail);
    tl.events.push_back(std::move(e));
    return tl.events.back();
  }

  TimelineEvent& log(EventKind kind, std::string service, std::string name, std::string detail) {
    TimelineEvent e;
    e.time = sim.now();
    e.kind = kind;
    e.incident = incident_id_for(service);
    e.service = std::move(service);
    e.name = std::move(name);
    e.detail = std::move(detail);
    tl.events.push_back(std::move(e));
    return tl.events.back();
  }

  // ---- scenario events -----------------------------------------------------------------
  void begin_incident(std::size_t k) {
    auto& rt = inc[k];
    auto& rec = tl.incidents[k];
    rt.started = true;
    live.push_back(k);
    const std::string& id = rec.truth.id;
    if (rt.fault >= 0) {
      const FaultSpec& f = spec.faults[static_cast<std::size_t>(rt.fault)];
      Svc& v = svcs[static_cast<std::size_t>(rt.root)];
      std::string detail = apply_fault(k, f, v);
      auto& e = log(EventKind::kFaultStart, f.target, std::string(to_string(f.kind)), detail);
      e.incident = id;
    } else {
      const PlannedEventSpec& p = spec.planned[static_cast<std::size_t>(rt.planned)];
      std::string detail;
      if (rt.root >= 0) {
        Svc& v = svcs[static_cast<std::size_t>(rt.root)];
        switch (p.kind) {
          case PlannedKind::kMarketingCampaign:
            v.ext_mult *= p.traffic_multiplier;
            detail = "external traffic x" + fmt(p.traffic_multiplier);
            break;
          case PlannedKind::kDeployWindow: {
            ReleaseSpec rs = *p.release;
            if (rs.revision <= v.releases.back().revision)
              rs.revision = v.releases.back().revision + 1;
            Release r = make_release(rs, now_ms());
            r.deployed_ms = now_ms();
            detail =
                "helm upgrade to revision " + std::to_string(r.revision) + " (" + r.version + ")";
            deploy_release(v, std::move(r), "planned deploy " + id);
            break;
          }
          case PlannedKind::kMaintenance:
            v.maintenance = p.severity;
            detail = "maintenance: " + fmt(p.severity) + " of requests fail";
            break;
        }
      }
      auto& e = log(EventKind::kPlannedStart, p.service, std::string(to_string(p.kind)), detail);
      e.incident = id;
    }
  }

  std::string apply_fault(std::size_t k, const FaultSpec& f, Svc& v) {
    const ServiceSpec& ss = *v.spec;
    v.pods_dirty = true;
    const auto& p = f.params;
    switch (f.kind) {
      case FaultKind::kMemoryLeak: {
        double rate = p.rate;
        if (rate <= 0) rate = (ss.memory_limit_mb - ss.memory_per_pod_mb) / 20.0;
        v.leak_mb_per_ms += rate / 60'000.0;
        return "memory leak " + fmt(rate) + " MB/min per container";
      }
      case FaultKind::kCpuHog: {
        v.hog_severity = p.severity > 0 ? p.severity : 0.6;
        int n = 0;
        for (auto& pod : v.pods) {
          if (pod.phase != Phase::kGone && pod.phase != Phase::kTerminating) {
            pod.flags |= kFlagHog;
            ++n;
          }
        }
        return "runaway threads in " + std::to_string(n) + " pods take " + fmt(v.hog_severity) +
               " of their CPU";
      }
      case FaultKind::kBadDeploy: {
        Release r;
        r.revision = v.releases.back().revision + 1;
        r.version = p.version.empty() ? v.releases[v.current].version + "-bad" : p.version;
        r.bad = true;
        r.crash_loop = p.crash_loop;
        r.error_rate = p.severity > 0 ? p.severity : 0.3;
        r.deployed_ms = now_ms();
        std::string d =
            "helm upgrade to revision " + std::to_string(r.revision) + " (" + r.version +
            (r.crash_loop ? ", crash-loops)" : ", " + fmt(r.error_rate) + " of requests fail)");
        deploy_release(v, std::move(r), "bad deploy");
        return d;
      }
      case FaultKind::kDependencyOutage:
        v.outage = 1.0;
        return ss.name + " unavailable";
      case FaultKind::kDependencyDegradation:
        v.degrade_err = p.severity > 0 ? p.severity : 0.2;
        v.degrade_latency = p.latency_ms > 0 ? p.latency_ms : 400.0;
        return ss.name + " fails " + fmt(v.degrade_err) + " of calls, +" + fmt(v.degrade_latency) +
               " ms";
      case FaultKind::kTrafficSpike:
        v.ext_mult *= p.multiplier;
        return "unplanned external traffic x" + fmt(p.multiplier);
      case FaultKind::kPodLoss: {
        int lost = 0;
        for (auto& pod : v.pods) {
          if (lost >= p.pods) break;
          if (pod.phase == Phase::kRunning || pod.phase == Phase::kStarting ||
              pod.phase == Phase::kBackoff) {
            pod.phase = Phase::kLost;
            pod.ready_ms = kNever;
            pod.next_ms = now_ms() + p.replace_after.count();
            ++lost;
          }
        }
        if (p.capacity_loss > 0 && capacity != std::numeric_limits<int64_t>::max()) {
          capacity -= p.capacity_loss;
          inc[k].capacity_lost = p.capacity_loss;
        }
        return "node failure: " + std::to_string(lost) + " pods lost";
      }
      case FaultKind::kConsumerStall: {
        int n = 0;
        for (auto& pod : v.pods) {
          if (pod.phase != Phase::kGone && pod.phase != Phase::kTerminating) {
            pod.flags |= kFlagStalled;
            ++n;
          }
        }
        return std::to_string(n) + " consumers stalled";
      }
      case FaultKind::kBadFeatureFlag: {
        const std::string name = p.flag.empty() ? "new-" + ss.name + "-flow" : p.flag;
        const double sev = p.severity > 0 ? p.severity : 0.3;
        auto it = std::find_if(v.flags.begin(), v.flags.end(),
                               [&](const Flag& fl) { return fl.name == name; });
        if (it == v.flags.end()) {
          v.flags.push_back({name, sev, true, kNever});
        } else {
          *it = {name, sev, true, kNever};
        }
        return "flag " + name + " on: " + fmt(sev) + " of requests fail";
      }
      case FaultKind::kPoisonedCache:
        v.poison = p.severity > 0 ? p.severity : 0.25;
        return "cache serves bad entries: " + fmt(v.poison) + " of requests fail";
    }
    return {};
  }

  /// Stops the cause of incident k (duration elapsed, planned end, on-call fix).
  void end_incident(std::size_t k, const std::string& why) {
    auto& rt = inc[k];
    if (rt.ended || !rt.started) return;
    rt.ended = true;
    auto& rec = tl.incidents[k];
    rec.end = sim.now();
    std::string service;
    std::string name;
    EventKind kind = EventKind::kFaultEnd;
    if (rt.fault >= 0) {
      const FaultSpec& f = spec.faults[static_cast<std::size_t>(rt.fault)];
      Svc& v = svcs[static_cast<std::size_t>(rt.root)];
      v.pods_dirty = true;
      service = f.target;
      name = std::string(to_string(f.kind));
      const auto& p = f.params;
      switch (f.kind) {
        case FaultKind::kMemoryLeak: {
          double rate = p.rate;
          if (rate <= 0) rate = (v.spec->memory_limit_mb - v.spec->memory_per_pod_mb) / 20.0;
          v.leak_mb_per_ms = std::max(0.0, v.leak_mb_per_ms - rate / 60'000.0);
          break;
        }
        case FaultKind::kCpuHog:
          v.hog_severity = 0.0;
          for (auto& pod : v.pods)
            pod.flags &= static_cast<std::uint8_t>(~kFlagHog);
          break;
        case FaultKind::kBadDeploy:
          break;  // ends when a good release replaces it
        case FaultKind::kDependencyOutage:
          v.outage = 0.0;
          break;
        case FaultKind::kDependencyDegradation:
          v.degrade_err = 0.0;
          v.degrade_latency = 0.0;
          break;
        case FaultKind::kTrafficSpike:
          v.ext_mult /= p.multiplier;
          break;
        case FaultKind::kPodLoss:
          capacity += rt.capacity_lost;
          rt.capacity_lost = 0;
          break;
        case FaultKind::kConsumerStall:
          for (auto& pod : v.pods)
            pod.flags &= static_cast<std::uint8_t>(~kFlagStalled);
          break;
        case FaultKind::kBadFeatureFlag: {
          const std::string fname = p.flag.empty() ? "new-" + v.spec->name + "-flow" : p.flag;
          for (auto& fl : v.flags) {
            if (fl.name == fname && fl.enabled) {
              fl.enabled = false;
              fl.off_at = now_ms();
            }
          }
          break;
        }
        case FaultKind::kPoisonedCache:
          v.poison = 0.0;
          break;
      }
    } else {
      const PlannedEventSpec& p = spec.planned[static_cast<std::size_t>(rt.planned)];
      service = p.service;
      name = std::string(to_string(p.kind));
      kind = EventKind::kPlannedEnd;
      if (rt.root >= 0) {
        Svc& v = svcs[static_cast<std::size_t>(rt.root)];
        if (p.kind == PlannedKind::kMarketingCampaign) v.ext_mult /= p.traffic_multiplier;
        if (p.kind == PlannedKind::kMaintenance) v.maintenance = 0.0;
      }
    }
    auto& e = log(kind, service, name, why);
    e.incident = rec.truth.id;
  }

  // ---- deployments ---------------------------------------------------------------------
  /// Starts a rollout of a new pod template for release index `rel` (restart: same one).
  std::uint32_t new_template(Svc& v, std::size_t rel, const std::string& why) {
    v.templates.push_back(rel);
    v.tmpl_err.push_back(release_error(v.releases[rel]));
    v.tmpl = static_cast<std::uint32_t>(v.templates.size() - 1);
    v.current = rel;
    v.rollout = true;
    log_at(EventKind::kDeploy, v.index, "revision " + std::to_string(v.releases[rel].revision),
           why + ": rolling out " + v.releases[rel].version);
    return v.tmpl;
  }

  std::uint32_t deploy_release(Svc& v, Release r, const std::string& why) {
    v.last_deploy_ms = r.deployed_ms;
    v.releases.push_back(std::move(r));
    return new_template(v, v.releases.size() - 1, why);
  }

  void schedule_pod(Svc& v, Pod& p, int64_t now) {
    if (slots_used >= capacity) {
      p.phase = Phase::kPending;
      p.next_ms = kNever;
      return;
    }
    ++slots_used;
    p.phase = Phase::kStarting;
    p.started_ms = now;
    p.ready_ms = kNever;
    p.next_ms = now + v.spec->startup_delay.count();
    p.leaked_mb = 0;
  }

  /// Deterministic spread in [0.75, 1.25) from the pod's sequence number (golden ratio).
  static float leak_factor_for(std::uint32_t seq) {
    const double x = static_cast<double>(seq) * 0.6180339887498949;
    return static_cast<float>(0.75 + 0.5 * (x - std::floor(x)));
  }

  void create_pod(Svc& v, int64_t now) {
    Pod p;
    p.leak_factor = leak_factor_for(v.pod_seq++);
    p.tmpl = v.tmpl;
    schedule_pod(v, p, now);
    v.pods.push_back(p);
  }

  void terminate(Svc& v, Pod& p, int64_t now) {
    if (p.phase == Phase::kPending) {
      p.phase = Phase::kGone;
      return;
    }
    p.phase = Phase::kTerminating;
    p.ready_ms = kNever;
    p.next_ms = now + v.spec->termination_grace.count();
  }

  void container_died(Svc& v, Pod& p, int64_t t, bool oom) {
    if (t - p.started_ms >= kBackoffReset) p.failures = 0;
    const int64_t backoff = std::min(kBackoffMax, kBackoffBase << std::min<int>(p.failures, 5));
    if (p.failures < 6) ++p.failures;
    ++p.restarts;
    ++v.cum_restarts;
    v.last_restart_ms = t;
    if (oom) {
      ++v.cum_oom;
      v.last_oom_ms = t;
      p.flags = static_cast<std::uint8_t>(p.flags | kFlagOom);
    } else {
      p.flags = static_cast<std::uint8_t>(p.flags & ~kFlagOom);
    }
    // A new process: runaway threads and stuck consumers are gone with the old one.
    p.flags = static_cast<std::uint8_t>(p.flags & ~(kFlagHog | kFlagStalled));
    p.phase = Phase::kBackoff;
    p.ready_ms = kNever;
    p.next_ms = t + backoff;
    p.leaked_mb = 0;
  }

  /// Accumulates pod `p` into `st` (after its transitions).
  void account(const Svc& v, const Pod& p, int64_t now, PodStats& st) const {
    st.next_event = std::min(st.next_event, p.next_ms);
    switch (p.phase) {
      case Phase::kGone:
        st.gone = true;
        return;
      case Phase::kTerminating:
        return;
      case Phase::kPending:
        ++st.active;
        ++st.pending;
        return;
      case Phase::kStarting:
        ++st.active;
        st.any_live = true;
        st.max_leaked = std::max(st.max_leaked, p.leaked_mb);
        return;
      case Phase::kRunning: {
        ++st.active;
        ++st.ready;
        st.any_live = true;
        st.max_leaked = std::max(st.max_leaked, p.leaked_mb);
        double pc = v.spec->capacity_rps_per_replica;
        if (now - p.ready_ms < v.spec->warmup.count()) {
          pc *= 0.5;
          st.next_event = std::min(st.next_event, p.ready_ms + v.spec->warmup.count());
        }
        if (p.flags & kFlagHog) {
          pc *= 1.0 - v.hog_severity;
          ++st.hogs;
        }
        if ((p.flags & kFlagStalled) && v.spec->kind == ServiceKind::kWorker) pc = 0.0;
        st.cap += pc;
        st.rel_err_w += pc * v.tmpl_err[p.tmpl];
        return;
      }
      case Phase::kBackoff:
      case Phase::kLost:
        ++st.active;
        return;
    }
  }

  PodStats pod_stats(const Svc& v, int64_t now) const {
    PodStats st;
    for (const auto& p : v.pods)
      account(v, p, now, st);
    return st;
  }

  /// Time-driven transitions up to `now`, memory growth and OOM kills, and the stats of
  /// the result (one pass over the pods).
  PodStats advance_pods(Svc& v, int64_t now, int64_t dt) {
    PodStats st;
    const double base_mem = v.spec->memory_per_pod_mb * (0.85 + 0.15 * std::min(1.0, v.util));
    const double limit = v.spec->memory_limit_mb;
    const float grow = static_cast<float>(v.leak_mb_per_ms * static_cast<double>(dt));
    for (auto& p : v.pods) {
      while (p.next_ms <= now) {
        const int64_t t = p.next_ms;
        switch (p.phase) {
          case Phase::kStarting: {
            p.phase = Phase::kRunning;
            p.ready_ms = t;
            const Release& r = v.releases[v.templates[p.tmpl]];
            p.next_ms = r.crash_loop ? t + r.crash_after_ms : kNever;
            break;
          }
          case Phase::kRunning:
            container_died(v, p, t, false);
            break;
          case Phase::kBackoff:
            p.phase = Phase::kStarting;
            p.started_ms = t;
            p.next_ms = t + v.spec->startup_delay.count();
            break;
          case Phase::kTerminating:
          case Phase::kLost:
            p.phase = Phase::kGone;
            p.next_ms = kNever;
            --slots_used;
            break;
          case Phase::kPending:
          case Phase::kGone:
            p.next_ms = kNever;
            break;
        }
      }
      if (grow > 0 && (p.phase == Phase::kRunning || p.phase == Phase::kStarting)) {
        p.leaked_mb += grow * p.leak_factor;
        if (base_mem + p.leaked_mb >= limit) {
          container_died(v, p, now, true);
          log_at(EventKind::kPodEvent, v.index, "OOMKilled",
                 "container exceeded its " + fmt(limit) + " MB limit (restart " +
                     std::to_string(p.restarts) + ")");
        }
      }
      account(v, p, now, st);
    }
    return st;
  }

  /// The Deployment + ReplicaSet controllers for one service. `st` is the pods' state
  /// now; returns false when there was nothing to do (steady state).
  bool reconcile(Svc& v, int64_t now, const PodStats& st) {
    const int active = st.active;
    if (!v.rollout && active == v.desired && st.pending == 0) return false;
    for (auto& p : v.pods) {
      if (p.phase == Phase::kPending) schedule_pod(v, p, now);
    }
    if (!v.rollout) {
      for (int k = active; k < v.desired; ++k)
        create_pod(v, now);
      int extra = active - v.desired;
      // Scale-in: unready pods first, then the newest ready ones.
      for (int rank = 0; rank < 3 && extra > 0; ++rank) {
        for (auto it = v.pods.rbegin(); it != v.pods.rend() && extra > 0; ++it) {
          Pod& p = *it;
          const bool match =
              (rank == 0 && p.phase == Phase::kPending) ||
              (rank == 1 && (p.phase == Phase::kStarting || p.phase == Phase::kBackoff)) ||
              (rank == 2 && p.phase == Phase::kRunning);
          if (match) {
            terminate(v, p, now);
            --extra;
          }
        }
      }
      return true;
    }
    const int surge0 = v.spec->max_surge.resolve(v.desired, true);
    int unav = v.spec->max_unavailable.resolve(v.desired, false);
    if (surge0 == 0 && unav == 0) unav = 1;
    const int min_avail = v.desired - unav;
    int new_count = 0, new_ready = 0, old_count = 0, old_ready = 0;
    for (const auto& p : v.pods) {
      if (p.phase == Phase::kGone || p.phase == Phase::kTerminating) continue;
      const bool ready = p.phase == Phase::kRunning;
      if (p.tmpl == v.tmpl) {
        ++new_count;
        new_ready += ready;
      } else {
        ++old_count;
        old_ready += ready;
      }
    }
    // Scale the old ReplicaSets down as far as availability allows, unhealthy pods first.
    int max_down = new_count + old_count - min_avail - (new_count - new_ready);
    for (int rank = 0; rank < 2; ++rank) {
      for (auto& p : v.pods) {
        if (p.tmpl == v.tmpl || p.phase == Phase::kGone || p.phase == Phase::kTerminating ||
            p.phase == Phase::kLost) {
          continue;
        }
        const bool ready = p.phase == Phase::kRunning;
        if (rank == 0 && !ready) {
          // Unhealthy old pods can always go: they serve nothing.
          terminate(v, p, now);
          --old_count;
          --max_down;
        } else if (rank == 1 && ready && max_down > 0) {
          terminate(v, p, now);
          --old_count;
          --old_ready;
          --max_down;
        }
      }
    }
    // Scale the new ReplicaSet up within the surge.
    const int room = v.desired + surge0 - (new_count + old_count);
    const int add = std::min(v.desired - new_count, room);
    for (int k = 0; k < add; ++k)
      create_pod(v, now);
    new_count += std::max(0, add);
    // Too many new pods (scaled in during a rollout).
    for (auto it = v.pods.rbegin(); it != v.pods.rend() && new_count > v.desired; ++it) {
      if (it->tmpl == v.tmpl && it->phase != Phase::kGone && it->phase != Phase::kTerminating &&
          it->phase != Phase::kLost) {
        terminate(v, *it, now);
        --new_count;
      }
    }
    if (new_count == v.desired && new_ready >= v.desired && old_count == 0) {
      finish_rollout(v);
    }
    return true;
  }

  void finish_rollout(Svc& v) {
    v.rollout = false;
    v.completed_tmpl = v.tmpl;
    const Release& r = v.releases[v.current];
    // A good release now serves everything: a bad-deploy incident on this service is over.
    if (!r.bad) {
      for (std::size_t k = 0; k < inc.size(); ++k) {
        const auto& rt = inc[k];
        if (!rt.started || rt.ended || rt.root != static_cast<std::ptrdiff_t>(v.index)) continue;
        const bool bad_deploy =
            (rt.fault >= 0 &&
             spec.faults[static_cast<std::size_t>(rt.fault)].kind == FaultKind::kBadDeploy) ||
            (rt.planned >= 0 &&
             spec.planned[static_cast<std::size_t>(rt.planned)].kind ==
                 PlannedKind::kDeployWindow &&
             spec.planned[static_cast<std::size_t>(rt.planned)].release &&
             spec.planned[static_cast<std::size_t>(rt.planned)].release->bad);
        if (bad_deploy && rt.fault >= 0) {
          end_incident(k, "good release " + r.version + " (revision " + std::to_string(r.revision) +
                              ") rolled out");
        }
      }
    }
  }

  // ---- the scrape tick -----------------------------------------------------------------
  static double daily_shape(int64_t ms) {
    constexpr int64_t kDay = 86'400'000;
    int64_t in_day = ms % kDay;
    if (in_day < 0) in_day += kDay;
    const double h = static_cast<double>(in_day) / 3'600'000.0;
    return 1.0 + 0.45 * std::sin(2.0 * 3.14159265358979323846 * (h - 8.0) / 24.0);
  }

  double call_factor(const Svc& d, int64_t now) const {
    const bool cache = d.cache;
    double f = cache ? 0.1 : 1.0;
    const int64_t age = now - d.purge_ms;
    if (age >= 0 && age < kPurgeWarmup) {
      const double peak = cache ? 10.0 : 3.0;
      f *=
          1.0 + (peak - 1.0) * (1.0 - static_cast<double>(age) / static_cast<double>(kPurgeWarmup));
    }
    return f;
  }

  void tick() {
    const int64_t now = now_ms();
    const int64_t dt = last_tick_ms < 0 ? 0 : now - last_tick_ms;
    last_tick_ms = now;
    ++tick_count;
    for (auto& v : svcs) {
      v.prev_err = v.err;
      v.prev_p99 = v.p99;
      v.prev_calls = v.calls;
      v.prev_shifted = v.shifted;
      v.prev_ready = v.ready;
    }
    if (any_shift) {
      std::fill(shift_in.begin(), shift_in.end(), 0.0);
      for (const auto& o : svcs) {
        if (o.shift_to >= 0) shift_in[static_cast<std::size_t>(o.shift_to)] += o.prev_shifted;
      }
    }
    const double shape = daily_shape(now);
    ring_head = (ring_head + 1) % ring_len;
    if (ring_filled < ring_len) ++ring_filled;
    const double dt_s = static_cast<double>(scrape_ms) / 1000.0;

    for (auto& v : svcs) {
      // The whole state of a service is read on every tick and all services together do
      // not fit in L1: fetch the next one's while this one is computed.
      if (&v != &svcs.back()) {
        const char* next = reinterpret_cast<const char*>(&v + 1);
        for (std::size_t off = 0; off < offsetof(Svc, pods); off += 64)
          __builtin_prefetch(next + off);
      }
      PodStats& st = v.stats;
      if (v.pods_dirty || v.leak_mb_per_ms != 0 || v.rollout || now >= st.next_event) {
        st = advance_pods(v, now, dt);
        if (st.gone) {
          v.pods.erase(std::remove_if(v.pods.begin(), v.pods.end(),
                                      [](const Pod& p) { return p.phase == Phase::kGone; }),
                       v.pods.end());
          st.gone = false;
        }
      }
      // The controllers have nothing to do in the steady state (checked here, not behind
      // a call: it is every service on almost every tick).
      if ((v.rollout || st.active != v.desired || st.pending != 0) && reconcile(v, now, st)) {
        st = pod_stats(v, now);
      }
      v.pods_dirty = false;
      const int ready = st.ready;
      const int hogs = st.hogs;
      const double cap = st.cap;
      const double rel_err_w = st.rel_err_w;
      const double base_mem = v.memory_per_pod_mb * (0.85 + 0.15 * std::min(1.0, v.util));
      const double max_mem = st.any_live ? base_mem + static_cast<double>(st.max_leaked) : 0.0;
      const bool worker = v.worker;
      v.ready = ready;

      // Demand: external traffic (daily shape, AR(1) noise, multipliers) plus calls.
      if (v.traffic_noise > 0) {
        // Innovation: a triangular variate (sum of two uniforms) with unit variance; the
        // AR(1) sum of many of them is close to normal, at a quarter of the cost of a
        // normal draw in the hottest loop.
        const std::uint64_t bits = v.rng.next_u64();  // two 32-bit uniforms from one draw
        const double u1 = static_cast<double>(bits >> 32) * 0x1.0p-32;
        const double u2 = static_cast<double>(bits & 0xffffffffULL) * 0x1.0p-32;
        const double tri = (u1 + u2 - 1.0) * 2.449489742783178;
        v.noise = phi * v.noise + phi_innov * v.traffic_noise * tri;
      }
      double ext =
          v.traffic_rps * (v.daily_shape ? shape : 1.0) * std::max(0.0, 1.0 + v.noise) * v.ext_mult;
      v.shifted = ext * v.shift;
      ext -= v.shifted;
      double demand = ext;
      for (std::size_t d : v.dependents)
        demand += svcs[d].prev_calls * call_factor(svcs[d], now);
      if (any_shift) demand += shift_in[v.index];

      // Upstreams, as seen on the previous tick.
      double dep_ok = 1.0, up_lat = 0.0;
      for (std::size_t u : v.upstreams) {
        const Svc& up = svcs[u];
        // Only errors above the upstream's background rate reach callers as failures
        // (background errors are retried away), so a healthy call chain does not compound.
        const double base = up.base_error_rate;
        dep_ok *= 1.0 - std::clamp((up.prev_err - base) / (1.0 - base), 0.0, 1.0);
        up_lat = std::max(up_lat, up.prev_p99);
      }
      const double dep_err = 1.0 - dep_ok;

      double flag_err = 0.0;
      for (const auto& fl : v.flags) {
        if (fl.severity > 0 && (fl.enabled || now < fl.off_at))
          flag_err = std::max(flag_err, fl.severity);
      }
      const double rel_err = cap > 0 ? rel_err_w / cap : 0.0;
      const double unavail = 1.0 - (1.0 - v.outage) * (1.0 - v.maintenance);
      const double own_ok = (1.0 - v.base_error_rate) * (1.0 - rel_err) * (1.0 - flag_err) *
                            (1.0 - v.poison) * (1.0 - v.degrade_err) * (1.0 - unavail);
      const double hog_cpu = ready > 0 ? v.hog_severity * hogs / ready : 0.0;

      if (!worker) {
        v.rps = demand;
        if (demand <= 0) {
          v.util = 0;
          v.err = 0;
          v.cpu = ready > 0 ? 0.05 + hog_cpu : 0.0;
          v.calls = 0;
          v.p99 = v.base_latency_ms + up_lat;
        } else if (cap <= 0) {
          v.util = 1.0;
          v.err = 1.0;  // no endpoints: the ingress answers 503
          v.cpu = 0.0;
          v.calls = 0;
          v.p99 = v.base_latency_ms;
        } else {
          const double u = demand / cap;
          v.util = u;
          const double overload = u > 1.0 ? 1.0 - 1.0 / u : 0.0;
          v.err = 1.0 - own_ok * (1.0 - overload) * (1.0 - dep_err);
          v.cpu =
              0.05 + 0.95 * std::min(u, 1.0) * (1.0 - 0.7 * dep_err) * (1.0 - unavail) + hog_cpu;
          v.calls = demand * (1.0 - overload) * (1.0 - unavail);
          double lat = v.base_latency_ms * latency_factor(u) + v.degrade_latency + up_lat;
          if (dep_err > 0.01 || unavail > 0.01) lat = std::max(lat, kDependencyTimeoutMs);
          v.p99 = std::min(lat, kMaxLatencyMs);
        }
      } else {
        const double backlog_rate = v.queue / dt_s;
        const double processed = std::min(cap, demand + backlog_rate);
        v.queue = std::max(0.0, v.queue + (demand - processed) * dt_s);
        v.rps = processed;
        v.util = cap > 0 ? processed / cap : (demand > 0 ? 1.0 : 0.0);
        v.err = processed > 0 ? 1.0 - own_ok * (1.0 - dep_err) : 0.0;
        v.cpu = ready > 0 ? 0.05 + 0.95 * std::min(v.util, 1.0) * (1.0 - unavail) + hog_cpu : 0.0;
        v.calls = processed * (1.0 - unavail);
        double lat = v.base_latency_ms * latency_factor(v.util) + v.degrade_latency + up_lat;
        if (dep_err > 0.01) lat = std::max(lat, kDependencyTimeoutMs);
        v.p99 = std::min(lat, kMaxLatencyMs);
      }
      v.dep_err = dep_err;
      v.mem = max_mem / v.memory_limit_mb;
      v.within = !(v.err > v.slo_error_rate ||
                   (v.slo_latency_p99_ms > 0 && v.p99 > v.slo_latency_p99_ms) ||
                   (v.slo_queue_lag > 0 && v.queue > v.slo_queue_lag));

      Sample& s = ring[ring_head * svcs.size() + v.index];
      s.rps = static_cast<float>(v.rps);
      s.err = static_cast<float>(v.err);
      s.p99 = static_cast<float>(v.p99);
      s.cpu = static_cast<float>(v.cpu);
      s.mem = static_cast<float>(v.mem);
      s.ready = static_cast<float>(ready);
      s.desired = static_cast<float>(v.desired);
      s.queue = static_cast<float>(v.queue);
      s.dep_err = static_cast<float>(dep_err);
      s.cum_oom = v.cum_oom;
      s.cum_restarts = v.cum_restarts;

      record_series(v, s, now);
      evaluate_rules(v, now);
    }

    track_incidents(now);
    check_waits(now);
    flush_groups(now);
    tl.end = sim.now();

    // Hand results and notifications out last: the engine may call back into any port.
    auto done = std::move(completions);
    completions.clear();
    for (auto& [cb, res] : done) {
      if (cb) cb(res);
    }
    auto out = std::move(outbox);
    outbox.clear();
    if (sink) {
      for (const auto& i : out)
        sink(i);
    }
    sim.at(tp(now + scrape_ms), [this] { tick(); });
  }

  void record_series(Svc& v, const Sample& s, int64_t now) {
    ServiceSeries& ser = tl.services[v.index];
    const bool out = !v.within;
    if (out) {
      auto& iv = ser.outside_objectives;
      const TimePoint t = tp(now);
      if (!iv.empty() && iv.back().end == t) {
        iv.back().end = t + spec.scrape_interval;
      } else {
        iv.push_back({t, t + spec.scrape_interval});
      }
    }
    if (!opts.record_series) return;
    const std::uint32_t d_oom = v.cum_oom - v.series_oom;
    const std::uint32_t d_rst = v.cum_restarts - v.series_restarts;
    v.series_oom = v.cum_oom;
    v.series_restarts = v.cum_restarts;
    SeriesPoint p;
    p.time = tp(now);
    p.request_rate = s.rps;
    p.error_rate = s.err;
    p.latency_p99_ms = s.p99;
    p.cpu = s.cpu;
    p.memory = s.mem;
    p.ready = s.ready;
    p.desired = s.desired;
    p.queue_lag = s.queue;
    p.dependency_errors = s.dep_err;
    p.oom_kills = d_oom;
    p.restarts = d_rst;
    p.within_objectives = !out;
    if (v.bucket_fill > 0 && v.bucket_fill < v.bucket_ticks) {
      fold_into(ser.points.back(), p, static_cast<float>(v.bucket_fill));
      ++v.bucket_fill;
      return;
    }
    if (ser.points.size() >= std::max<std::size_t>(2, opts.series_max_points)) {
      // Merge adjacent pairs: half the points, twice the step.
      auto& pts = ser.points;
      std::size_t w = 0;
      for (std::size_t r = 0; r + 1 < pts.size(); r += 2) {
        SeriesPoint a = pts[r];
        fold_into(a, pts[r + 1], 1.0f);
        pts[w++] = a;
      }
      if (pts.size() % 2 == 1) pts[w++] = pts.back();
      pts.resize(w);
      v.bucket_ticks *= 2;
      ser.step = ser.step * 2;
    }
    ser.points.push_back(p);
    v.bucket_fill = 1;
  }

  /// Folds `p` into `into`, which already stands for `weight` samples: rates average,
  /// peaks keep the worst value (max, or min for ready pods), counts add. One rule for both
  /// filling a bucket and halving the series, so a long run's points mean what short ones do.
  static void fold_into(SeriesPoint& into, const SeriesPoint& p, float weight) {
    into.request_rate = (into.request_rate * weight + p.request_rate) / (weight + 1.0f);
    into.error_rate = std::max(into.error_rate, p.error_rate);
    into.latency_p99_ms = std::max(into.latency_p99_ms, p.latency_p99_ms);
    into.cpu = std::max(into.cpu, p.cpu);
    into.memory = std::max(into.memory, p.memory);
    into.ready = std::min(into.ready, p.ready);
    into.desired = std::max(into.desired, p.desired);
    into.queue_lag = std::max(into.queue_lag, p.queue_lag);
    into.dependency_errors = std::max(into.dependency_errors, p.dependency_errors);
    into.oom_kills += p.oom_kills;
    into.restarts += p.restarts;
    into.within_objectives = into.within_objectives && p.within_objectives;
  }

  /// The sample `back` ticks before the latest (clamped to the oldest kept); a zero sample
  /// before the world started.
  const Sample& sample_back(const Svc& v, std::size_t back) const {
    static const Sample kZero{};
    if (back >= ring_filled) return kZero;
    const std::size_t slot = ring_head >= back ? ring_head - back : ring_head + ring_len - back;
    return ring[slot * svcs.size() + v.index];
  }
  const Sample& prev_sample(const Svc& v) const { return sample_back(v, 1); }

  std::size_t ticks_in(Duration window) const {
    return static_cast<std::size_t>(std::max<int64_t>(1, window.count() / scrape_ms));
  }

  double rule_value(const Svc& v, std::size_t ri) const {
    using engine::SignalName;
    const AlertRuleSpec& r = rules[ri];
    const std::size_t back = rule_back[ri];
    const Sample& s = sample_back(v, 0);
    switch (r.signal) {
      case SignalName::kErrorRate:
        return s.err;
      case SignalName::kLatencyP99:
        return s.p99;
      case SignalName::kCpu:
        return s.cpu;
      case SignalName::kMemory:
        return s.mem;
      case SignalName::kOomKills:
        if (last_tick_ms - v.last_oom_ms > static_cast<int64_t>(back) * scrape_ms) return 0.0;
        return static_cast<double>(s.cum_oom - sample_back(v, back).cum_oom);
      case SignalName::kRestarts:
        if (last_tick_ms - v.last_restart_ms > static_cast<int64_t>(back) * scrape_ms) return 0.0;
        return static_cast<double>(s.cum_restarts - sample_back(v, back).cum_restarts);
      case SignalName::kReadyRatio:
        return s.desired > 0 ? s.ready / s.desired : 1.0;
      case SignalName::kQueueLag:
        return s.queue;
      case SignalName::kQueueLagTrend: {
        const std::size_t n = std::min(back, ring_filled - 1);
        if (n == 0) return 0.0;
        const double mins = static_cast<double>(n * static_cast<std::size_t>(scrape_ms)) / 60'000.0;
        return (s.queue - sample_back(v, n).queue) / mins;
      }
      case SignalName::kRequestRate:
        return s.rps;
      case SignalName::kDependencyErrors:
        return s.dep_err;
    }
    return 0.0;
  }

  std::string severity_of(const Svc& v, const AlertRuleSpec& r) const {
    if (v.spec->critical) return "critical";
    auto it = r.labels.find("severity");
    return it == r.labels.end() ? "warning" : it->second;
  }

  void evaluate_rules(Svc& v, int64_t now) {
    const std::size_t nr = rules.size();
    // The tick's gauges, indexed by engine::SignalName (windowed ones filled per rule).
    const Sample& s = sample_back(v, 0);
    double vals[11] = {
        s.err,   s.p99, s.cpu, s.mem,    0.0, 0.0, s.desired > 0 ? s.ready / s.desired : 1.0,
        s.queue, 0.0,   s.rps, s.dep_err};
    static_assert(static_cast<int>(engine::SignalName::kErrorRate) == 0 &&
                  static_cast<int>(engine::SignalName::kReadyRatio) == 6 &&
                  static_cast<int>(engine::SignalName::kRequestRate) == 9 &&
                  static_cast<int>(engine::SignalName::kDependencyErrors) == 10);
    constexpr auto oom_sig = static_cast<std::uint8_t>(engine::SignalName::kOomKills);
    constexpr auto restart_sig = static_cast<std::uint8_t>(engine::SignalName::kRestarts);
    std::uint8_t* busy = &alert_busy[v.index * nr];
    const RuleCheck* c = checks.data() + checks_at[v.index];
    const RuleCheck* const end = checks.data() + checks_end[v.index];
    for (; c != end; ++c) {
      double value = vals[c->signal];
      if (c->flags & kWindowed) {
        // Counters are 0 unless they moved within the window (the common case, no lookup).
        const int64_t last = c->signal == oom_sig       ? v.last_oom_ms
                             : c->signal == restart_sig ? v.last_restart_ms
                                                        : now;
        value = now - last > static_cast<int64_t>(c->window_ticks) * scrape_ms
                    ? 0.0
                    : rule_value(v, c->rule);
      }
      // sign * value with sign = -1 is exactly -value.
      const double x = (c->flags & kNegate) ? -value : value;
      const bool cond = (c->flags & kStrict) ? x > c->threshold : x >= c->threshold;
      // Quiet and nothing in progress (busy: pending, firing or in an episode): the common
      // case, decided here.
      if (!cond && !busy[c->rule]) continue;
      update_alert(v, c->rule, cond, value, now);
    }
  }

  /// The alert state machine of rule r on service v, for a tick where the condition holds
  /// or the alert is pending, firing or in an episode.
  [[gnu::noinline]] void update_alert(Svc& v, std::size_t r, bool cond, double value, int64_t now) {
    const FastRule& f = fast_rules[r];
    AlertState& st = alerts[v.index * rules.size() + r];
    std::uint8_t& busy = alert_busy[v.index * rules.size() + r];
    if (!cond) {
      st.pending_since = -1;
      if (st.firing_since >= 0) {
        resolve(v, r, now);
        st.resolved_at = now;
      } else if (st.resolved_at >= 0 && now - st.resolved_at >= kEpisodeGap) {
        // Quiet long enough: the next firing is a new episode (and may page again).
        st.resolved_at = -1;
        st.firing_ms = 0;
        st.paged = false;
      }
      busy = st.firing_since >= 0 || st.resolved_at >= 0;
      return;
    }
    st.value = value;
    busy = 1;
    if (st.firing_since < 0) {
      if (st.pending_since < 0) st.pending_since = now;
      if (now - st.pending_since >= f.for_ms) fire(v, r, now);
    }
    if (st.firing_since >= 0) {
      st.firing_ms += scrape_ms;
      if (direct_page_ms >= 0 && !st.paged && alert_critical[v.index * rules.size() + r] &&
          st.firing_ms > direct_page_ms) {
        st.paged = true;
        const AlertRuleSpec& rule = rules[r];
        page_oncall(v.index, "alert " + rule.name + " (direct page)");
        auto& e = log_at(EventKind::kPage, v.index, rule.name,
                         "Alertmanager paged the on-call directly: " + describe(v, rule, value));
        e.automated = false;
      }
    }
  }

  std::string describe(const Svc& v, const AlertRuleSpec& r, double value) const {
    return std::string(engine::to_string(r.signal)) + " " + fmt(value) + " " +
           std::string(to_string(r.op)) + " " + fmt(r.threshold) + " on " + spec.ns + "/" +
           v.spec->name;
  }

  /// The alert's fingerprint: a pure function of (rule name, namespace, service), so it is
  /// computed once per alert and kept (every firing, resolution and notification logs it).
  const std::string& fingerprint(const Svc& v, std::size_t r) {
    std::string& fp = fingerprints[v.index * rules.size() + r];
    if (fp.empty()) fp = hex16(fnv1a(rules[r].name + "\x1f" + spec.ns + "\x1f" + v.spec->name));
    return fp;
  }

  void fire(Svc& v, std::size_t r, int64_t now) {
    const AlertRuleSpec& rule = rules[r];
    AlertState& st = alerts[v.index * rules.size() + r];
    st.firing_since = now;
    auto& e = log_at(EventKind::kAlertFiring, v.index, rule.name, describe(v, rule, st.value));
    e.fingerprint = fingerprint(v, r);
    Group& g = groups[v.index];
    ++g.firing;
    if (!g.active) {
      g.active = true;
      ++groups_active;
      g.next_flush = now + spec.routing.group_wait.count();
    } else if (g.last_flush >= 0) {
      g.next_flush =
          std::min(g.next_flush, std::max(now, g.last_flush + spec.routing.group_interval.count()));
    }
  }

  void resolve(Svc& v, std::size_t r, int64_t now) {
    const AlertRuleSpec& rule = rules[r];
    AlertState& st = alerts[v.index * rules.size() + r];
    st.firing_since = -1;
    st.resolved_unsent = true;
    auto& e =
        log_at(EventKind::kAlertResolved, v.index, rule.name,
               std::string(engine::to_string(rule.signal)) + " back to " + fmt(rule_value(v, r)));
    e.fingerprint = fingerprint(v, r);
    Group& g = groups[v.index];
    --g.firing;
    if (g.last_flush >= 0) {
      g.next_flush =
          std::min(g.next_flush, std::max(now, g.last_flush + spec.routing.group_interval.count()));
    }
  }

  engine::Incident make_incident(const Svc& v, std::size_t r, bool resolved, int64_t started) {
    const AlertRuleSpec& rule = rules[r];
    engine::Incident i;
    i.fingerprint = fingerprint(v, r);
    i.group_key = "{}:{namespace=\"" + spec.ns + "\", service=\"" + v.spec->name + "\"}";
    i.target = {spec.ns, v.spec->name};
    i.resolved = resolved;
    i.alertname = rule.name;
    i.started_at = tp(started);
    for (const auto& [k, val] : rule.labels)
      i.labels[k] = val;
    i.labels["alertname"] = rule.name;
    i.labels["namespace"] = spec.ns;
    i.labels["service"] = v.spec->name;
    i.labels["severity"] = severity_of(v, rule);
    i.annotations["summary"] = describe(v, rule, alerts[v.index * rules.size() + r].value);
    i.annotations["value"] = fmt(alerts[v.index * rules.size() + r].value, 6);
    return i;
  }

  void flush_groups(int64_t now) {
    if (groups_active == 0) return;  // no alert firing or resolving anywhere
    const std::size_t nr = rules.size();
    for (auto& v : svcs) {
      Group& g = groups[v.index];
      if (!g.active || g.next_flush > now) continue;
      for (std::size_t r = 0; r < nr; ++r) {
        AlertState& st = alerts[v.index * nr + r];
        bool resolved = false;
        if (st.firing_since >= 0) {
          resolved = false;
        } else if (st.resolved_unsent) {
          st.resolved_unsent = false;
          resolved = true;
        } else {
          continue;
        }
        if (sink) {
          outbox.push_back(make_incident(v, r, resolved, resolved ? now : st.firing_since));
          const engine::Incident& i = outbox.back();
          auto& e = log_at(EventKind::kIncidentDelivered, v.index, i.alertname,
                           (i.resolved ? "resolved: " : "firing: ") + i.annotations.at("summary"));
          e.fingerprint = i.fingerprint;
          e.success = !i.resolved;
        } else {
          // Nobody to deliver to (no engine attached): log what would have been delivered,
          // without building the Incident's label and annotation maps.
          const AlertRuleSpec& rule = rules[r];
          auto& e = log_at(EventKind::kIncidentDelivered, v.index, rule.name,
                           (resolved ? "resolved: " : "firing: ") + describe(v, rule, st.value));
          e.fingerprint = fingerprint(v, r);
          e.success = !resolved;
        }
      }
      g.last_flush = now;
      if (g.firing > 0) {
        g.next_flush = now + spec.routing.repeat_interval.count();
      } else {
        g.active = false;
        --groups_active;
        g.next_flush = kNever;
      }
    }
  }

  // ---- incidents: impact and recovery --------------------------------------------------
  void track_incidents(int64_t now) {
    const int64_t hold = opts.recovery_hold.count();
    // Drop incidents that are over: cause ended and recovered (or never impacted).
    live.erase(std::remove_if(live.begin(), live.end(),
                              [&](std::size_t k) {
                                return inc[k].ended && (tl.incidents[k].recovered || inc[k].closed);
                              }),
               live.end());
    for (const std::size_t k : live) {
      auto& rt = inc[k];
      if (rt.closed) continue;
      auto& rec = tl.incidents[k];
      if (rec.recovered) continue;
      bool any_out = false;
      for (const std::size_t s : rt.affected_index) {
        if (svcs[s].within) continue;
        any_out = true;
        if (!rt.impacted[s]) {
          rt.impacted[s] = 1;
          rec.impacted.push_back(svcs[s].spec->name);
        }
      }
      if (!rec.impact) {
        if (any_out) {
          rec.impact = tp(now);
        } else if (rt.ended && rec.end && now - core::to_unix_ms(*rec.end) > 30 * kMinute) {
          rt.closed = true;  // never made anything leave its objectives
        }
        continue;
      }
      if (any_out) {
        rt.hold_start = -1;
        continue;
      }
      if (rt.hold_start < 0) rt.hold_start = now;
      if (now - rt.hold_start >= hold) {
        rec.recovered = tp(rt.hold_start);
        TimelineEvent e;
        e.time = tp(rt.hold_start);
        e.kind = EventKind::kRecovered;
        e.service = rec.truth.root_service;
        e.incident = rec.truth.id;
        e.name = "recovered";
        e.detail = "every affected service within objectives for " +
                   core::format_duration(opts.recovery_hold);
        auto pos = std::upper_bound(tl.events.begin(), tl.events.end(), e.time,
                                    [](TimePoint t, const TimelineEvent& x) { return t < x.time; });
        tl.events.insert(pos, std::move(e));
      }
    }
  }

  // ---- actuator ------------------------------------------------------------------------
  void complete_later(int64_t delay, std::function<void(engine::ActionResult)> done,
                      engine::ActionResult res, std::uint64_t id, std::string service,
                      bool automated, std::string kind) {
    sim.after(Duration{delay}, [this, done = std::move(done), res = std::move(res), id,
                                service = std::move(service), automated, kind = std::move(kind)]() {
      auto& e = log(EventKind::kActionFinished, service, kind, res.message);
      e.action_id = id;
      e.success = res.ok;
      e.automated = automated;
      if (done) done(res);
    });
  }

  void execute(const engine::ActionRequest& r, std::function<void(engine::ActionResult)> done) {
    if (r.id != 0 && !action_ids.insert(r.id).second) {
      auto& e = log(EventKind::kActionStarted, r.target.name,
                    std::string(engine::to_string(r.action.kind)),
                    "duplicate request ignored (idempotent)");
      e.action_id = r.id;
      e.automated = true;
      return;
    }
    start_action(r.target, r.action, r.argv, r.id, r.timeout, true, std::move(done));
  }

  void start_action(const engine::ServiceRef& target, const engine::ActionSpec& a,
                    const std::vector<std::string>& argv, std::uint64_t id, Duration timeout,
                    bool automated, std::function<void(engine::ActionResult)> done) {
    const std::string kind(engine::to_string(a.kind));
    const int64_t now = now_ms();
    {
      auto& e = log(EventKind::kActionStarted, target.name, kind,
                    argv.empty() ? describe_action(target, a) : join_argv(argv));
      e.action_id = id;
      e.automated = automated;
      if (automated) {
        auto it = last_decision.find(target.key());
        if (it != last_decision.end() && it->second.first == now) e.fingerprint = it->second.second;
      }
    }
    auto fail = [&](std::string msg) {
      complete_later(kNotFoundDelay, std::move(done), {false, std::move(msg), std::nullopt}, id,
                     target.name, automated, kind);
    };
    auto it = by_name.find(target.name);
    if (target.ns != spec.ns || it == by_name.end()) {
      return fail("Error from server (NotFound): deployments.apps \"" + target.name +
                  "\" not found in namespace \"" + target.ns + "\"");
    }
    Svc& v = svcs[it->second];
    v.pods_dirty = true;
    const int64_t deadline = now + std::max<int64_t>(timeout.count(), scrape_ms);
    switch (a.kind) {
      case ActionKind::kRestart: {
        const std::uint32_t t = new_template(v, v.current, "rollout restart");
        waits.push_back({id, v.index, true, t, deadline, automated, std::move(done), std::nullopt,
                         "deployment \"" + target.name + "\" successfully rolled out"});
        return;
      }
      case ActionKind::kScale: {
        int n = v.desired;
        if (a.replicas) {
          n = *a.replicas;
        } else if (a.factor) {
          n = static_cast<int>(std::ceil(v.desired * *a.factor));
        }
        if (a.max_replicas) n = std::min(n, *a.max_replicas);
        if (a.min_replicas) n = std::max(n, *a.min_replicas);
        n = std::clamp(n, 0, 10000);
        engine::ActionSpec undo;
        undo.kind = ActionKind::kScale;
        undo.replicas = v.desired;
        const int before = v.desired;
        v.desired = n;
        log_at(EventKind::kDeploy, v.index, "scale",
               "replicas " + std::to_string(before) + " -> " + std::to_string(n));
        waits.push_back({id, v.index, false, 0, deadline, automated, std::move(done), undo,
                         "deployment.apps/" + target.name + " scaled to " + std::to_string(n)});
        return;
      }
      case ActionKind::kRollback: {
        std::size_t to = v.releases.size();
        if (a.revision) {
          for (std::size_t k = 0; k < v.releases.size(); ++k) {
            if (v.releases[k].revision == *a.revision) to = k;
          }
        } else {
          // helm rollback without a revision: the revision before the current one.
          const int want = v.releases.back().revision - 1;
          for (std::size_t k = 0; k < v.releases.size(); ++k) {
            if (v.releases[k].revision == want) to = k;
          }
        }
        if (to == v.releases.size()) {
          return fail("Error: release: not found (no revision " +
                      (a.revision ? std::to_string(*a.revision)
                                  : std::to_string(v.releases.back().revision - 1)) +
                      " in the history of " + target.name + ")");
        }
        engine::ActionSpec undo;
        undo.kind = ActionKind::kRollback;
        undo.revision = v.releases.back().revision;
        Release r = v.releases[to];
        const int from_rev = r.revision;
        r.revision = v.releases.back().revision + 1;
        r.deployed_ms = now;
        const std::uint32_t t =
            deploy_release(v, r, "helm rollback to " + std::to_string(from_rev));
        waits.push_back({id, v.index, true, t, deadline, automated, std::move(done), undo,
                         "Rollback was a success! Happy Helming! (revision " +
                             std::to_string(from_rev) + " as " + std::to_string(r.revision) + ")"});
        return;
      }
      case ActionKind::kCachePurge: {
        const bool poisoned = v.poison > 0;
        v.poison = 0.0;
        v.purge_ms = now;
        if (poisoned) end_cause_of_kind(v.index, FaultKind::kPoisonedCache, "cache purged");
        complete_later(kQuickActionDelay, std::move(done),
                       {true, "cache of " + target.name + " purged", std::nullopt}, id, target.name,
                       automated, kind);
        return;
      }
      case ActionKind::kFeatureFlagDisable: {
        auto fl = std::find_if(v.flags.begin(), v.flags.end(),
                               [&](const Flag& f) { return f.name == a.flag; });
        if (a.flag.empty() || fl == v.flags.end()) {
          return fail("feature flag \"" + a.flag + "\" not found on " + target.name);
        }
        std::string msg = "flag " + a.flag + " disabled";
        if (!fl->enabled) msg = "flag " + a.flag + " already disabled";
        fl->enabled = false;
        fl->off_at = std::min(fl->off_at, now + kFlagPropagation);
        for (std::size_t k = 0; k < inc.size(); ++k) {
          const auto& rt = inc[k];
          if (rt.fault < 0 || rt.ended || !rt.started ||
              rt.root != static_cast<std::ptrdiff_t>(v.index))
            continue;
          const FaultSpec& f = spec.faults[static_cast<std::size_t>(rt.fault)];
          const std::string fname =
              f.params.flag.empty() ? "new-" + v.spec->name + "-flow" : f.params.flag;
          if (f.kind == FaultKind::kBadFeatureFlag && fname == a.flag) {
            inc[k].ended = true;  // the flag is off: the cause is gone
            tl.incidents[k].end = sim.now();
            auto& e = log_at(EventKind::kFaultEnd, v.index, "bad-feature-flag", msg);
            e.incident = tl.incidents[k].truth.id;
          }
        }
        complete_later(kQuickActionDelay, std::move(done), {true, msg, std::nullopt}, id,
                       target.name, automated, kind);
        return;
      }
      case ActionKind::kTrafficShift: {
        engine::ActionSpec undo;
        undo.kind = ActionKind::kTrafficShift;
        undo.traffic_share = v.shift;
        undo.to = a.to;
        v.shift = std::clamp(a.traffic_share.value_or(0.5), 0.0, 1.0);
        auto to = by_name.find(a.to);
        v.shift_to = to == by_name.end() ? -1 : static_cast<std::ptrdiff_t>(to->second);
        if (v.shift_to >= 0) {
          any_shift = true;
          shift_in.assign(svcs.size(), 0.0);
        }
        complete_later(kQuickActionDelay * 2, std::move(done),
                       {true,
                        "shifted " + fmt(v.shift) + " of " + target.name + " traffic to " +
                            (a.to.empty() ? std::string("another region") : a.to),
                        undo},
                       id, target.name, automated, kind);
        return;
      }
      case ActionKind::kPage:
        return fail("page is not an executable action");
    }
  }

  static std::string describe_action(const engine::ServiceRef& t, const engine::ActionSpec& a) {
    switch (a.kind) {
      case ActionKind::kRestart:
        return "kubectl rollout restart deployment/" + t.name + " -n " + t.ns;
      case ActionKind::kScale:
        return "kubectl scale deployment/" + t.name + " -n " + t.ns + " --replicas=" +
               (a.replicas
                    ? std::to_string(*a.replicas)
                    : "x" + fmt(a.factor.value_or(1.0)) +
                          (a.max_replicas ? " (max " + std::to_string(*a.max_replicas) + ")" : ""));
      case ActionKind::kRollback:
        return "helm rollback " + t.name + (a.revision ? " " + std::to_string(*a.revision) : "") +
               " -n " + t.ns;
      case ActionKind::kCachePurge:
        return "purge cache of " + t.key();
      case ActionKind::kFeatureFlagDisable:
        return "disable feature flag " + a.flag + " on " + t.key();
      case ActionKind::kTrafficShift:
        return "shift " + fmt(a.traffic_share.value_or(0.5)) + " of " + t.key() + " traffic to " +
               a.to;
      case ActionKind::kPage:
        return "page";
    }
    return {};
  }

  void end_cause_of_kind(std::size_t svc, FaultKind kind, const std::string& why) {
    for (std::size_t k = 0; k < inc.size(); ++k) {
      const auto& rt = inc[k];
      if (rt.fault < 0 || rt.ended || !rt.started || rt.root != static_cast<std::ptrdiff_t>(svc))
        continue;
      if (spec.faults[static_cast<std::size_t>(rt.fault)].kind == kind) end_incident(k, why);
    }
  }

  void check_waits(int64_t now) {
    for (std::size_t k = 0; k < waits.size();) {
      Wait& w = waits[k];
      const Svc& v = svcs[w.svc];
      bool finished = false;
      engine::ActionResult res;
      if (w.rollout) {
        if (v.completed_tmpl >= w.tmpl) {
          finished = true;
          res = {true, w.ok_message, w.undo};
        }
      } else if (v.ready >= v.desired && static_cast<int>(v.pods.size()) >= v.desired) {
        int ready = 0, other = 0;
        for (const auto& p : v.pods) {
          if (p.phase == Phase::kRunning)
            ++ready;
          else if (p.phase != Phase::kTerminating && p.phase != Phase::kGone)
            ++other;
        }
        if (ready == v.desired && other == 0) {
          finished = true;
          res = {true, w.ok_message, w.undo};
        }
      }
      if (!finished && now >= w.deadline) {
        finished = true;
        int pending = 0;
        for (const auto& p : v.pods)
          pending += p.phase == Phase::kPending;
        std::string why = w.rollout ? "error: timed out waiting for the rollout of " + v.spec->name
                                    : "timed out waiting for " + std::to_string(v.desired) +
                                          " ready replicas of " + v.spec->name + " (" +
                                          std::to_string(v.ready) + " ready";
        if (!w.rollout) why += ", " + std::to_string(pending) + " Pending)";
        if (pending > 0) why += ": cluster capacity exhausted";
        res = {false, why, w.undo};
      }
      if (!finished) {
        ++k;
        continue;
      }
      auto& e = log_at(EventKind::kActionFinished, v.index,
                       w.rollout ? std::string("rollout") : std::string("scale"), res.message);
      e.action_id = w.id;
      e.success = res.ok;
      e.automated = w.automated;
      completions.emplace_back(std::move(w.done), std::move(res));
      waits.erase(waits.begin() + static_cast<std::ptrdiff_t>(k));
    }
  }

  // ---- notifier and on-call ------------------------------------------------------------
  Duration response_time(int64_t now) const {
    const auto& oc = spec.oncall;
    if (!oc.night_response_time) return oc.response_time;
    const auto tpnt = tp(now);
    const auto day = std::chrono::floor<std::chrono::days>(tpnt);
    const int hour =
        static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(tpnt - day).count());
    const unsigned wd = std::chrono::weekday{std::chrono::sys_days{day}}.c_encoding();
    const bool weekend = wd == 0 || wd == 6;
    const bool business = hour >= oc.business_hours_start && hour < oc.business_hours_end &&
                          !(weekend && oc.weekends_are_night);
    return business ? oc.response_time : *oc.night_response_time;
  }

  void escalate(const engine::Escalation& e) {
    const bool approval = e.approval_id != 0;
    std::string detail = e.summary;
    if (e.suggested_action) {
      detail += " [suggested: " +
                (e.suggested_argv.empty() ? describe_action(e.target, *e.suggested_action)
                                          : join_argv(e.suggested_argv)) +
                "]";
    }
    {
      auto& ev = log(approval ? EventKind::kApprovalRequest : EventKind::kPage, e.target.name,
                     std::string(engine::to_string(e.reason)), detail + " -> " + e.channel);
      ev.fingerprint = e.incident;
      ev.action_id = e.approval_id;
      ev.automated = true;
    }
    auto it = by_name.find(e.target.name);
    if (it == by_name.end()) return;
    const std::size_t svc = it->second;
    if (!approval) {
      page_oncall(svc, "page via " + e.channel);
      return;
    }
    const std::uint64_t id = e.approval_id;
    const std::optional<engine::ActionSpec> suggested = e.suggested_action;
    const std::string target = e.target.name;
    sim.after(response_time(now_ms()), [this, id, suggested, target, svc] {
      const std::ptrdiff_t k = attribute(svc);
      bool approved = false;
      std::string why = "no incident found on " + target + ": denied";
      if (k >= 0 && suggested) {
        // Approve when the action helps any incident active on the target.
        why =
            judge(tl.incidents[static_cast<std::size_t>(k)].truth, suggested->kind, target).reason;
        for (std::size_t j = 0; j < inc.size() && !approved; ++j) {
          if (!active_for(j, svc)) continue;
          const auto verdict = judge(tl.incidents[j].truth, suggested->kind, target);
          if (verdict.helpful) {
            approved = true;
            why = verdict.reason;
          }
        }
      } else if (k >= 0) {
        why = "no action suggested: denied";
      }
      auto& ev = log(EventKind::kApprovalAnswer, target, approved ? "approved" : "denied", why);
      ev.action_id = id;
      ev.success = approved;
      if (approval_handler) approval_handler(id, approved);
      if (!approved && k >= 0) acknowledge(static_cast<std::size_t>(k), svc);
    });
  }

  /// A page reaches the on-call: they acknowledge after the response time and take over
  /// the incident attributed to `svc` (once per incident).
  void page_oncall(std::size_t svc, const std::string& why) {
    const std::ptrdiff_t k = attribute(svc);
    if (k >= 0 && inc[static_cast<std::size_t>(k)].engaged) return;
    if (k >= 0) inc[static_cast<std::size_t>(k)].engaged = true;
    sim.after(response_time(now_ms()), [this, k, svc, why] {
      if (k < 0) {
        log(EventKind::kOnCallAck, svcs[svc].spec->name, "ack",
            why + ": no incident found, nothing to do");
        return;
      }
      acknowledge(static_cast<std::size_t>(k), svc);
    });
  }

  void acknowledge(std::size_t k, std::size_t svc) {
    auto& rt = inc[k];
    rt.engaged = true;
    auto& rec = tl.incidents[k];
    const GroundTruth& gt = rec.truth;
    {
      auto& e =
          log(EventKind::kOnCallAck, svcs[svc].spec->name, "ack",
              "on-call acknowledged " + gt.id + " (" + gt.kind + " on " + gt.root_service + ")");
      e.incident = gt.id;
    }
    if (rt.ended && (!rec.impact || rec.recovered)) {
      auto& e = log(EventKind::kOnCallFix, gt.root_service, "none", "already recovered: no action");
      e.incident = gt.id;
      return;
    }
    std::string note = gt.human_note;
    bool act = gt.human_fix.has_value();
    if (act && rt.root >= 0) {
      const Svc& v = svcs[static_cast<std::size_t>(rt.root)];
      // Do not repeat what automation already did.
      if (gt.human_fix->kind == ActionKind::kRollback && !v.releases[v.current].bad) {
        act = false;
        note = "release already rolled back: no action";
      } else if (gt.human_fix->kind == ActionKind::kCachePurge && v.poison <= 0) {
        act = false;
        note = "cache already purged: no action";
      } else if (gt.human_fix->kind == ActionKind::kFeatureFlagDisable && rt.ended) {
        act = false;
        note = "flag already disabled: no action";
      }
    }
    {
      auto& e =
          log(EventKind::kOnCallFix, act ? gt.human_fix_service : gt.root_service,
              act ? std::string(engine::to_string(gt.human_fix->kind)) : std::string("wait"), note);
      e.incident = gt.id;
    }
    if (act) {
      start_action({spec.ns, gt.human_fix_service}, *gt.human_fix, {}, 0, Duration{15 * kMinute},
                   false, nullptr);
    }
    if (gt.human_fix_ends_cause && !rt.ended) {
      sim.after(spec.oncall.fix_time, [this, k] { end_incident(k, "fixed by the on-call"); });
    }
  }

  // ---- audit ---------------------------------------------------------------------------
  void audit(const engine::AuditRecord& r) {
    tl.audit.push_back(r);
    const std::size_t idx = tl.audit.size() - 1;
    EventKind kind;
    switch (r.kind) {
      case engine::AuditKind::kDecision:
        kind = EventKind::kDecision;
        break;
      case engine::AuditKind::kVerification:
        kind = EventKind::kVerification;
        break;
      case engine::AuditKind::kRollback:
        kind = EventKind::kRollback;
        break;
      default:
        return;  // action results and escalations are logged by the actuator / notifier
    }
    std::string name = r.outcome ? std::string(engine::to_string(*r.outcome))
                                 : std::string(engine::to_string(r.kind));
    std::string detail = r.reason;
    if (r.classification) {
      detail = r.classification->incident_type + " (" + fmt(r.classification->confidence) + ") " +
               (r.guardrail.empty() ? "" : "[" + r.guardrail + "] ") + detail;
    }
    if (!r.detail.empty()) detail += (detail.empty() ? "" : ": ") + r.detail;
    auto& e = log(kind, r.target.name, std::move(name), std::move(detail));
    e.fingerprint = r.incident;
    e.audit_index = idx;
    e.automated = true;
    if (r.success) e.success = r.success;
    if (r.kind == engine::AuditKind::kDecision && r.outcome == engine::Outcome::kExecuted) {
      const int64_t now = now_ms();
      last_decision[r.target.key()] = {now, r.incident};
      // The actuator may have been called before the decision was audited: link it.
      for (auto it = tl.events.rbegin(); it != tl.events.rend() && it->time == sim.now(); ++it) {
        if (it->kind == EventKind::kActionStarted && it->service == r.target.name &&
            it->automated && it->fingerprint.empty()) {
          it->fingerprint = r.incident;
          break;
        }
      }
    }
  }

  // ---- telemetry / topology / calendar -------------------------------------------------
  engine::ServiceSignals signals_for(const engine::ServiceRef& ref, Duration window) {
    engine::ServiceSignals out;
    auto it = by_name.find(ref.name);
    if (ref.ns != spec.ns || it == by_name.end() || ring_filled == 0) {
      out.missing = {"error_rate",   "latency_p99_ms",   "cpu_utilization", "memory_utilization",
                     "oom_kills",    "restarts",         "ready_ratio",     "queue_lag",
                     "request_rate", "dependency_errors"};
      return out;
    }
    const Svc& v = svcs[it->second];
    const std::size_t n = std::min(ticks_in(window), ring_filled);
    double rps = 0, err = 0, p99 = 0, cpu = 0, dep = 0;
    for (std::size_t b = 0; b < n; ++b) {
      const Sample& s = sample_back(v, b);
      rps += s.rps;
      err += s.err;
      p99 += s.p99;
      cpu += s.cpu;
      dep += s.dep_err;
    }
    const double dn = static_cast<double>(n);
    const Sample& last = sample_back(v, 0);
    const Sample& first = sample_back(v, n - 1);
    const Sample& before = sample_back(v, n);  // zero before the start
    out.request_rate = rps / dn;
    out.error_rate = err / dn;
    out.latency_p99_ms = p99 / dn;
    out.cpu_utilization = cpu / dn;
    out.dependency_errors = dep / dn;
    out.memory_utilization = last.mem;
    const double hours =
        static_cast<double>((n - 1) * static_cast<std::size_t>(scrape_ms)) / 3'600'000.0;
    out.memory_growth_per_hour = hours > 0 ? (last.mem - first.mem) / hours : 0.0;
    out.oom_kills = static_cast<double>(last.cum_oom - (n < ring_filled ? before.cum_oom : 0u));
    out.restarts =
        static_cast<double>(last.cum_restarts - (n < ring_filled ? before.cum_restarts : 0u));
    out.ready_replicas = last.ready;
    out.desired_replicas = last.desired;
    out.queue_lag = last.queue;
    const double mins =
        static_cast<double>((n - 1) * static_cast<std::size_t>(scrape_ms)) / 60'000.0;
    out.queue_lag_trend = mins > 0 ? (last.queue - first.queue) / mins : 0.0;
    out.since_last_deploy = sim.now() - tp(v.last_deploy_ms);
    out.current_revision = v.releases[v.current].revision;
    const int64_t now = now_ms();
    out.request_rate_baseline = baseline_rps(v.index, now, 0);
    out.error_rate_baseline = v.spec->base_error_rate;
    out.latency_p99_baseline_ms = baseline_p99(v.index, now, 0);
    return out;
  }

  /// Requests/s expected now without faults, events or noise.
  double baseline_rps(std::size_t i, int64_t now, int depth) const {
    const Svc& v = svcs[i];
    double r = v.spec->traffic.rps * (v.spec->traffic.daily_shape ? daily_shape(now) : 1.0);
    if (depth > 32) return r;
    for (std::size_t d : v.dependents) {
      r +=
          baseline_rps(d, now, depth + 1) * (svcs[d].spec->kind == ServiceKind::kCache ? 0.1 : 1.0);
    }
    return r;
  }

  double baseline_p99(std::size_t i, int64_t now, int depth) const {
    const Svc& v = svcs[i];
    const double cap = std::max(1.0, v.spec->replicas * v.spec->capacity_rps_per_replica);
    double lat = v.spec->base_latency_ms * latency_factor(baseline_rps(i, now, 0) / cap);
    if (depth > 32) return lat;
    double up = 0.0;
    for (std::size_t u : v.upstreams)
      up = std::max(up, baseline_p99(u, now, depth + 1));
    return lat + up;
  }

  std::vector<engine::DependencyHealth> upstream_health(const engine::ServiceRef& ref) const {
    std::vector<engine::DependencyHealth> out;
    auto it = by_name.find(ref.name);
    if (ref.ns != spec.ns || it == by_name.end()) return out;
    for (std::size_t u : svcs[it->second].upstreams) {
      const Svc& up = svcs[u];
      engine::DependencyHealth h;
      h.service = {spec.ns, up.spec->name};
      const double ready_ratio = up.desired > 0 ? static_cast<double>(up.ready) / up.desired : 1.0;
      h.error_rate = up.err;
      const char* what = up.spec->kind == ServiceKind::kDatabase ? "db-connection-errors"
                         : up.spec->kind == ServiceKind::kCache  ? "cache-errors"
                                                                 : "upstream-errors";
      if (up.err > 0.05) {
        h.healthy = false;
        h.reason = std::string(what) + " " + fmt(up.err) + " > 0.05";
      } else if (ready_ratio < 0.5) {
        h.healthy = false;
        h.reason = "ready replicas " + std::to_string(up.ready) + "/" + std::to_string(up.desired);
      } else if (up.p99 > 5.0 * std::max(1.0, baseline_p99(u, now_ms(), 0))) {
        h.healthy = false;
        h.reason = "p99 " + fmt(up.p99) + " ms, " + fmt(up.p99 / baseline_p99(u, now_ms(), 0)) +
                   "x its baseline";
      }
      out.push_back(std::move(h));
    }
    return out;
  }

  std::vector<engine::PlannedEvent> calendar_active(const engine::ServiceRef& ref,
                                                    TimePoint now) const {
    std::vector<engine::PlannedEvent> out;
    if (ref.ns != spec.ns) return out;
    for (std::size_t k = 0; k < spec.planned.size(); ++k) {
      const auto& p = spec.planned[k];
      if (!p.service.empty() && p.service != ref.name) continue;
      const TimePoint s = spec.start + p.start;
      const TimePoint e = spec.start + p.end;
      if (now < s || now >= e) continue;
      engine::PlannedEvent ev;
      ev.name = tl.incidents[spec.faults.size() + k].truth.id;
      ev.kind = std::string(to_string(p.kind));
      ev.start = s;
      ev.end = e;
      ev.traffic_multiplier = p.traffic_multiplier;
      out.push_back(std::move(ev));
    }
    return out;
  }

  ServiceSnapshot snapshot(std::string_view name) const {
    auto it = by_name.find(std::string(name));
    if (it == by_name.end()) throw std::out_of_range("unknown service " + std::string(name));
    const Svc& v = svcs[it->second];
    ServiceSnapshot s;
    s.name = v.spec->name;
    s.desired = v.desired;
    const double base_mem = v.spec->memory_per_pod_mb * (0.85 + 0.15 * std::min(1.0, v.util));
    for (const auto& p : v.pods) {
      switch (p.phase) {
        case Phase::kPending:
          ++s.pending;
          break;
        case Phase::kStarting:
          ++s.starting;
          s.max_memory_mb = std::max(s.max_memory_mb, base_mem + p.leaked_mb);
          break;
        case Phase::kRunning:
          ++s.running;
          ++s.ready;
          s.max_memory_mb = std::max(s.max_memory_mb, base_mem + p.leaked_mb);
          break;
        case Phase::kBackoff:
          ++s.crashloop;
          break;
        case Phase::kTerminating:
          ++s.terminating;
          break;
        case Phase::kLost:
        case Phase::kGone:
          break;
      }
    }
    s.restarts = static_cast<int>(v.cum_restarts);
    s.oom_kills = static_cast<int>(v.cum_oom);
    s.revision = v.releases[v.current].revision;
    s.version = v.releases[v.current].version;
    s.rollout_in_progress = v.rollout;
    s.request_rate = v.rps;
    s.error_rate = v.err;
    s.cpu = v.cpu;
    s.latency_p99_ms = v.p99;
    s.queue_lag = v.queue;
    s.dependency_errors = v.dep_err;
    for (const auto& f : v.flags) {
      if (f.enabled) s.enabled_flags.push_back(f.name);
    }
    return s;
  }
};

// =========================================================================================

World::World(const ClusterSpec& spec, std::uint64_t seed, WorldOptions options) {
  const core::Diagnostics d = validate(spec);
  if (!d.empty()) throw std::invalid_argument("invalid cluster spec:\n" + d.describe());
  impl_ = std::make_unique<Impl>(spec, seed, options);
}

World::~World() = default;

core::Result<std::unique_ptr<World>> World::create(const ClusterSpec& spec, std::uint64_t seed,
                                                   WorldOptions options) {
  const core::Diagnostics d = validate(spec);
  if (!d.empty()) return d.errors().front();
  return std::make_unique<World>(spec, seed, options);
}

engine::EngineContext World::context() {
  Impl& w = *impl_;
  return {w.clock_port,    w.scheduler_port, w.telemetry_port, w.topology_port, w.calendar_port,
          w.actuator_port, w.notifier_port,  w.state_port,     w.audit_port};
}

void World::set_incident_sink(std::function<void(const engine::Incident&)> sink) {
  impl_->sink = std::move(sink);
}

void World::set_approval_handler(std::function<void(std::uint64_t, bool)> h) {
  impl_->approval_handler = std::move(h);
}

void World::run_until(TimePoint t) {
  impl_->sim.run_until(t);
  impl_->tl.end = impl_->sim.now();
}

TimePoint World::now() const {
  return impl_->sim.now();
}
TimePoint World::start() const {
  return impl_->spec.start;
}
const Timeline& World::timeline() const {
  return impl_->tl;
}
Timeline World::take_timeline() {
  return std::move(impl_->tl);
}
const ClusterSpec& World::spec() const {
  return impl_->spec;
}
Simulation& World::simulation() {
  return impl_->sim;
}
ServiceSnapshot World::snapshot(std::string_view service) const {
  return impl_->snapshot(service);
}
engine::ServiceSignals World::signals(std::string_view service, Duration window) {
  return impl_->signals_for({impl_->spec.ns, std::string(service)}, window);
}
std::uint64_t World::ticks() const {
  return impl_->tick_count;
}

}  // namespace selfheal::sim
