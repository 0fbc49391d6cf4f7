// One run of the bench/sim synthetic cluster with a digest of everything it produced, for
// two jobs Google Benchmark does not do:
//  - proving an optimisation changed nothing: the digest (FNV-1a over every timeline event,
//    incident record, series point and out-of-objectives interval, floats bit for bit) must
//    be the same before and after;
//  - counting instructions of exactly one run under valgrind, World construction excluded:
//      valgrind --tool=callgrind --toggle-collect='*run_world*' bench_sim_run 200 7
// Usage: bench_sim_run SERVICES DAYS [RULES.yaml] [--threads=N] (WorldOptions::threads,
// default 1). With a Prometheus rule file the world's
// alerts come from it (instead of the default rules), evaluated by the PromQL evaluator over
// the world's Prometheus series (docs/prometheus-series.md). Prints the digest, ticks, kernel
// events, timeline events, CPU seconds of the run and the peak RSS.
#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string_view>

#include "bench/sim/synthetic_cluster.hpp"
#include "scenario/prom_rules.hpp"
#include "scenario/prom_telemetry.hpp"
#include "sim/world.hpp"

namespace {

using namespace selfheal;
using namespace selfheal::sim;

struct Digest {
  std::uint64_t h = 1469598103934665603ULL;
  void bytes(const void* p, std::size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= c[i];
      h *= 1099511628211ULL;
    }
  }
  template <class T>
  void pod(const T& v) {
    bytes(&v, sizeof v);
  }
  void str(std::string_view s) {
    pod(s.size());
    bytes(s.data(), s.size());
  }
  void time(TimePoint t) { pod(t.time_since_epoch().count()); }
};

std::uint64_t digest(const Timeline& t) {
  Digest d;
  d.time(t.start);
  d.time(t.end);
  for (const auto& e : t.events) {
    d.time(e.time);
    d.pod(static_cast<int>(e.kind));
    d.str(e.service);
    d.str(e.incident);
    d.str(e.fingerprint);
    d.pod(e.action_id);
    d.str(e.name);
    d.str(e.detail);
    d.pod(e.success ? (*e.success ? 1 : 0) : 2);
    d.pod(e.automated);
    d.pod(e.audit_index ? static_cast<std::int64_t>(*e.audit_index) : -1);
  }
  for (const auto& r : t.incidents) {
    d.str(r.truth.id);
    d.time(r.start);
    for (const auto* o : {&r.end, &r.impact, &r.recovered}) {
      d.pod(o->has_value());
      if (*o) d.time(**o);
    }
    for (const auto& s : r.impacted)
      d.str(s);
  }
  for (const auto& s : t.services) {
    d.str(s.service);
    d.pod(s.step.count());
    for (const auto& p : s.points) {
      d.time(p.time);
      for (float f : {p.request_rate, p.error_rate, p.latency_p99_ms, p.cpu, p.memory, p.ready,
                      p.desired, p.queue_lag, p.dependency_errors}) {
        std::uint32_t bits;
        std::memcpy(&bits, &f, sizeof bits);
        d.pod(bits);
      }
      d.pod(p.oom_kills);
      d.pod(p.restarts);
      d.pod(p.within_objectives);
    }
    for (const auto& iv : s.outside_objectives) {
      d.time(iv.begin);
      d.time(iv.end);
    }
  }
  return d.h;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

[[gnu::noinline]] void run_world(World& w, int days) {
  w.run_until(w.start() + std::chrono::hours{24 * days});
}

}  // namespace

int main(int argc, char** argv) {
  // --threads=N (WorldOptions::threads), anywhere after the program name.
  unsigned threads = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) != 0) continue;
    threads = static_cast<unsigned>(std::atoi(argv[i] + 10));
    for (int j = i; j + 1 < argc; ++j)
      argv[j] = argv[j + 1];
    --argc;
    break;
  }
  if ((argc != 3 && argc != 4) || threads < 1) {
    std::fprintf(stderr, "usage: %s SERVICES DAYS [RULES.yaml] [--threads=N]\n", argv[0]);
    return 2;
  }
  const int services = std::atoi(argv[1]);
  const int days = std::atoi(argv[2]);
  ClusterSpec spec = selfheal::bench::synthetic_cluster(services, days, 42);
  WorldOptions options;
  options.threads = threads;
  std::vector<scenario::PromAlertRule> rules;
  if (argc == 4) {
    core::Diagnostics d;
    rules = scenario::load_prometheus_rules(argv[3], spec.scrape_interval, d);
    if (!d.empty()) {
      std::fprintf(stderr, "%s\n", d.describe().c_str());
      return 2;
    }
    spec.default_rules = false;
    spec.alert_rules = scenario::to_alert_rule_specs(rules);
    options.prometheus_series = true;
  }
  World w{spec, 42, options};
  std::optional<scenario::WorldSeriesSource> source;
  if (!rules.empty()) {
    source.emplace(w);
    w.set_external_rule_evaluator(scenario::PromRuleEvaluator{rules, 0, *source, spec});
  }
  const double c0 = cpu_seconds();
  timespec w0{};
  clock_gettime(CLOCK_MONOTONIC, &w0);
  run_world(w, days);
  const double cpu = cpu_seconds() - c0;
  timespec w1{};
  clock_gettime(CLOCK_MONOTONIC, &w1);
  const double wall = static_cast<double>(w1.tv_sec - w0.tv_sec) +
                      static_cast<double>(w1.tv_nsec - w0.tv_nsec) * 1e-9;
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  std::printf(
      "digest=%016llx ticks=%llu kernel_events=%llu timeline_events=%zu incidents=%zu "
      "cpu_s=%.3f wall_s=%.3f ns_per_service_tick=%.1f sim_per_real=%.0f peak_rss_MB=%.1f\n",
      static_cast<unsigned long long>(digest(w.timeline())),
      static_cast<unsigned long long>(w.ticks()),
      static_cast<unsigned long long>(w.simulation().dispatched()), w.timeline().events.size(),
      w.timeline().incidents.size(), cpu, wall,
      wall * 1e9 / (static_cast<double>(w.ticks()) * services), 86'400.0 * days / cpu,
      static_cast<double>(u.ru_maxrss) / 1024.0);
  return 0;
}
