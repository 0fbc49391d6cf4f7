// The page's story is text for people; the machine-readable history stays in `history`.
#include "engine/story.hpp"

#include "engine/render.hpp"
#include "engine/time_text.hpp"

namespace selfheal::engine {

std::string story_line(const AuditRecord& r) {
  std::string line = format_time(r.time) + " " + std::string(to_string(r.kind));
  if (r.outcome && r.kind == AuditKind::kDecision) line += " " + std::string(to_string(*r.outcome));
  if (r.action) line += " " + std::string(to_string(r.action->kind));
  if (r.success) {
    const bool verdict = r.kind == AuditKind::kVerification;
    line += *r.success ? (verdict ? " passed" : " ok") : " failed";
  }
  if (!r.reason.empty()) line += ": " + r.reason;
  if (!r.detail.empty()) line += " (" + r.detail + ")";
  return line;
}

std::string next_step(const Escalation& e) {
  if (e.approval_id != 0 && e.suggested_action)
    return "next: approve or deny " + std::string(to_string(e.suggested_action->kind)) +
           (e.suggested_argv.empty() ? "" : ": " + render_command(e.suggested_argv)) +
           " (approval #" + std::to_string(e.approval_id) + ")";
  if (!e.suggested_argv.empty()) return "next: run " + render_command(e.suggested_argv);
  if (e.suggested_action)
    return "next: " + std::string(to_string(e.suggested_action->kind)) + " on " + e.target.key();
  std::string s = "next: a person decides (" + std::string(to_string(e.reason)) + ")";
  if (e.upstream) s += "; look at the upstream " + e.upstream->key();
  return s;
}

std::vector<std::string> escalation_story(const Escalation& e) {
  std::vector<std::string> out;
  out.reserve(e.history.size() + 1);
  for (const auto& r : e.history)
    out.push_back(story_line(r));
  out.push_back(next_step(e));
  return out;
}

}  // namespace selfheal::engine
