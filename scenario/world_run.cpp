#include "scenario/world_run.hpp"

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "engine/engine.hpp"
#include "scenario/prom_rules.hpp"
#include "scenario/prom_telemetry.hpp"

namespace selfheal::scenario {
// Named, not anonymous: WorldRunner::Impl has fields of these types, and gcc warns
// (-Wsubobject-linkage) about such a class in an #included file, which this file is in
// the unity build of the `ci` presets.
namespace world_run_parts {

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

// Counts the engine's timers as they fire and hands each to `fire` with its ordinal, so a
// decision made inside a timer (the next rung after a failed verification) has a branch
// point. Firing order is the kernel's, so the n-th timer is the same one in every re-run.
// A Scheduler to the engine and the Callbacks of the inner scheduler: each timer is armed
// on the inner one addressed to this, under the engine's own token, and passed on to the
// engine when it fires. One engine uses it (a WorldRunner's).
class CountingScheduler final : public engine::Scheduler, public engine::Callbacks {
 public:
  using Fire = std::function<void(std::size_t ordinal, const std::function<void()>& cb)>;
  CountingScheduler(engine::Scheduler& inner, Fire fire) : inner_(inner), fire_(std::move(fire)) {}
  engine::TimerId after(core::Duration delay, engine::Callbacks& to, std::uint64_t token) override {
    if (to_ != nullptr && to_ != &to)
      throw std::logic_error("CountingScheduler: timers of a second engine");
    to_ = &to;
    return inner_.after(delay, *this, token);
  }
  bool cancel(engine::TimerId id) override { return inner_.cancel(id); }
  /// A fork: `o`'s count carried on, its timers now for `to` (the copied engine).
  void carry_on(const CountingScheduler& o, engine::Callbacks& to) {
    fired_ = o.fired_;
    to_ = o.to_ ? &to : nullptr;
  }

 private:
  void on_timer(std::uint64_t token) override {
    fire_(fired_++, [this, token] { to_->on_timer(token); });
  }
  void on_action_done(std::uint64_t, engine::ActionResult) override {}

  engine::Scheduler& inner_;
  Fire fire_;
  std::size_t fired_ = 0;
  engine::Callbacks* to_ = nullptr;  // the engine whose timers these are
};

// The intervention's own action reports to no one (world_run.hpp: it is not the engine's).
class IgnoredResults final : public engine::Callbacks {
 public:
  void on_timer(std::uint64_t) override {}
  void on_action_done(std::uint64_t, engine::ActionResult) override {}
};

// Injected classifications (a fault's `classification:`) ride on every notification on the
// named service while that fault's incident is active, as an AI service would attach them:
// attached to the world's notification itself (World::set_incident_sink), not to a copy.
void classify_injected(const Scenario& s, const sim::World& world, engine::Incident& inc) {
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
}

}  // namespace world_run_parts
using namespace world_run_parts;

struct WorldRunner::Impl {
  Impl(const Scenario& sc, std::uint64_t seed, const sim::ClusterSpec& sp,
       engine::PolicySet policies, sim::WorldOptions world_options,
       const Intervention* intervention)
      : Impl(sc, sp, uses_promql(policies) || sc.signal_queries, intervention,
             std::make_unique<sim::World>(
                 sp, seed,
                 with_series(world_options, uses_promql(policies) || sc.signal_queries ||
                                                !sc.prometheus_rules.empty())),
             nullptr) {
    eng.emplace(ctx, std::move(policies), engine::ClassifierModel::builtin());
    // A world that keeps no audit (a branch) reads none of the engine's text either.
    eng->set_audit_text(world_options.record_audit);
  }
  // fork(): `o`'s world and engine copied, its counters carried on, and what the copied
  // world owes o's engine, timer wrapper and ignored results owed to this one's.
  Impl(Impl& o, const Intervention* intervention, sim::CopyOptions copy)
      : Impl(o.s, o.spec, o.promql, intervention, o.world->copy(copy), &o) {
    notifications = o.notifications;
    answers = o.answers;
    eng.emplace(*o.eng, ctx);
    timers.carry_on(o.timers, eng->callbacks());
    world->rebind(o.timers, timers);
    world->rebind(o.eng->callbacks(), eng->callbacks());
    world->rebind(o.ignored, ignored);
  }

