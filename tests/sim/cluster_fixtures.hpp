// Small worlds and helpers shared by the cluster-model tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/fixed_ports.hpp"
#include "engine/ports.hpp"
#include "sim/world.hpp"

namespace selfheal::sim::testing {

using namespace std::chrono_literals;

/// Everything a run produced, one line per record (floats as their bits): every timeline
/// event, incident, chart point and out-of-objectives interval.
inline std::string dump_timeline(const Timeline& t) {
  std::ostringstream o;
  o << core::to_unix_ms(t.start) << ' ' << core::to_unix_ms(t.end) << ' ' << t.audit.size() << '\n';
  for (const auto& e : t.events) {
    o << core::to_unix_ms(e.time) << ' ' << static_cast<int>(e.kind) << ' ' << e.service << ' '
      << e.incident << ' ' << e.fingerprint << ' ' << e.action_id << ' ' << e.name << ' '
      << e.detail << ' ' << (e.success ? (*e.success ? 1 : 0) : -1) << ' ' << e.automated << ' '
      << (e.audit_index ? static_cast<std::int64_t>(*e.audit_index) : -1) << '\n';
  }
  for (const auto& r : t.incidents) {
    o << r.truth.id << ' ' << core::to_unix_ms(r.start) << ' '
      << (r.end ? core::to_unix_ms(*r.end) : -1) << ' '
      << (r.impact ? core::to_unix_ms(*r.impact) : -1) << ' '
      << (r.recovered ? core::to_unix_ms(*r.recovered) : -1);
    for (const auto& s : r.impacted)
      o << ' ' << s;
    o << '\n';
  }
  for (const auto& s : t.services) {
    o << s.service << ' ' << s.step.count() << ' ' << s.points.size() << '\n';
    for (const auto& p : s.points) {
      o << core::to_unix_ms(p.time);
      for (float f : {p.request_rate, p.error_rate, p.latency_p99_ms, p.cpu, p.memory, p.ready,
                      p.desired, p.queue_lag, p.dependency_errors}) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &f, sizeof bits);
        o << ' ' << bits;
      }
      o << ' ' << p.oom_kills << ' ' << p.restarts << ' ' << p.within_objectives << '\n';
    }
    for (const auto& iv : s.outside_objectives)
      o << core::to_unix_ms(iv.begin) << '-' << core::to_unix_ms(iv.end) << '\n';
  }
  return o.str();
}

/// payment-api (3 x 100 rps, 150 rps external, critical) -> payments-db.
inline ClusterSpec payments_cluster() {
  ClusterSpec c;
  c.ns = "prod";
  ServiceSpec api = service_defaults(ServiceKind::kApi);
  api.name = "payment-api";
  api.traffic.rps = 150;
  api.depends_on = {"payments-db"};
  api.critical = true;
  ServiceSpec db = service_defaults(ServiceKind::kDatabase);
  db.name = "payments-db";
  c.services = {api, db};
  return c;
}

inline FaultSpec fault(FaultKind kind, std::string target, Duration at,
                       std::optional<Duration> duration = std::nullopt) {
  FaultSpec f;
  f.kind = kind;
  f.target = std::move(target);
  f.at = at;
  f.duration = duration;
  return f;
}

/// What the actuator reported for one action (act() below): it is the action's Callbacks,
/// so it must live until the world has run past the action's completion.
struct ActionProbe final : engine::Callbacks {
  explicit ActionProbe(const World& world) : w(world) {}
  std::optional<engine::ActionResult> result;
  TimePoint done_at{};
  int calls = 0;
  const World& w;
  void on_timer(std::uint64_t) override {}
  void on_action_done(std::uint64_t, engine::ActionResult res) override {
    result = std::move(res);
    done_at = w.now();
    ++calls;
  }
};

/// payments_cluster() with payment-api leaking memory from 10 min on.
inline ClusterSpec leaking_cluster() {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kMemoryLeak, "payment-api", std::chrono::minutes{10}));
  return c;
}

/// Executes `a` on `service` through the World's Actuator port; the probe fills in when
/// the actuator calls back.
inline std::shared_ptr<ActionProbe> act(World& w, const std::string& service, engine::ActionSpec a,
                                        std::uint64_t id) {
  auto probe = std::make_shared<ActionProbe>(w);
  engine::ActionRequest r;
  r.id = id;
  r.target = {w.spec().ns, service};
  r.action = std::move(a);
  w.context().actuator.execute(r, *probe);
  return probe;
}

inline engine::ActionSpec action(engine::ActionKind k) {
  engine::ActionSpec a;
  a.kind = k;
  return a;
}

/// Appends an event at `at` to `events` (a std::deque or std::vector of TimelineEvent) and
/// returns it: the log of every part's fake world (tests/sim/parts.cmake).
template <class Events>
TimelineEvent& append_event(Events& events, TimePoint at, EventKind kind, std::string service,
                            std::string name, std::string detail) {
  TimelineEvent e;
  e.time = at;
  e.kind = kind;
  e.service = std::move(service);
  e.name = std::move(name);
  e.detail = std::move(detail);
  events.push_back(std::move(e));
  return events.back();
}

inline int count_events(const Timeline& t, EventKind kind, const std::string& service = {},
                        const std::string& name = {}) {
  int n = 0;
  for (const auto& e : t.events) {
    if (e.kind == kind && (service.empty() || e.service == service) &&
        (name.empty() || e.name == name)) {
      ++n;
    }
  }
  return n;
}

inline const TimelineEvent* first_event(const Timeline& t, EventKind kind,
                                        const std::string& service = {},
                                        const std::string& name = {}) {
  for (const auto& e : t.events) {
    if (e.kind == kind && (service.empty() || e.service == service) &&
        (name.empty() || e.name == name)) {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace selfheal::sim::testing
