// The on-call person: answers pages and approval requests after a response time (night and
// weekend aware), judges suggested actions against the ground truth, and applies the
// scenario's human fix when automation did not.
#include <chrono>
#include <optional>
#include <string>

#include "engine/story.hpp"
#include "sim/world_impl.hpp"

namespace selfheal::sim {

using namespace model;
using engine::ActionKind;

inline Duration World::Impl::response_time(TimePoint now) const {
  const auto& oc = spec.oncall;
  if (!oc.night_response_time) return oc.response_time;
  const auto tpnt = now;
  const auto day = std::chrono::floor<std::chrono::days>(tpnt);
  const int hour =
      static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(tpnt - day).count());
  const unsigned wd = std::chrono::weekday{std::chrono::sys_days{day}}.c_encoding();
  const bool weekend = wd == 0 || wd == 6;
  const bool business = hour >= oc.business_hours_start && hour < oc.business_hours_end &&
                        !(weekend && oc.weekends_are_night);
  return business ? oc.response_time : *oc.night_response_time;
}

inline void World::Impl::escalate(const engine::Escalation& e) {
  const bool approval = e.approval_id != 0;
  std::string detail = e.summary;
  if (e.suggested_action) {
    detail += " [suggested: " +
              (e.suggested_argv.empty() ? describe_action(e.target, *e.suggested_action)
                                        : join_argv(e.suggested_argv)) +
              "]";
  }
  if (e.update) {
    // More services joined an open page's incident: the page is updated, nobody re-paged.
    auto& ev = log(EventKind::kPageUpdate, e.target.name, std::string(engine::to_string(e.reason)),
                   detail + " -> " + e.channel);
    ev.fingerprint = e.incident;
    ev.automated = true;
    ev.channel = e.channel;
    ev.story = engine::escalation_story(e);
    for (const auto& a : e.affected)
      ev.affected.push_back(a.key());
    return;
  }
  {
    auto& ev = log(approval ? EventKind::kApprovalRequest : EventKind::kPage, e.target.name,
                   std::string(engine::to_string(e.reason)), detail + " -> " + e.channel);
    ev.fingerprint = e.incident;
    ev.action_id = e.approval_id;
    ev.automated = true;
    ev.channel = e.channel;
    ev.story = engine::escalation_story(e);
    for (const auto& a : e.affected)
      ev.affected.push_back(a.key());
  }
  auto it = by_name.find(e.target.name);
  if (it == by_name.end()) return;
  const std::size_t svc = it->second;
  if (!approval) {
    page_oncall(svc, "page via " + e.channel);
    return;
  }
  const std::uint64_t id = e.approval_id;
  const std::optional<engine::ActionSpec> suggested = e.suggested_action;
  const std::string target = e.target.name;
  sim.after(response_time(sim.now()), [this, id, suggested, target, svc] {
    const std::ptrdiff_t k = attribute(svc);
    bool approved = false;
    std::string why = "no incident found on " + target + ": denied";
    if (k >= 0 && suggested) {
      // Approve when the action helps any incident active on the target.
      why = judge(tl.incidents[static_cast<std::size_t>(k)].truth, suggested->kind, target).reason;
      for (std::size_t j = 0; j < inc.size() && !approved; ++j) {
        if (!active_for(j, svc)) continue;
        const auto verdict = judge(tl.incidents[j].truth, suggested->kind, target);
        if (verdict.helpful) {
          approved = true;
          why = verdict.reason;
        }
      }
    } else if (k >= 0) {
      why = "no action suggested: denied";
    }
    auto& ev = log(EventKind::kApprovalAnswer, target, approved ? "approved" : "denied", why);
    ev.action_id = id;
    ev.success = approved;
    if (approval_handler) approval_handler(id, approved);
    if (!approved && k >= 0) acknowledge(static_cast<std::size_t>(k), svc);
  });
}

inline void World::Impl::page_oncall(std::size_t svc, const std::string& why) {
  const std::ptrdiff_t k = attribute(svc);
  if (k >= 0 && inc[static_cast<std::size_t>(k)].engaged) return;
  if (k >= 0) inc[static_cast<std::size_t>(k)].engaged = true;
  sim.after(response_time(sim.now()), [this, k, svc, why] {
    if (k < 0) {
      log(EventKind::kOnCallAck, svcs[svc].spec->name, "ack",
          why + ": no incident found, nothing to do");
      return;
    }
    acknowledge(static_cast<std::size_t>(k), svc);
  });
}

inline void World::Impl::acknowledge(std::size_t k, std::size_t svc) {
  auto& rt = inc[k];
  rt.engaged = true;
  auto& rec = tl.incidents[k];
  const GroundTruth& gt = rec.truth;
  {
    auto& e =
        log(EventKind::kOnCallAck, svcs[svc].spec->name, "ack",
            "on-call acknowledged " + gt.id + " (" + gt.kind + " on " + gt.root_service + ")");
    e.incident = gt.id;
  }
  if (rt.ended && (!rec.impact || rec.recovered)) {
    auto& e = log(EventKind::kOnCallFix, gt.root_service, "none", "already recovered: no action");
    e.incident = gt.id;
    return;
  }
  std::string note = gt.human_note;
  bool act = gt.human_fix.has_value();
  if (act && rt.root >= 0) {
    const Svc& v = svcs[static_cast<std::size_t>(rt.root)];
    // Do not repeat what automation already did.
    if (gt.human_fix->kind == ActionKind::kRollback && !v.releases[v.current].bad) {
      act = false;
      note = "release already rolled back: no action";
    } else if (gt.human_fix->kind == ActionKind::kCachePurge && v.poison <= 0) {
      act = false;
      note = "cache already purged: no action";
    } else if (gt.human_fix->kind == ActionKind::kFeatureFlagDisable && rt.ended) {
      act = false;
      note = "flag already disabled: no action";
    }
  }
  {
    auto& e =
        log(EventKind::kOnCallFix, act ? gt.human_fix_service : gt.root_service,
            act ? std::string(engine::to_string(gt.human_fix->kind)) : std::string("wait"), note);
    e.incident = gt.id;
  }
  if (act) {
    start_action({spec.ns, gt.human_fix_service}, *gt.human_fix, {}, 0, kHumanActionTimeout, false,
                 nullptr);
  }
  if (gt.human_fix_ends_cause && !rt.ended) {
    sim.after(spec.oncall.fix_time, [this, k] { end_incident(k, "fixed by the on-call"); });
  }
}

}  // namespace selfheal::sim
