// The scrape tick: every service's pods, physics, telemetry sample and rules, in service
// order (or in parallel blocks with WorldOptions::threads > 1), then incidents, waits and
// alert groups; notifications and action results are handed out last (the engine may call
// back into any port). World::Impl wires the hot parts here; each part's own work is in its
// file (pods.cpp, traffic.cpp, telemetry.cpp, alerting.cpp).
#include "sim/world_impl.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace selfheal::sim {

using namespace model;

// Of the pods part's record the tick reads the first two lines unless the pods are due.
static_assert(offsetof(model::PodSet, tmpl_err) + sizeof(std::vector<double>) <= 2 * 64 &&
              alignof(model::PodSet) == 64);
constexpr std::size_t kPodSetHotBytes = 2 * 64;

// Services ahead of the one computed whose telemetry row is claimed (prefetch_service):
// a memory round trip is a few services' work.
constexpr std::size_t kRingPrefetchAhead = 8;

inline void World::Impl::prefetch_service(std::size_t i) {
  traffic.prefetch(i);
  const char* pods_next = reinterpret_cast<const char*>(&pods[i]);
  for (std::size_t off = 0; off < kPodSetHotBytes; off += 64)
    __builtin_prefetch(pods_next + off);
  // The tick's telemetry row is memory last written a retention ago (not in any cache):
  // claim it a few services ahead, so the sample's stores do not hold up the store buffer
  // (a 44-byte sample: every line of the row is claimed at least once).
  telemetry.prefetch(i, std::min(i + kRingPrefetchAhead, traffic.size() - 1));
}

inline void World::Impl::tick() {
  const TimePoint at = sim.now();
  const Duration dt = tick_count == 0 ? Duration::zero() : at - last_tick;
  last_tick = at;
  ++tick_count;
  traffic.begin_tick(tick_count == 1);
  const double shape = daily_shape(at);
  telemetry.advance();
  if (opts.prometheus_series) prom.advance();
  const double dt_s = count_as<Seconds>(scrape);

  if (opts.threads > 1) {
    tick_parallel(at, dt, shape, dt_s);
  } else {
    const std::size_t n = traffic.size();
    for (std::size_t i = 0; i < n; ++i) {
      // The whole state of a service is read on every tick and all services together do
      // not fit in L1: fetch the next one's while this one is computed.
      if (i + 1 != n) prefetch_service(i + 1);
      tick_service(traffic[i], at, dt, shape, dt_s);
    }
  }

  if (alerting.has_external()) alerting.evaluate_external(at);
  faults.track(at);
  actuation.check_waits(at);
  alerting.flush(at, static_cast<bool>(sink));
  tl.end = sim.now();

  // Hand results and notifications out last: the engine may call back into any port.
  for (auto& [owed, res] : actuation.take_completions())
    if (owed) actuation_env.deliver(owed, std::move(res));
  if (sink) {
    for (auto& i : alerting.notifications())
      sink(i);
  }
  alerting.clear_notifications();
  sim.at(at + scrape, tick_target, Event{});
}

void World::Impl::on_event(const Event& e) {
  if (e.kind == kTick) {
    tick();
  } else if (engine::Callbacks* to = receivers.at(static_cast<std::size_t>(e.a))) {
    to->on_timer(e.b);
  }
}

inline void World::Impl::record_sample(Svc& v, TimePoint at, double dt_s) {
  Sample& s = telemetry.latest(v.index);
  s.rps = static_cast<float>(v.rps);
  s.err = static_cast<float>(v.err);
  s.p99 = static_cast<float>(v.p99);
  s.cpu = static_cast<float>(v.cpu);
  s.mem = static_cast<float>(v.mem);
  s.ready = static_cast<float>(v.ready);
  const model::PodSet& ps = pods[v.index];
  s.desired = static_cast<float>(ps.desired);
  s.queue = static_cast<float>(v.queue);
  s.dep_err = static_cast<float>(v.dep_err);
  s.cum_oom = ps.cum_oom;
  s.cum_restarts = ps.cum_restarts;
  if (opts.prometheus_series) prom.accumulate(v.index, s, dt_s);
  telemetry.record(v.index, s, v.within, at);
}

inline void World::Impl::tick_service(Svc& v, TimePoint at, Duration elapsed, double shape,
                                      double dt_s) {
  const PodStats& st = pods.refresh(v.index, at, elapsed, v.util);
  traffic.serve(v.index, st, pods[v.index].hog_severity, at, shape, dt_s);
  record_sample(v, at, dt_s);
  alerting.evaluate(v.index, at);
}

// Why the parallel tick is exact: a service's physics reads the others only through what
// the previous tick left (prev_* fields, copied before the loop) and their constants, so
// the chunks may compute services in any order. Everything that touches shared state (the
// pod slots, the event log, incidents, alert groups, the event queue) happens in the pods'
// controllers and the alert state machine; a service needing either is deferred, and the
// serial pass runs that work in service order, exactly as the one-thread loop would have
// interleaved it (the work of the services in between changed nothing shared). Nothing a
// deferred service's work changes is read by another service's physics within the tick.
inline void World::Impl::tick_own(Svc& v, TimePoint at, double shape, double dt_s,
                                  std::vector<Deferred>& out) {
  const auto idx = static_cast<std::uint32_t>(v.index);
  const PodStats& st = pods[v.index].stats;
  // Pods::refresh's two conditions for work (the same predicates it tests).
  if (pods.due(v.index, at) || pods.controllers_due(v.index)) {
    out.push_back({idx, true});
    return;
  }
  traffic.serve(v.index, st, pods[v.index].hog_severity, at, shape, dt_s);
  record_sample(v, at, dt_s);
  if (alerting.would_change(v.index, at)) out.push_back({idx, false});
}

inline void World::Impl::tick_parallel(TimePoint at, Duration elapsed, double shape, double dt_s) {
  // Blocks of kBlockServices services, claimed by whichever thread is free: the block, not
  // the thread, decides what is computed and where its deferrals go. One run a tick (the
  // neighbours' view is published by serve(), no copy pass): at 5,000 services ~80 blocks
  // of a few µs each.
  constexpr std::size_t kBlockServices = 64;
  if (!workers) {
    workers = std::make_unique<model::TickWorkers>(opts.threads);
    deferred.resize((traffic.size() + kBlockServices - 1) / kBlockServices);
  }
  // One pointer to the tick's values: the job fits std::function's inline buffer (no
  // allocation per tick).
  struct Tick {
    TimePoint at;
    double shape, dt_s;
  } const t{at, shape, dt_s};
  workers->run(static_cast<std::uint32_t>(deferred.size()), [this, tp = &t](unsigned b) {
    auto& out = deferred[b].list;
    out.clear();
    const std::size_t lo = b * kBlockServices;
    const std::size_t hi = std::min(traffic.size(), lo + kBlockServices);
    for (std::size_t i = lo; i < hi; ++i) {
      if (i + 1 < traffic.size()) prefetch_service(i + 1);
      tick_own(traffic[i], tp->at, tp->shape, tp->dt_s, out);
    }
  });
  for (const auto& block : deferred) {
    for (const Deferred& d : block.list) {
      Svc& v = traffic[d.svc];
      if (d.whole) {
        tick_service(v, at, elapsed, shape, dt_s);
      } else {
        alerting.evaluate(v.index, at);
      }
    }
  }
}

}  // namespace selfheal::sim
