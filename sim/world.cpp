// The world: builds the parts from the spec (World::Impl, sim/world_impl.hpp, one file
// per part) and implements the public World API over them.
#include "sim/world.hpp"

#include <cmath>
#include <stdexcept>
#include <utility>

#include "sim/world_impl.hpp"

namespace selfheal::sim {

using namespace model;

World::Impl::Impl(const ClusterSpec& s, std::uint64_t seed, WorldOptions o)
    : spec(s), opts(o), sim(seed, s.start) {
  start_ms = core::to_unix_ms(spec.start);
  scrape_ms = spec.scrape_interval.count();
  phi = std::exp(-static_cast<double>(scrape_ms) / kNoiseCorrelationMs);
  phi_innov = std::sqrt(1.0 - phi * phi);
  if (spec.capacity_pods) capacity = *spec.capacity_pods;
  build_services();
  build_adjacency();
  build_rules();
  if (opts.prometheus_series) build_prom_series();
  build_timeline();
  schedule_scenario();
  sim.at(spec.start, [this] { tick(); });
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
