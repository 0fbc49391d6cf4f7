#include "scenario/world_run.hpp"

#include <functional>
#include <utility>

#include "engine/engine.hpp"
#include "scenario/prom_rules.hpp"
#include "scenario/prom_telemetry.hpp"

namespace selfheal::scenario {
namespace {

// The hold of an intervention: the engine reads the held target as escalate-only (it
// decides and escalates but never acts). Everything else passes through to the world's
// store, so the engine's state for other targets is exactly the plain run's.
class HeldStateStore final : public engine::StateStore {
 public:
  explicit HeldStateStore(engine::StateStore& inner) : inner_(inner) {}
  void hold(engine::ServiceRef target) { held_ = std::move(target); }

  engine::TargetState load(const engine::ServiceRef& target) override {
    engine::TargetState s = inner_.load(target);
    if (held_ && *held_ == target) s.escalate_only = true;
    return s;
  }
  void save(const engine::ServiceRef& target, const engine::TargetState& state) override {
    inner_.save(target, state);
  }
  std::vector<std::pair<engine::ServiceRef, engine::TargetState>> in_flight() override {
    return inner_.in_flight();
  }
  engine::BreakerState load_breaker() override { return inner_.load_breaker(); }
  void save_breaker(const engine::BreakerState& b) override { inner_.save_breaker(b); }
  bool kill_switch() override { return inner_.kill_switch(); }
  void set_kill_switch(bool engaged) override { inner_.set_kill_switch(engaged); }
  bool seen(const std::string& key) override { return inner_.seen(key); }
  void mark_seen(const std::string& key, core::TimePoint at) override { inner_.mark_seen(key, at); }

 private:
  engine::StateStore& inner_;
  std::optional<engine::ServiceRef> held_;
};

// Injected classifications (a fault's `classification:`) ride on every notification on the
// named service while that fault's incident is active, as an AI service would attach them.
engine::Incident classified(const Scenario& s, const sim::World& world,
                            const engine::Incident& incoming) {
  engine::Incident inc = incoming;
  const core::TimePoint now = world.now();
  for (const auto& c : s.classifications) {
    if (c.service != inc.target.name) continue;
    const sim::IncidentRecord* rec = world.timeline().incident(c.fault);
    if (!rec || rec->start > now) continue;
    // Over once the cause has stopped and the services recovered (a leak that recovered
    // after a restart but still leaks is still this incident).
    const bool cause_over = rec->end && *rec->end <= now;
    if (cause_over && rec->recovered && *rec->recovered <= now) continue;
    inc.classification = c.classification;
  }
  return inc;
}

}  // namespace

WorldRun run_world(const Scenario& s, std::uint64_t seed, const sim::ClusterSpec& spec,
                   engine::PolicySet policies, sim::WorldOptions world_options,
                   const Intervention* iv, core::TimePoint until) {
  const bool promql = uses_promql(policies);
  if (promql || !s.prometheus_rules.empty()) world_options.prometheus_series = true;
  sim::World world{spec, seed, world_options};
  engine::EngineContext base = world.context();
  HeldStateStore held{base.state};
  WorldSeriesSource source{world};
  // A Prometheus rule file's alerts are the last of the world's rules (scenario/prom_rules.hpp).
  PromRuleEvaluator rules{s.prometheus_rules,
                          sim::effective_alert_rules(spec).size() - s.prometheus_rules.size(),
                          source, spec};
  if (!s.prometheus_rules.empty()) world.set_external_rule_evaluator(std::ref(rules));
  PromqlTelemetry promql_telemetry{base.telemetry, source, world};
  engine::Telemetry& telemetry = promql ? promql_telemetry : base.telemetry;
  engine::EngineContext ctx{base.clock,    base.scheduler, telemetry, base.topology, base.calendar,
                            base.actuator, base.notifier,  held,      base.audit};
  engine::Engine eng{ctx, std::move(policies), engine::ClassifierModel::builtin()};
  WorldRun out;
  std::size_t ordinal = 0;
  world.set_incident_sink([&](const engine::Incident& incoming) {
    const std::size_t n = ordinal++;
    if (iv && iv->replace && n == iv->notification) {
      held.hold({spec.ns, iv->target});
      if (iv->action) {
        engine::ActionRequest r;
        r.id = kInterventionActionId;
        r.target = {spec.ns, iv->target};
        r.action = *iv->action;
        base.actuator.execute(r, [](engine::ActionResult) {});
      }
      return;
    }
    const std::size_t before = world.timeline().events.size();
    eng.handle(s.classifications.empty() ? incoming : classified(s, world, incoming));
    const auto& events = world.timeline().events;
    for (std::size_t k = before; k < events.size(); ++k)
      if (events[k].kind == sim::EventKind::kDecision) out.notification_of[k] = n;
  });
  world.set_approval_handler([&](std::uint64_t id, bool ok) { eng.approve(id, ok); });
  world.run_until(until);
  out.timeline = world.take_timeline();
  for (const auto& [alert, note] : rules.unmapped())
    out.rule_notes.push_back(note);
  return out;
}

}  // namespace selfheal::scenario
