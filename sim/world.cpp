// The world: builds the parts from the spec (World::Impl, sim/world_impl.hpp), wires the
// event-driven parts to the others (each part's Env below), keeps the timeline's log
// (every event attributed to its incident by Faults), and implements the public World API.
#include "sim/world.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <utility>

#include "sim/world_impl.hpp"

namespace selfheal::sim {

using namespace model;

World::Impl::Impl(const ClusterSpec& s, std::uint64_t seed, WorldOptions o)
    : spec_ptr(std::make_shared<const ClusterSpec>(s)),
      spec(*spec_ptr),
      opts(o),
      sim(seed, s.start) {
  scrape = spec.scrape_interval;
  pods.build(spec.start);
  traffic.build();
  const std::size_t n = traffic.size();
  const std::size_t fair_share = opts.series_point_budget / std::max<std::size_t>(1, n);
  telemetry.build(
      n, opts.telemetry_retention,
      std::max<std::size_t>(kMinSeriesPoints, std::min(opts.series_max_points, fair_share)));
  alerting.build();
  if (opts.prometheus_series) prom.build(opts.telemetry_retention);
  build_timeline();
  faults.start();
  tick_target = sim.add_target(*this);
  sim.at(spec.start, tick_target, Event{});
}

namespace {

WorldOptions copy_options(WorldOptions o, CopyOptions c) {
  o.record_series = o.record_series && c.chart_series;
  return o;
}

/// `t` for a copy: its chart points only when `points`; of the events before `cutoff` (when
/// set), only the alerts' firings and resolutions (CopyOptions). Every other field: keep in
/// step with sim/timeline.hpp.
Timeline copied(const Timeline& t, bool points, std::optional<TimePoint> cutoff) {
  if (points && !cutoff) return t;
  Timeline c;
  c.start = t.start;
  c.end = t.end;
  c.scrape_interval = t.scrape_interval;
  if (!cutoff) {
    c.events = t.events;
  } else {
    for (const TimelineEvent& e : t.events)
      if (e.time >= *cutoff || e.kind == EventKind::kAlertFiring ||
          e.kind == EventKind::kAlertResolved)
        c.events.push_back(e);
  }
  c.incidents = t.incidents;
  c.audit = t.audit;
  c.services.reserve(t.services.size());
  for (const ServiceSeries& s : t.services)
    c.services.push_back({s.service, s.slo, s.step, points ? s.points : std::vector<SeriesPoint>{},
                          s.outside_objectives});
  return c;
}

}  // namespace

// Members in declaration order: each part is copied with the collaborators of this world
// (its Env, the Simulation, the timeline and parts it reads), all declared before it.
World::Impl::Impl(const Impl& o, CopyOptions c)
    : spec_ptr(o.spec_ptr),
      spec(*spec_ptr),
      opts(copy_options(o.opts, c)),
      sim(Simulation::NewOwner{}, o.sim),
      scrape(o.scrape),
      tick_count(o.tick_count),
      last_tick(o.last_tick),
      tl(copied(o.tl, opts.record_series,
                c.past_events
                    ? std::nullopt
                    : std::optional<TimePoint>(o.sim.now() - o.opts.recovery_hold - o.scrape))),
      pods(o.pods, pods_env),
      traffic(o.traffic, sim),
      faults(o.faults, tl, sim, faults_env),
      actuation(o.actuation, sim, actuation_env),
      oncall(o.oncall, sim, oncall_env),
      telemetry(o.telemetry, tl, opts.record_series),
      alerting(o.alerting, telemetry, pods, alerting_env),
      prom(o.prom, telemetry, traffic),
      state_port(o.state_port),
      health_error_text(o.health_error_text) {
  receivers = o.receivers;  // the original's engine until World::rebind
  tick_target = o.tick_target;
  sim.add_target_as(*this, tick_target, "World");
  if (sim.targets() != o.sim.targets())
    throw std::logic_error("World: the copy's simulation numbers its targets differently");
}

inline void World::Impl::build_timeline() {
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
}

inline std::string World::Impl::incident_id_for(std::string_view service) const {
  const std::ptrdiff_t svc = traffic.index_of(service);
  if (svc < 0) return {};
  const auto k = faults.attribute(static_cast<std::size_t>(svc));
  return k < 0 ? std::string{} : tl.incidents[static_cast<std::size_t>(k)].truth.id;
}

// Both build the event in place (every notification and every decision logs one).
inline TimelineEvent& World::Impl::log_at(EventKind kind, std::size_t svc, std::string name,
                                          std::string detail) {
  TimelineEvent& e = tl.events.emplace_back();
  e.time = sim.now();
  e.kind = kind;
  const auto k = faults.attribute(svc);
  if (k >= 0) e.incident = tl.incidents[static_cast<std::size_t>(k)].truth.id;
  e.service = spec.services[svc].name;
  e.name = std::move(name);
  e.detail = std::move(detail);
  return e;
}

inline TimelineEvent& World::Impl::log(EventKind kind, std::string service, std::string name,
                                       std::string detail) {
  TimelineEvent& e = tl.events.emplace_back();
  e.time = sim.now();
  e.kind = kind;
  e.incident = incident_id_for(service);
  e.service = std::move(service);
  e.name = std::move(name);
  e.detail = std::move(detail);
  return e;
}

// ---- the parts' wiring: each part's Env over the others ------------------------------

TimelineEvent& World::Impl::PodsEnv::log_at(EventKind kind, std::size_t svc, std::string name,
                                            std::string detail) {
  return w_.log_at(kind, svc, std::move(name), std::move(detail));
}
void World::Impl::PodsEnv::good_release_rolled_out(std::size_t svc, const Release& r) {
  w_.faults.good_release_rolled_out(svc, r);
}

TimelineEvent& World::Impl::AlertingEnv::log_at(EventKind kind, std::size_t svc, std::string name,
                                                std::string detail) {
  return w_.log_at(kind, svc, std::move(name), std::move(detail));
}
void World::Impl::AlertingEnv::page(std::size_t svc, const std::string& why) {
  w_.oncall.page(svc, why);
}

std::size_t World::Impl::FaultsEnv::services() const {
  return w_.traffic.size();
}
std::ptrdiff_t World::Impl::FaultsEnv::service_index(std::string_view name) const {
  return w_.traffic.index_of(name);
}
bool World::Impl::FaultsEnv::within_objectives(std::size_t svc) const {
  return w_.traffic[svc].within;
}
const PodSet& World::Impl::FaultsEnv::pods(std::size_t svc) const {
  return w_.pods[svc];
}
void World::Impl::FaultsEnv::touch(std::size_t svc) {
  w_.pods.touch(svc);
}
void World::Impl::FaultsEnv::add_leak(std::size_t svc, double mb_per_min) {
  w_.pods.add_leak(svc, mb_per_min);
}
void World::Impl::FaultsEnv::remove_leak(std::size_t svc, double mb_per_min) {
  w_.pods.remove_leak(svc, mb_per_min);
}
int World::Impl::FaultsEnv::start_hog(std::size_t svc, double severity) {
  return w_.pods.start_hog(svc, severity);
}
void World::Impl::FaultsEnv::end_hog(std::size_t svc) {
  w_.pods.end_hog(svc);
}
int World::Impl::FaultsEnv::stall(std::size_t svc) {
  return w_.pods.stall(svc);
}
void World::Impl::FaultsEnv::end_stall(std::size_t svc) {
  w_.pods.end_stall(svc);
}
int World::Impl::FaultsEnv::lose_pods(std::size_t svc, int pods, TimePoint replace_at) {
  return w_.pods.lose(svc, pods, replace_at);
}
void World::Impl::FaultsEnv::upgrade(std::size_t svc, const ReleaseSpec& rs,
                                     const std::string& why) {
  Release r = Pods::make_release(rs, w_.sim.now());
  r.deployed = w_.sim.now();
  w_.pods.deploy(svc, std::move(r), why);
}
void World::Impl::FaultsEnv::deploy(std::size_t svc, Release r, const std::string& why) {
  w_.pods.deploy(svc, std::move(r), why);
}
bool World::Impl::FaultsEnv::take_capacity(int64_t slots) {
  return w_.pods.take_capacity(slots);
}
void World::Impl::FaultsEnv::set_outage(std::size_t svc, double share) {
  w_.traffic.set_outage(svc, share);
}
void World::Impl::FaultsEnv::set_maintenance(std::size_t svc, double share) {
  w_.traffic.set_maintenance(svc, share);
}
void World::Impl::FaultsEnv::set_degradation(std::size_t svc, double error_share,
                                             double latency_ms) {
  w_.traffic.set_degradation(svc, error_share, latency_ms);
}
void World::Impl::FaultsEnv::multiply_traffic(std::size_t svc, double factor) {
  w_.traffic.multiply_traffic(svc, factor);
}
void World::Impl::FaultsEnv::divide_traffic(std::size_t svc, double factor) {
  w_.traffic.divide_traffic(svc, factor);
}
void World::Impl::FaultsEnv::set_poison(std::size_t svc, double share) {
  w_.traffic.set_poison(svc, share);
}
void World::Impl::FaultsEnv::flag_on(std::size_t svc, const std::string& name, double severity) {
  w_.traffic.flag_on(svc, name, severity);
}
void World::Impl::FaultsEnv::flag_off(std::size_t svc, const std::string& name, TimePoint at) {
  w_.traffic.flag_off(svc, name, at);
}
TimelineEvent& World::Impl::FaultsEnv::log(EventKind kind, std::string service, std::string name,
                                           std::string detail) {
  return w_.log(kind, std::move(service), std::move(name), std::move(detail));
}

std::size_t World::Impl::OnCallEnv::incidents() const {
  return w_.faults.size();
}
std::ptrdiff_t World::Impl::OnCallEnv::attribute(std::size_t svc) const {
  return w_.faults.attribute(svc);
}
bool World::Impl::OnCallEnv::active_for(std::size_t k, std::size_t svc) const {
  return w_.faults.active_for(k, svc);
}
const IncidentRecord& World::Impl::OnCallEnv::record(std::size_t k) const {
  return w_.tl.incidents[k];
}
bool World::Impl::OnCallEnv::cause_ended(std::size_t k) const {
  return w_.faults.ended(k);
}
std::ptrdiff_t World::Impl::OnCallEnv::service_index(std::string_view name) const {
  return w_.traffic.index_of(name);
}
const std::string& World::Impl::OnCallEnv::service_name(std::size_t svc) const {
  return w_.spec.services[svc].name;
}
OnCall::Env::RootState World::Impl::OnCallEnv::root_state(std::size_t k) const {
  const std::ptrdiff_t root = w_.faults.root(k);
  if (root < 0) return {};
  const PodSet& ps = w_.pods[static_cast<std::size_t>(root)];
  return {true, ps.releases[ps.current].bad,
          w_.traffic[static_cast<std::size_t>(root)].fx.poison > 0};
}
TimelineEvent& World::Impl::OnCallEnv::log(EventKind kind, std::string service, std::string name,
                                           std::string detail) {
  return w_.log(kind, std::move(service), std::move(name), std::move(detail));
}
void World::Impl::OnCallEnv::act(const engine::ServiceRef& target, const engine::ActionSpec& a) {
  w_.actuation.start(target, a, {}, 0, kHumanActionTimeout, false, Actuation::Owed{});
}
void World::Impl::OnCallEnv::end_incident(std::size_t k, const std::string& why) {
  w_.faults.end_incident(k, why);
}

std::ptrdiff_t World::Impl::ActuationEnv::service_index(std::string_view name) const {
  return w_.traffic.index_of(name);
}
const PodSet& World::Impl::ActuationEnv::pods(std::size_t svc) const {
  return w_.pods[svc];
}
void World::Impl::ActuationEnv::touch(std::size_t svc) {
  w_.pods.touch(svc);
}
std::uint32_t World::Impl::ActuationEnv::restart(std::size_t svc, const std::string& why) {
  return w_.pods.restart(svc, why);
}
std::uint32_t World::Impl::ActuationEnv::deploy(std::size_t svc, Release r,
                                                const std::string& why) {
  return w_.pods.deploy(svc, std::move(r), why);
}
void World::Impl::ActuationEnv::set_desired(std::size_t svc, int replicas) {
  w_.pods.set_desired(svc, replicas);
}
void World::Impl::ActuationEnv::purge_cache(std::size_t svc, TimePoint now) {
  if (w_.traffic.purge_cache(svc, now))
    w_.faults.end_cause_of_kind(svc, FaultKind::kPoisonedCache, "cache purged");
}
std::optional<bool> World::Impl::ActuationEnv::disable_flag(std::size_t svc,
                                                            const std::string& flag,
                                                            TimePoint effective) {
  return w_.traffic.disable_flag(svc, flag, effective);
}
void World::Impl::ActuationEnv::flag_disabled(std::size_t svc, const std::string& flag,
                                              const std::string& detail) {
  w_.faults.flag_disabled(svc, flag, detail);
}
double World::Impl::ActuationEnv::shift_traffic(std::size_t svc, double share, std::ptrdiff_t to) {
  return w_.traffic.shift_traffic(svc, share, to);
}
void World::Impl::ActuationEnv::deliver(const Actuation::Owed& to, engine::ActionResult result) {
  if (engine::Callbacks* r = w_.receivers.at(to.receiver)) r->on_action_done(to.request, result);
}
std::uint32_t World::Impl::receiver_number(engine::Callbacks& to) {
  for (std::size_t i = 0; i < receivers.size(); ++i)
    if (receivers[i] == &to) return static_cast<std::uint32_t>(i);
  receivers.push_back(&to);
  return static_cast<std::uint32_t>(receivers.size() - 1);
}
TimelineEvent& World::Impl::ActuationEnv::log(EventKind kind, std::string service, std::string name,
                                              std::string detail) {
  return w_.log(kind, std::move(service), std::move(name), std::move(detail));
}
TimelineEvent& World::Impl::ActuationEnv::log_at(EventKind kind, std::size_t svc, std::string name,
                                                 std::string detail) {
  return w_.log_at(kind, svc, std::move(name), std::move(detail));
}

// =========================================================================================

World::World(const ClusterSpec& spec, std::uint64_t seed, WorldOptions options) {
  const core::Diagnostics d = validate(spec);
  if (!d.empty()) throw std::invalid_argument("invalid cluster spec:\n" + d.describe());
  impl_ = std::make_unique<Impl>(spec, seed, options);
}

World::~World() = default;

World::World(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<World> World::copy(CopyOptions options) const {
  return std::unique_ptr<World>(new World(std::make_unique<Impl>(*impl_, options)));
}

void World::rebind(const engine::Callbacks& from, engine::Callbacks& to) {
  for (auto& r : impl_->receivers)
    if (r == &from) r = &to;
}

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

void World::set_incident_sink(std::function<void(engine::Incident&)> sink) {
  impl_->sink = std::move(sink);
}

void World::set_external_rule_evaluator(ExternalRuleEvaluator e) {
  impl_->alerting.set_external_evaluator(std::move(e));
}
void World::set_approval_handler(std::function<void(std::uint64_t, bool)> h) {
  impl_->oncall.set_approval_handler(std::move(h));
}

void World::run_until(TimePoint t) {
  impl_->sim.run_until(t);
  impl_->tl.end = impl_->sim.now();
}

void World::run_until_dispatched(std::uint64_t n) {
  impl_->sim.run_until_dispatched(n);
  impl_->tl.end = impl_->sim.now();
}

TimePoint World::now() const {
  return impl_->sim.now();
}
TimePoint World::start() const {
  return impl_->spec.start;
}
const Timeline& World::timeline() const {
  impl_->telemetry.flush();  // the chart buckets still open (not a change of the world's state)
  return impl_->tl;
}
Timeline World::take_timeline() {
  impl_->telemetry.flush();
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
