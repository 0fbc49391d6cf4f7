// The on-call person: answers pages and approval requests after a response time (night and
// weekend aware), judges suggested actions against the ground truth, and applies the
// scenario's human fix when automation did not. The order of its events on the kernel is
// part of a run's determinism: each page or answer is one event at now + response time.
#include "sim/oncall.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "engine/story.hpp"
#include "sim/actuation.hpp"
#include "sim/model_types.hpp"

namespace selfheal::sim {

using engine::ActionKind;

core::Duration oncall_response_time(const OnCallSpec& oc, core::TimePoint now) {
  if (!oc.night_response_time) return oc.response_time;
  const auto day = std::chrono::floor<std::chrono::days>(now);
  const int hour =
      static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(now - day).count());
  const unsigned wd = std::chrono::weekday{std::chrono::sys_days{day}}.c_encoding();
  const bool weekend = wd == 0 || wd == 6;
  const bool business = hour >= oc.business_hours_start && hour < oc.business_hours_end &&
                        !(weekend && oc.weekends_are_night);
  return business ? oc.response_time : *oc.night_response_time;
}

OnCall::OnCall(OnCallSpec spec, std::string ns, Simulation& sim, Env& env)
    : spec_(std::move(spec)),
      ns_(std::move(ns)),
      sim_(&sim),
      env_(&env),
      target_(sim.add_target(*this)) {}

OnCall::OnCall(const OnCall& o, Simulation& sim, Env& env) : OnCall(o) {
  sim_ = &sim;
  env_ = &env;
  approval_handler_ = nullptr;
  sim.add_target_as(*this, target_, "OnCall");
}

void OnCall::on_event(const Event& e) {
  // Out of the tables first: what runs may ask or page again.
  const auto missing = [] {
    throw std::logic_error("OnCall: an event for an answer or acknowledgement not due");
  };
  switch (static_cast<Due>(e.kind)) {
    case Due::kAnswer: {
      auto node = answers_.extract(e.a);
      if (!node) missing();
      const Answer& a = node.mapped();
      return answer_approval(a.id, a.suggested, a.target, a.svc);
    }
    case Due::kAck: {
      auto node = acks_.extract(e.a);
      if (!node) missing();
      const Ack& a = node.mapped();
      if (a.k < 0) {
        env_->log(EventKind::kOnCallAck, env_->service_name(a.svc), "ack",
                  a.why + ": no incident found, nothing to do");
        return;
      }
      return acknowledge(static_cast<std::size_t>(a.k), a.svc);
    }
    case Due::kFix:
      return env_->end_incident(static_cast<std::size_t>(e.a), "fixed by the on-call");
  }
}

core::Duration OnCall::response_time(core::TimePoint now) const {
  return oncall_response_time(spec_, now);
}

void OnCall::engage(std::size_t k) {
  if (engaged_.size() <= k) engaged_.resize(std::max(k + 1, env_->incidents()), 0);
  engaged_[k] = 1;
}

void OnCall::escalate(const engine::Escalation& e) {
  const bool approval = e.approval_id != 0;
  const bool text = env_->page_text();
  std::string detail;
  if (text) {
    detail = e.summary;
    if (e.suggested_action) {
      detail += " [suggested: " +
                (e.suggested_argv.empty() ? describe_action(e.target, *e.suggested_action)
                                          : model::join_argv(e.suggested_argv)) +
                "]";
    }
    detail += " -> " + e.channel;
  }
  // An update: more services joined an open page's incident; nobody is re-paged.
  const EventKind kind = e.update   ? EventKind::kPageUpdate
                         : approval ? EventKind::kApprovalRequest
                                    : EventKind::kPage;
  auto& ev =
      env_->log(kind, e.target.name, std::string(engine::to_string(e.reason)), std::move(detail));
  ev.fingerprint = e.incident;
  if (!e.update) ev.action_id = e.approval_id;
  ev.automated = true;
  ev.channel = e.channel;
  if (text) ev.story = engine::escalation_story(e);
  for (const auto& a : e.affected)
    ev.affected.push_back(a.key());
  if (e.update) return;
  const std::ptrdiff_t found = env_->service_index(e.target.name);
  if (found < 0) return;
  const auto svc = static_cast<std::size_t>(found);
  if (!approval) {
    page(svc, "page via " + e.channel);
    return;
  }
  const std::uint64_t key = next_key_++;
  answers_.emplace(key, Answer{e.approval_id, e.suggested_action, e.target.name, svc});
  sim_->after(response_time(sim_->now()), target_,
              Event{static_cast<std::uint32_t>(Due::kAnswer), key, 0});
}

