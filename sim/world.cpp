// The world: builds the parts from the spec (World::Impl, sim/world_impl.hpp), wires the
// event-driven parts to the others (each part's Env below), keeps the timeline's log
// (every event attributed to its incident by Faults), and implements the public World API.
#include "sim/world.hpp"

#include <cmath>
#include <stdexcept>
#include <utility>

#include "sim/world_impl.hpp"

namespace selfheal::sim {

using namespace model;

World::Impl::Impl(const ClusterSpec& s, std::uint64_t seed, WorldOptions o)
    : spec(s), opts(o), sim(seed, s.start) {
  scrape = spec.scrape_interval;
  phi = std::exp(-count_as<Millis>(scrape) / count_as<Millis>(kNoiseCorrelation));
  phi_innov = std::sqrt(1.0 - phi * phi);
  if (spec.capacity_pods) capacity = *spec.capacity_pods;
  build_services();
  build_adjacency();
  build_rules();
  if (opts.prometheus_series) build_prom_series();
  build_timeline();
  faults.start();
  sim.at(spec.start, [this] { tick(); });
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
  auto it = by_name.find(std::string(service));
  if (it == by_name.end()) return {};
  const auto k = faults.attribute(it->second);
  return k < 0 ? std::string{} : tl.incidents[static_cast<std::size_t>(k)].truth.id;
}

inline TimelineEvent& World::Impl::log_at(EventKind kind, std::size_t svc, std::string name,
                                          std::string detail) {
  TimelineEvent e;
  e.time = sim.now();
  e.kind = kind;
  const auto k = faults.attribute(svc);
  if (k >= 0) e.incident = tl.incidents[static_cast<std::size_t>(k)].truth.id;
  e.service = svcs[svc].spec->name;
  e.name = std::move(name);
  e.detail = std::move(detail);
  tl.events.push_back(std::move(e));
  return tl.events.back();
}

inline TimelineEvent& World::Impl::log(EventKind kind, std::string service, std::string name,
                                       std::string detail) {
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

// ---- the parts' wiring: each part's Env over the others ------------------------------

std::size_t World::Impl::FaultsEnv::services() const {
  return w_.svcs.size();
}
std::ptrdiff_t World::Impl::FaultsEnv::service_index(std::string_view name) const {
  auto it = w_.by_name.find(std::string(name));
  return it == w_.by_name.end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
}
Svc& World::Impl::FaultsEnv::service(std::size_t svc) {
  return w_.svcs[svc];
}
void World::Impl::FaultsEnv::upgrade(Svc& v, const ReleaseSpec& rs, const std::string& why) {
  Release r = make_release(rs, w_.sim.now());
  r.deployed = w_.sim.now();
  w_.deploy_release(v, std::move(r), why);
}
void World::Impl::FaultsEnv::deploy(Svc& v, Release r, const std::string& why) {
  w_.deploy_release(v, std::move(r), why);
}
bool World::Impl::FaultsEnv::take_capacity(int64_t slots) {
  if (w_.capacity == std::numeric_limits<int64_t>::max()) return false;  // unbounded
  w_.capacity -= slots;
  return true;
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
  auto it = w_.by_name.find(std::string(name));
  return it == w_.by_name.end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
}
const std::string& World::Impl::OnCallEnv::service_name(std::size_t svc) const {
  return w_.svcs[svc].spec->name;
}
OnCall::Env::RootState World::Impl::OnCallEnv::root_state(std::size_t k) const {
  const std::ptrdiff_t root = w_.faults.root(k);
  if (root < 0) return {};
  const Svc& v = w_.svcs[static_cast<std::size_t>(root)];
  return {true, v.releases[v.current].bad, v.poison > 0};
}
TimelineEvent& World::Impl::OnCallEnv::log(EventKind kind, std::string service, std::string name,
                                           std::string detail) {
  return w_.log(kind, std::move(service), std::move(name), std::move(detail));
}
void World::Impl::OnCallEnv::act(const engine::ServiceRef& target, const engine::ActionSpec& a) {
  w_.actuation.start(target, a, {}, 0, kHumanActionTimeout, false, nullptr);
}
void World::Impl::OnCallEnv::end_incident(std::size_t k, const std::string& why) {
  w_.faults.end_incident(k, why);
}

std::ptrdiff_t World::Impl::ActuationEnv::service_index(std::string_view name) const {
  auto it = w_.by_name.find(std::string(name));
  return it == w_.by_name.end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
}
Svc& World::Impl::ActuationEnv::service(std::size_t svc) {
  return w_.svcs[svc];
}
std::uint32_t World::Impl::ActuationEnv::restart(Svc& v, const std::string& why) {
  return w_.new_template(v, v.current, why);
}
std::uint32_t World::Impl::ActuationEnv::deploy(Svc& v, Release r, const std::string& why) {
  return w_.deploy_release(v, std::move(r), why);
}
void World::Impl::ActuationEnv::cache_purged(std::size_t svc, bool poisoned) {
  // The next tick's callers read the purge from seen_next (no tick copies it any more).
  w_.seen_next[svc].purged = w_.svcs[svc].purged;
  if (poisoned) w_.faults.end_cause_of_kind(svc, FaultKind::kPoisonedCache, "cache purged");
}
void World::Impl::ActuationEnv::flag_disabled(std::size_t svc, const std::string& flag,
                                              const std::string& detail) {
  w_.faults.flag_disabled(svc, flag, detail);
}
void World::Impl::ActuationEnv::traffic_shifted() {
  w_.any_shift = true;
  w_.shift_in.assign(w_.svcs.size(), 0.0);
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

void World::set_external_rule_evaluator(ExternalRuleEvaluator e) {
  impl_->external_eval = std::move(e);
}
void World::set_approval_handler(std::function<void(std::uint64_t, bool)> h) {
  impl_->oncall.set_approval_handler(std::move(h));
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
  impl_->flush_series();  // the chart buckets still open (not a change of the world's state)
  return impl_->tl;
}
Timeline World::take_timeline() {
  impl_->flush_series();
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
