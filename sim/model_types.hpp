// The cluster model's state, as plain values: pods, releases, flags, the per-service
// record a scrape tick reads, alert and group state, incidents' runtime and actions
// waiting on the model. Internal to sim/ (each part owns its records: model::PodSet the
// pods part's, model::Svc the traffic part's); nothing here allocates or calls out. Times are core
// chrono types (TimePoint, Duration); their sentinels (kNever, kLongAgo, kUnset) are in
// sim/model_constants.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/number_format.hpp"
#include "engine/ports.hpp"
#include "sim/cluster_spec.hpp"
#include "sim/model_constants.hpp"
#include "sim/random.hpp"
#include "sim/timeline.hpp"

namespace selfheal::sim::model {

using core::Duration;
using core::TimePoint;

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
  TimePoint next = kNever;   // next time-driven transition
  TimePoint started{};       // container start
  TimePoint ready = kNever;  // became ready (Running)
  float leaked_mb = 0;       // memory leaked by this container so far
  float leak_factor = 1.0f;  // per-pod spread of a leak (0.75..1.25): pods drift apart
  std::uint32_t tmpl = 0;    // pod-template generation (ReplicaSet)
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
  Duration crash_after = 90s;  // a crash-looping release's containers die this long after start
  TimePoint deployed{};
};

struct Flag {
  std::string name;
  double severity = 0.0;  // share of requests failing while enabled
  bool enabled = true;
  TimePoint off_at = kNever;  // disabled, effective from this instant
};

/// One tick's values, kept in the telemetry ring.
struct Sample {
  float rps = 0, err = 0, p99 = 0, cpu = 0, mem = 0, ready = 0, desired = 0, queue = 0, dep_err = 0;
  std::uint32_t cum_oom = 0, cum_restarts = 0;
};

/// What a service's dependents and upstreams read of it on a tick: its previous tick's
/// values and the constants they need. One compact array of these, written at the start of
/// each tick, keeps a tick's reads of other services in cache at thousands of services.
struct Seen {
  double err = 0, p99 = 0, calls = 0;  // the previous tick
  double base_error_rate = 0;
  TimePoint purged{};  // last cache purge (calls warm up again)
  bool cache = false;
};

/// A service's open chart bucket: the point the ticks of the bucket fold into, kept in one
/// compact array (a cache line a service, read in service order) instead of in the series,
/// whose last points are all over the heap. The series' last point is written when the
/// bucket closes, and by Telemetry::flush before anyone reads the timeline.
struct alignas(64) OpenBucket {
  SeriesPoint point;        // the bucket so far (its first tick's point, folded into)
  std::uint32_t fill = 0;   // ticks in it; 0 before the first tick
  std::uint32_t ticks = 1;  // ticks a bucket holds (doubles when the series is halved)
};

/// What one pass over a service's pods found.
struct PodStats {
  int active = 0;  // not Terminating/Gone (what the ReplicaSet counts)
  int pending = 0;
  int ready = 0;
  int hogs = 0;
  double cap = 0.0;               // requests/s the ready pods serve
  double rel_err_w = 0.0;         // capacity-weighted release error
  float max_leaked = 0.0f;        // over live containers
  bool any_live = false;          // some container is Starting or Running
  bool gone = false;              // some pod is Gone: compact the vector
  TimePoint next_event = kNever;  // earliest time-driven change (transition, warm-up end)
};
/// One service's pods & rollouts, owned by the pods part (sim/pods.hpp): what the
/// Deployment and ReplicaSet controllers and the kubelet keep. The tick reads the first two
/// cache lines (the cached stats, the effects on pods, the counters); the pods' vector is
/// walked only when something is due. Aligned to a cache line, so each service's hot lines
/// are its own.
struct alignas(64) PodSet {
  // ---- line 0: the pods' stats cache: while nothing touches the pods and no time-driven
  // change is due, a tick reuses them instead of walking the pods (most services, most ticks)
  PodStats stats;
  double leak_mb_per_ms = 0.0;  // memory-leak fault: MB per ms per container (spread per pod)
  double hog_severity = 0.0;    // cpu-hog fault: share of a hogging pod's capacity lost

