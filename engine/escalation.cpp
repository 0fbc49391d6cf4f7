// Audit records, pages and episodes: every step of the pipeline ends here, in `finish`,
// which writes the decision record and pages when the outcome escalates. A page is sent
// once per episode and severity (a higher severity pages again); approval requests always
// go out, since they need an answer.
#include <algorithm>

#include "engine/defaults.hpp"
#include "engine/engine_impl.hpp"

namespace selfheal::engine {
namespace {

int severity_rank(const std::string& s) {
  if (s == "critical") return 3;
  if (s == "error") return 2;
  if (s == "warning") return 1;
  return 0;
}

std::string severity_for(Outcome o) {
  switch (o) {
    case Outcome::kMaxAttemptsReached:
      return "critical";
    case Outcome::kDependencyFailure:
    case Outcome::kRateLimited:
      return "error";
    case Outcome::kApprovalRequired:
      return "info";
    default:
      return "warning";
  }
}

}  // namespace

AuditRecord Engine::Impl::record(AuditKind kind, const ServiceRef& target, const std::string& fp) {
  AuditRecord r;
  r.kind = kind;
  r.target = target;
  r.incident = fp;
  return r;
}

void Engine::Impl::emit(AuditRecord r, bool keep_in_history) {
  if (!audit_text) {
    // The hot records (decisions, pages) are built without their text, so this clears
    // nothing there; it holds the contract for the rarer ones (action results,
    // verifications, operator records).
    r.classification.reset();
    r.policy.clear();
    r.guardrail.clear();
    r.reason.clear();
    r.action.reset();
    r.argv.clear();
    r.detail.clear();
  }
  r.seq = ++seq;
  r.time = now();
  ctx.audit.record(r);
  if (keep_in_history && audit_text) {
    auto& h = episodes[r.target].history;
    h.push_back(std::move(r));
    if (h.size() > defaults::kMaxHistory) h.pop_front();
  }
}

// Sends an escalation unless a page of the same or higher severity is already open for
// this target's episode. Approval requests always go out (they need an answer).
bool Engine::Impl::escalate(const ServiceRef& target, const std::string& fp, const Policy* policy,
                            Outcome why, const std::string& severity, const std::string& summary,
                            const std::optional<ActionSpec>& suggested,
                            const std::vector<std::string>& argv, std::uint64_t approval_id,
                            std::optional<ServiceRef> upstream, bool force) {
  auto& ep = episodes[target];
  if (approval_id == 0 && !force && !ep.page_severity.empty() &&
      severity_rank(severity) <= severity_rank(ep.page_severity)) {
    return false;
  }
  Escalation e;
  e.incident = fp;
  e.target = target;
  e.channel =
      policy != nullptr ? policy->escalation_channel : std::string(defaults::kDefaultChannel);
  e.severity = severity;
  e.summary = summary;
  e.reason = why;
  e.suggested_action = suggested;
  e.suggested_argv = argv;
  e.approval_id = approval_id;
  e.upstream = std::move(upstream);
  // Flapping: a later page of the same incident (a higher severity) updates the open page
  // (same incident, so the same PagerDuty dedup_key) instead of paging again.
  const bool flap_update = approval_id == 0 && ep.flap_cycle > 0 && !ep.page_severity.empty();
  if (flap_update) {
    e.incident = ep.page.incident;
    e.update = true;
  }
  if (approval_id == 0) ep.page = e;  // what an update re-sends (correlation.cpp)
  if (!ep.affected.empty()) {
    // Correlation: the root's page names every caller that joined its incident.
    e.affected = ep.affected;
    if (audit_text) e.summary += " (affected: " + service_list(ep.affected) + ")";
  }
  if (audit_text) e.history.assign(ep.history.begin(), ep.history.end());
  if (approval_id == 0 && severity_rank(severity) >= severity_rank(ep.page_severity)) {
    ep.page_severity = severity;
  }
  auto r = record(AuditKind::kEscalation, target, fp);
  r.outcome = why;
  r.escalate = true;
  if (audit_text) {
    r.policy = policy != nullptr ? policy->incident_type : "";
    r.reason = summary;
    r.detail =
        "channel " + e.channel + ", severity " + severity +
        (approval_id != 0 ? ", approval #" + std::to_string(approval_id) : "") +
        (flap_update ? ", update (flapping, cycle " + std::to_string(ep.flap_cycle) + ")" : "");
    r.action = suggested;
    r.argv = argv;
  }
  ctx.notifier.escalate(e);
  emit(std::move(r));
  return true;
}

// True when the last action on `target` was ours, so our own verification / follow-up
// already watches it and a refusal inside its cooldown stays quiet.
bool Engine::Impl::owned_cooldown(const ServiceRef& target, TimePoint last_action_at) const {
  auto it = own_actions.find(target);
  return it != own_actions.end() && it->second == last_action_at;
}

void Engine::Impl::close_episode(const ServiceRef& target) {
  auto it = episodes.find(target);
  if (it == episodes.end()) return;
  auto& e = it->second;
  disarm(e.followup_timer);
  // Timers of a running action stay armed; only the page and history reset.
  if (e.verify_timer == 0 && e.timeout_timer == 0 && e.undo_id == 0) {
    episodes.erase(it);
    return;
  }
  e.page_severity.clear();
  e.page = Escalation{};
  e.affected.clear();  // callers that joined look again at their next recheck
  e.flap_cycle = 0;
  e.history.clear();
  e.followup_timer = 0;
  e.followup_fingerprint.clear();
}

// Ends a pass with `o`; writes the decision record and escalates when `escalate_`.
Decision Engine::Impl::finish(Run& r, Outcome o, std::string guardrail, std::string reason,
                              bool escalate_, bool suggest, const std::string& severity,
                              std::uint64_t approval_id, Notify notify) {
  r.d.outcome = o;
  r.d.guardrail = std::move(guardrail);
  r.d.reason = std::move(reason);
  if (!r.flap_note.empty()) r.d.reason += "; " + r.flap_note;
  // Correlation: a page while a direct upstream's incident is open joins that incident.
  std::optional<ServiceRef> root;
  std::size_t reason_before_join = 0;  // r.d.reason's length before the note below
  if (escalate_ && notify == Notify::kDeduped && approval_id == 0 && r.approved == nullptr) {
    root = correlated_root(r.inc.target, &r);
    if (root) {
      reason_before_join = r.d.reason.size();
      r.d.reason.append("; joined the open incident of upstream ");
      root->append_key(r.d.reason);
      r.d.reason.append(": no page of its own (the upstream's page lists it)");
      escalate_ = false;
    }
  }
  r.d.escalate = escalate_;
  r.d.policy = r.policy != nullptr ? r.policy->incident_type : "";
  if (suggest && r.action && r.action->kind != ActionKind::kPage) {
    r.d.suggested = r.action;
    std::string err;
    r.d.argv = render(r, *r.action, 0, &err);
    if (r.d.argv.empty()) r.d.reason += " (suggested action cannot be rendered: " + err + ")";
  }
  r.d.approval_id = approval_id;
  auto rec = record(AuditKind::kDecision, r.inc.target, r.fp);
  rec.outcome = o;
  rec.escalate = escalate_;
  if (audit_text) {
    rec.classification = r.d.classification;
    rec.policy = r.d.policy;
    rec.guardrail = r.d.guardrail;
    rec.reason = r.d.reason;
    rec.action = r.d.action ? r.d.action : r.d.suggested;
    rec.argv = r.d.argv;
    if (r.pass == Pass::kFollowUp) rec.detail = "follow-up after a failed verification";
    if (r.pass == Pass::kApproved) rec.detail = "approved by a person";
    if (r.pass == Pass::kUncorrelated)
      rec.detail = "the upstream incident this alert joined is closed; the alert still fires";
  }
  const bool quiet_record = o == Outcome::kDuplicate;
  emit(std::move(rec), !quiet_record);
  if (root) {
    join(r.inc, r.fp, *root, to_string(o),
         std::string_view(r.d.reason).substr(0, reason_before_join));
  }
  if (escalate_ && notify != Notify::kSilent) {
    const std::string sev = severity.empty() ? severity_for(o) : severity;
    escalate(r.inc.target, r.fp, r.policy, o, sev,
             audit_text ? std::string(to_string(o)) + ": " + r.inc.target.key() + ": " + r.d.reason
                        : std::string(),
             r.d.suggested, r.d.argv, approval_id, r.d.upstream, notify == Notify::kForced);
  }
  return std::move(r.d);  // the pass ends here: no caller reads r.d after finish
}

void Engine::Impl::operator_record(const ServiceRef& target, std::string reason) {
  auto r = record(AuditKind::kOperator, target, "");
  r.reason = std::move(reason);
  emit(std::move(r), false);
}

}  // namespace selfheal::engine
