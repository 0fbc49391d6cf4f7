// The Engine's public calls: one incident in (handle), a person's answers (approve, reset,
// kill switch, breaker reset, mode) and the restart path (resume). The pipeline itself is
// in pipeline.cpp; engine/engine_impl.hpp lists which file holds which concern.
#include "engine/engine.hpp"

#include <algorithm>

#include "core/duration.hpp"
#include "engine/defaults.hpp"
#include "engine/engine_impl.hpp"
#include "engine/time_text.hpp"

namespace selfheal::engine {

Engine::Impl::Impl(EngineContext c, PolicySet p, ClassifierModel m) : ctx(c) {
  set = std::make_shared<const PolicySet>(std::move(p));
  model = std::make_shared<const ClassifierModel>(std::move(m));
  mode = set->settings.mode;
  for (const auto& pol : set->policies) {
    by_type.emplace(std::string(canonical_incident_type(pol.incident_type)), &pol);
  }
}

// The ports are assumed to be a copy of other's: its timers pending under the same ids and
// tokens, its actions running under the same request ids, now addressed to this engine.
Engine::Impl::Impl(const Impl& other, EngineContext c) : EngineState(other), ctx(c) {}

// The ports' lifetime rule (engine/ports.hpp): nothing pending may call a destroyed engine.
Engine::Impl::~Impl() {
  for (const auto& [token, t] : timers)
    ctx.scheduler.cancel(t.id);
  ctx.actuator.forget(*this);
}

std::uint64_t Engine::Impl::arm(Duration delay, TimerTask task) {
  const std::uint64_t token = ++next_token;
  task.id = ctx.scheduler.after(delay, *this, token);
  timers.emplace(token, std::move(task));
  return token;
}

void Engine::Impl::disarm(std::uint64_t token) {
  auto it = timers.find(token);
  if (it == timers.end()) return;
  ctx.scheduler.cancel(it->second.id);
  timers.erase(it);
}

void Engine::Impl::on_timer(std::uint64_t token) {
  auto it = timers.find(token);
  if (it == timers.end()) return;  // cancelled after the scheduler had already committed to it
  const TimerTask t = std::move(it->second);
  timers.erase(it);
  switch (t.kind) {
    case TimerKind::kVerify:
      verify(t.target, t.action_id);
      break;
    case TimerKind::kCompletionPoll:
      await_completion(t.target, t.action_id, true);
      break;
    case TimerKind::kActionTimeout:
      on_timeout(t.target, t.action_id);
      break;
    case TimerKind::kFollowUp:
      follow_up(t.target);
      break;
    case TimerKind::kCorrelationCheck:
      recheck_joined(t.target);
      break;
  }
}

void Engine::Impl::start(const ActionRequest& req, AwaitedResult what) {
  awaited.insert_or_assign(req.id, std::move(what));
  ctx.actuator.execute(req, *this);
}

void Engine::Impl::on_action_done(std::uint64_t request_id, ActionResult r) {
  auto it = awaited.find(request_id);
  if (it == awaited.end()) return;  // not ours, or reported twice
  const AwaitedResult a = std::move(it->second);
  awaited.erase(it);
  if (a.undo) {
    undo_done(a.target, request_id, a.undo->failed, a.undo->why, r);
  } else {
    action_done(a.target, request_id, std::move(r));
  }
}

Duration Engine::Impl::verification_window(const Policy* p) {
  return p != nullptr ? p->verification_window : defaults::kVerificationWindow;
}

Duration Engine::Impl::completion_timeout(const Policy* p) {
  return p != nullptr ? p->completion_timeout : defaults::kCompletionTimeout;
}

std::string Engine::Impl::fingerprint_of(const Incident& inc) {
  if (!inc.fingerprint.empty()) return inc.fingerprint;
  return inc.target.key() + "|" + (inc.alertname.empty() ? "alert" : inc.alertname);
}
std::string Engine::Impl::dedup_key(const Incident& inc, const std::string& fp,
                                    std::string_view prefix) {
  // One allocation: every delivery asks the store about its firing's key.
  std::string key;
  key.reserve(prefix.size() + fp.size() + kDedupKeyRoom);
  key.append(prefix).append(fp);
  if (inc.started_at == TimePoint{}) return key;
  key += '@';
  key += std::to_string(core::to_unix_ms(inc.started_at));
  return key;
}

// ---------------------------------------------------------------------------------------

Engine::Engine(EngineContext ctx, PolicySet policies, ClassifierModel model)
    : impl_(std::make_unique<Impl>(ctx, std::move(policies), std::move(model))) {}

Engine::Engine(const Engine& other, EngineContext ctx)
    : impl_(std::make_unique<Impl>(*other.impl_, ctx)) {}

Engine::~Engine() = default;

Callbacks& Engine::callbacks() {
  return *impl_;
}

Decision Engine::handle(const Incident& incident) {
  return impl_->decide(incident, Impl::Pass::kDelivery);
}

void Engine::approve(std::uint64_t approval_id, bool approved) {
  auto& im = *impl_;
  auto it = im.approvals.find(approval_id);
  if (it == im.approvals.end()) {
    im.operator_record({}, "approval #" + std::to_string(approval_id) +
                               (approved ? " approved" : " declined") +
                               ": unknown or no longer pending (alert resolved?)");
    return;
  }
  const Impl::PendingApproval a = std::move(it->second);
  im.approvals.erase(it);
  auto rec = im.record(AuditKind::kOperator, a.incident.target, a.fingerprint);
  rec.policy = a.policy != nullptr ? a.policy->incident_type : "";
  rec.action = a.action;
  rec.success = approved;
  rec.reason = "approval #" + std::to_string(approval_id) + (approved ? " approved" : " declined") +
               " by a person";
  im.emit(std::move(rec));
  if (approved) {
    im.decide(a.incident, Impl::Pass::kApproved, &a);
  } else if (a.incident.started_at != TimePoint{}) {
    im.ctx.state.mark_seen(Impl::dedup_key(a.incident, a.fingerprint, "declined|"), im.now());
  }
}

void Engine::reset_target(const ServiceRef& target) {
  auto& im = *impl_;
  TargetState st = im.ctx.state.load(target);
  st.attempts = 0;
  st.ladder_step = 0;
  st.escalate_only = false;
  // A person who resets the target says the fault is dealt with: the recurrence count
  // starts again too.
  const bool had_history = !st.remediations.empty();
  st.remediations.clear();
  im.ctx.state.save(target, st);
  im.operator_record(target, std::string("target reset by a person: attempts, ladder") +
                                 (had_history ? ", escalate-only and recurrence history cleared"
                                              : " and escalate-only cleared"));
  im.close_episode(target);
}

void Engine::set_kill_switch(bool engaged) {
  impl_->ctx.state.set_kill_switch(engaged);
  impl_->operator_record({}, engaged ? "kill switch engaged: in-flight actions finish and are "
                                       "verified; no new action starts"
                                     : "kill switch released");
}

void Engine::reset_breaker() {
  auto& im = *impl_;
  BreakerState b = im.ctx.state.load_breaker();
  b.tripped = false;
  b.tripped_at.reset();
  b.recent_actions.clear();
  im.ctx.state.save_breaker(b);
  im.operator_record({}, "circuit breaker reset by a person");
}

void Engine::resume() {
  auto& im = *impl_;
  const TimePoint t = im.now();
  for (auto& [target, st] : im.ctx.state.in_flight()) {
    const InFlightAction fl = *st.in_flight;
    im.track(target, fl.action_id);
    im.next_action_id = std::max(im.next_action_id, fl.action_id);
    const Policy* p = im.lookup(fl.policy);
    const Duration window = Impl::verification_window(p);
    if (t - fl.verify_at > window) {
      // Far too late to judge the action by its window: say so rather than guess.
      auto rec = im.record(AuditKind::kVerification, target, fl.incident);
      rec.policy = fl.policy;
      rec.action = fl.action;
      rec.success = false;
      rec.reason = "verification missed: due at " + format_time(fl.verify_at) +
                   ", engine resumed " + core::format_duration(t - fl.verify_at) + " later";
      im.emit(std::move(rec));
      st.in_flight.reset();
      im.ctx.state.save(target, st);
      im.untrack(target);
      im.escalate(target, fl.incident, p, Outcome::kMaxAttemptsReached, "error",
                  "verification of " + std::string(to_string(fl.action.kind)) + " on " +
                      target.key() + " was missed while the engine was down; check it",
                  std::nullopt, {});
      continue;
    }
    const Duration wait = fl.verify_at > t ? fl.verify_at - t : Duration::zero();
    const std::uint64_t id = fl.action_id;
    im.episodes[target].verify_timer = im.arm(wait, {Impl::TimerKind::kVerify, target, id});
    im.operator_record(target, "resumed: verification of action #" + std::to_string(id) +
                                   " re-armed for " + format_time(fl.verify_at));
  }
}

const PolicySet& Engine::policies() const {
  return *impl_->set;
}

void Engine::set_audit_text(bool keep) {
  impl_->audit_text = keep;
}

void Engine::set_mode(Mode m) {
  impl_->mode = m;
  impl_->operator_record({}, "mode set to " + std::string(to_string(m)));
}

}  // namespace selfheal::engine
