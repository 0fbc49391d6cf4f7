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

Engine::Impl::Impl(EngineContext c, PolicySet p, ClassifierModel m)
    : ctx(c), set(std::move(p)), model(std::move(m)), mode(set.settings.mode) {
  for (const auto& pol : set.policies) {
    by_type.emplace(std::string(canonical_incident_type(pol.incident_type)), &pol);
  }
}

Engine::Impl::~Impl() {
  for (auto& [ref, e] : episodes) {
    for (TimerId t : {e.verify_timer, e.timeout_timer, e.followup_timer}) {
      if (t != 0) ctx.scheduler.cancel(t);
    }
  }
  for (auto& [ref, j] : joined)
    if (j.timer != 0) ctx.scheduler.cancel(j.timer);
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

Engine::~Engine() = default;

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
    const ServiceRef tg = target;
    im.episodes[target].verify_timer =
        im.ctx.scheduler.after(wait, im.guarded([&im, tg, id] { im.verify(tg, id); }));
    im.operator_record(target, "resumed: verification of action #" + std::to_string(id) +
                                   " re-armed for " + format_time(fl.verify_at));
  }
}

const PolicySet& Engine::policies() const {
  return impl_->set;
}

void Engine::set_mode(Mode m) {
  impl_->mode = m;
  impl_->operator_record({}, "mode set to " + std::string(to_string(m)));
}

}  // namespace selfheal::engine