  // The shared part of both constructors: everything but the engine. A fork (`from` set)
  // carries the PromQL caches on: they hold what the copied world's rings hold.
  Impl(const Scenario& sc, const sim::ClusterSpec& sp, bool uses_promql,
       const Intervention* intervention, std::unique_ptr<sim::World> w, const Impl* from)
      : s(sc),
        spec(sp),
        promql(uses_promql),
        world(std::move(w)),
        base(world->context()),
        held{base.state},
        source{from ? WorldSeriesSource(from->source, *world) : WorldSeriesSource(*world)},
        // A Prometheus rule file's alerts are the last of the world's rules (prom_rules.hpp).
        rules{from ? PromRuleEvaluator(from->rules, source)
                   : PromRuleEvaluator(
                         sc.prometheus_rules,
                         sim::effective_alert_rules(sp).size() - sc.prometheus_rules.size(), source,
                         sp)},
        promql_telemetry{
            from ? PromqlTelemetry(from->promql_telemetry, base.telemetry, source, *world)
                 : PromqlTelemetry(base.telemetry, source, *world,
                                   sc.signal_queries ? &*sc.signal_queries : nullptr)},
        iv(intervention ? std::optional<Intervention>(*intervention) : std::nullopt),
        timers{base.scheduler,
               [this](std::size_t n, const std::function<void()>& cb) {
                 if (at(PointKind::kTimer, n)) intervene();
                 call(PointKind::kTimer, n, cb);
               }},
        ctx{base.clock,
            timers,
            promql ? static_cast<engine::Telemetry&>(promql_telemetry) : base.telemetry,
            base.topology,
            base.calendar,
            base.actuator,
            base.notifier,
            held,
            base.audit} {
    if (!s.prometheus_rules.empty()) world->set_external_rule_evaluator(std::ref(rules));
    world->set_incident_sink([this](engine::Incident& incoming) {
      const std::size_t n = notifications++;
      if (at(PointKind::kNotification, n)) {
        intervene();
        return;
      }
      call(PointKind::kNotification, n, [&] {
        classify_injected(s, *world, incoming);
        eng->handle(incoming);
      });
    });
    world->set_approval_handler([this](std::uint64_t id, bool ok) {
      const std::size_t n = answers++;
      if (at(PointKind::kApproval, n)) intervene();
      call(PointKind::kApproval, n, [&] { eng->approve(id, ok); });
    });
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  bool at(PointKind kind, std::size_t n) const {
    return iv && iv->replace && iv->point.kind == kind && iv->point.ordinal == n;
  }
  // Holds the target and executes the alternative at the branch point (world_run.hpp).
  void intervene() {
    // A fork taken where the main run's event count said: the point must fall in that
    // event, or the fork is not the run it stands for.
    const std::uint64_t event = world->simulation().dispatched();
    if (iv->point.event != 0 && iv->point.event != event)
      throw std::logic_error("intervention: branch point reached in event " +
                             std::to_string(event) + ", expected in event " +
                             std::to_string(iv->point.event));
    held.hold({spec.ns, iv->target});
    if (!iv->action) return;
    engine::ActionRequest r;
    r.id = kInterventionActionId;
    r.target = {spec.ns, iv->target};
    r.action = *iv->action;
    base.actuator.execute(r, ignored);
  }
  // Runs one call into the engine and records the branch point of the decisions it made.
  template <class F>
  void call(PointKind kind, std::size_t n, const F& fn) {
    // By audit index: the audit is append-only, while a recovery is inserted into the
    // events back-dated to where its hold began, shifting the later events' indices.
    const auto& audit = world->timeline().audit;
    const std::size_t before = audit.size();
    fn();
    const std::uint64_t event = world->simulation().dispatched();
    for (std::size_t k = before; k < audit.size(); ++k)
      if (audit[k].kind == engine::AuditKind::kDecision)
        out.point_of[k] = BranchPoint{kind, n, event};
  }

  // The world publishes Prometheus series only when a policy check, the signals or a rule
  // file read them.
  static sim::WorldOptions with_series(sim::WorldOptions o, bool series) {
    if (series) o.prometheus_series = true;
    return o;
  }

  const Scenario& s;
  const sim::ClusterSpec& spec;
  bool promql;  // some policy check is PromQL, or the signals are (signals: serve_config)
  std::unique_ptr<sim::World> world;
  engine::EngineContext base;
  HeldStateStore held;
  WorldSeriesSource source;
  PromRuleEvaluator rules;
  PromqlTelemetry promql_telemetry;
  std::optional<Intervention> iv;
  IgnoredResults ignored;
  CountingScheduler timers;
  engine::EngineContext ctx;
  std::optional<engine::Engine> eng;  // set last: its ports are the members above
  WorldRun out;
  std::size_t notifications = 0;
  std::size_t answers = 0;
};

WorldRunner::WorldRunner(const Scenario& s, std::uint64_t seed, const sim::ClusterSpec& spec,
                         engine::PolicySet policies, sim::WorldOptions world_options,
                         const Intervention* intervention)
    : impl_(std::make_unique<Impl>(s, seed, spec, std::move(policies), world_options,
                                   intervention)) {}
WorldRunner::WorldRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WorldRunner::~WorldRunner() = default;
WorldRunner::WorldRunner(WorldRunner&&) noexcept = default;

void WorldRunner::run_until(core::TimePoint t) {
  impl_->world->run_until(t);
}
void WorldRunner::run_to_event(std::uint64_t n) {
  if (n > 0) impl_->world->run_until_dispatched(n - 1);
}
WorldRunner WorldRunner::fork(const Intervention* intervention, sim::CopyOptions copy) const {
  return WorldRunner(std::make_unique<Impl>(*impl_, intervention, copy));
}
core::TimePoint WorldRunner::now() const {
  return impl_->world->now();
}
const sim::Timeline& WorldRunner::timeline() const {
  return impl_->world->timeline();
}
WorldRun WorldRunner::take() {
  impl_->out.timeline = impl_->world->take_timeline();
  for (const auto& [alert, note] : impl_->rules.unmapped())
    impl_->out.rule_notes.push_back(note);
  return std::move(impl_->out);
}

WorldRun run_world(const Scenario& s, std::uint64_t seed, const sim::ClusterSpec& spec,
                   engine::PolicySet policies, sim::WorldOptions world_options,
                   const Intervention* iv, core::TimePoint until) {
  WorldRunner r{s, seed, spec, std::move(policies), world_options, iv};
  r.run_until(until);
  return r.take();
}

}  // namespace selfheal::scenario