  // ---- line 1: the tick's flags and counters
  int desired = 0;  // the Deployment's replicas
  std::uint32_t cum_oom = 0, cum_restarts = 0;
  bool dirty = true;  // something changed the pods or their effects: re-derive the stats
  bool rollout = false;
  TimePoint last_oom = kLongAgo;      // last OOM kill
  TimePoint last_restart = kLongAgo;  // last container restart
  const ServiceSpec* spec = nullptr;
  std::vector<double> tmpl_err;  // template generation -> error share (0 if good)

  // ---- read when the pods are walked or on a change
  std::vector<Pod> pods;
  std::size_t index = 0;
  std::uint32_t pod_seq = 0;  // pods ever created (names the next pod's leak_factor)
  std::uint32_t tmpl = 0;     // the current template generation
  std::uint32_t completed_tmpl = 0;
  std::vector<Release> releases;  // helm history; `current` indexes it
  std::size_t current = 0;
  std::vector<std::size_t> templates;  // template generation -> release index
  TimePoint last_deploy{};
};

/// What faults and actions change of a service's traffic (the traffic part's operations);
/// each field's default is "no effect". Kept out of a service's hot lines: a tick reads it
/// only while some field differs from its default (Svc::effects).
struct Effects {
  double outage = 0.0;       // share unavailable (dependency-outage)
  double maintenance = 0.0;  // share failing (planned maintenance)
  double degrade_err = 0.0;
  double degrade_latency = 0.0;
  double ext_mult = 1.0;  // traffic spikes x campaigns
  double shift = 0.0;     // share of external traffic shifted away
  double poison = 0.0;
};

/// One service's traffic and physics, the traffic part's record (sim/traffic.hpp).
// Field order is by heat: a tick walks all services, and everything it reads or writes of
// a service sits in the first four cache lines (offsets checked in sim/traffic.cpp), what
// it writes in the first three (the random stream's state included), the constants of its
// spec copied in (the spec's own fields are spread over a large struct); what other
// services read of it (copied to the neighbours' view, model::Seen, at the start of a tick)
// comes first, in one line. The effects of faults and actions, and what only a change reads
// (the spec, the dependency lists, traffic shifting) follow. Aligned to a cache line, so
// each service's hot lines are its own.
struct alignas(64) Svc {
  // ---- line 0: what the neighbours' view copies each tick, and the tick's flags
  double err = 0, p99 = 0, calls = 0;
  double base_error_rate = 0;   // spec
  TimePoint purged = kLongAgo;  // last cache purge
  int ready = 0;                // ready pods this tick (the pods part's stats)
  bool cache = false;           // spec: kind == cache
  bool worker = false;          // spec: kind == worker
  bool daily_shape = true;      // spec.traffic
  bool within = true;
  bool effects = false;  // `fx` differs from Effects{} or `flags` is not empty
  double noise = 0.0;

  // ---- line 1: this tick
  double rps = 0, cpu = 0, mem = 0, dep_err = 0, shifted = 0;
  double util = 0.0;
  double queue = 0.0;
  std::size_t index = 0;

  // ---- line 2: the noise's random stream (written every tick), constants of the spec
  Rng rng{0};
  double traffic_rps = 0, traffic_noise = 0;

  // ---- line 3: constants of the spec the tick reads
  double base_latency_ms = 0, memory_per_pod_mb = 0, memory_limit_mb = 0;
  double slo_error_rate = 0, slo_latency_p99_ms = 0, slo_queue_lag = 0;

  // ---- read while `effects` only: fault and action effects, feature flags
  Effects fx;
  std::vector<Flag> flags;

  // ---- read on a change only
  std::ptrdiff_t shift_to = -1;  // where `shifted` goes (the traffic-shift table)
  const ServiceSpec* spec = nullptr;
  std::vector<std::size_t> upstreams;
  std::vector<std::size_t> dependents;
};

struct AlertState {
  TimePoint pending_since = kUnset;
  TimePoint firing_since = kUnset;
  TimePoint resolved_at = kUnset;  // last resolution, while the episode lasts
  TimePoint clear_since = kUnset;  // firing, condition false since (keep_firing_for)
  Duration firing_for{};           // time spent firing in this episode (flapping adds up)
  bool resolved_unsent = false;
  bool paged = false;
  double value = 0.0;
};

inline std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

inline std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

/// The significant digits the simulator's texts print a number with (fmt's default).
inline constexpr int kFmtDigits = 3;
inline std::string fmt(double v, int prec = kFmtDigits) {
  return core::format_general(v, prec);
}

inline std::string join_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

}  // namespace selfheal::sim::model