// Approve when the action helps any incident active on the target; a denial reaches the
// person, who takes the incident over.
void OnCall::answer_approval(std::uint64_t id, const std::optional<engine::ActionSpec>& suggested,
                             const std::string& target, std::size_t svc) {
  const std::ptrdiff_t k = env_->attribute(svc);
  bool approved = false;
  std::string why = "no incident found on " + target + ": denied";
  if (k >= 0 && suggested) {
    why = judge(env_->record(static_cast<std::size_t>(k)).truth, suggested->kind, target).reason;
    for (std::size_t j = 0; j < env_->incidents() && !approved; ++j) {
      if (!env_->active_for(j, svc)) continue;
      const auto verdict = judge(env_->record(j).truth, suggested->kind, target);
      if (verdict.helpful) {
        approved = true;
        why = verdict.reason;
      }
    }
  } else if (k >= 0) {
    why = "no action suggested: denied";
  }
  auto& ev = env_->log(EventKind::kApprovalAnswer, target, approved ? "approved" : "denied", why);
  ev.action_id = id;
  ev.success = approved;
  if (approval_handler_) approval_handler_(id, approved);
  if (!approved && k >= 0) acknowledge(static_cast<std::size_t>(k), svc);
}

void OnCall::page(std::size_t svc, const std::string& why) {
  const std::ptrdiff_t k = env_->attribute(svc);
  if (k >= 0 && engaged(static_cast<std::size_t>(k))) return;
  if (k >= 0) engage(static_cast<std::size_t>(k));
  const std::uint64_t key = next_key_++;
  acks_.emplace(key, Ack{k, svc, why});
  sim_->after(response_time(sim_->now()), target_,
              Event{static_cast<std::uint32_t>(Due::kAck), key, 0});
}

void OnCall::acknowledge(std::size_t k, std::size_t svc) {
  engage(k);
  const IncidentRecord& rec = env_->record(k);
  const GroundTruth& gt = rec.truth;
  env_->log(EventKind::kOnCallAck, env_->service_name(svc), "ack",
            "on-call acknowledged " + gt.id + " (" + gt.kind + " on " + gt.root_service + ")")
      .incident = gt.id;
  const bool ended = env_->cause_ended(k);
  if (ended && (!rec.impact || rec.recovered)) {
    env_->log(EventKind::kOnCallFix, gt.root_service, "none", "already recovered: no action")
        .incident = gt.id;
    return;
  }
  std::string note = gt.human_note;
  bool act = gt.human_fix.has_value();
  const Env::RootState root = env_->root_state(k);
  if (act && root.known) {
    // Do not repeat what automation already did.
    if (gt.human_fix->kind == ActionKind::kRollback && !root.release_bad) {
      act = false;
      note = "release already rolled back: no action";
    } else if (gt.human_fix->kind == ActionKind::kCachePurge && !root.cache_poisoned) {
      act = false;
      note = "cache already purged: no action";
    } else if (gt.human_fix->kind == ActionKind::kFeatureFlagDisable && ended) {
      act = false;
      note = "flag already disabled: no action";
    }
  }
  env_->log(EventKind::kOnCallFix, act ? gt.human_fix_service : gt.root_service,
            act ? std::string(engine::to_string(gt.human_fix->kind)) : std::string("wait"), note)
      .incident = gt.id;
  if (act) env_->act({ns_, gt.human_fix_service}, *gt.human_fix);
  // Re-read: the fix may have stopped the cause already (a cache purge, a flag turned off).
  if (gt.human_fix_ends_cause && !env_->cause_ended(k)) {
    sim_->after(spec_.fix_time, target_, Event{static_cast<std::uint32_t>(Due::kFix), k, 0});
  }
}

}  // namespace selfheal::sim
