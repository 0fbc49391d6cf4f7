// An escalation's story: what automation already did about the incident, as a person reads
// it on a page (docs/audit.md#escalation-story). One line per record of the escalation's
// history — decisions (outcome, action, reason), action results, verifications (verdict and
// each check's reason), rollbacks, earlier pages — then the suggested next step. The same
// lines go into the PagerDuty `custom_details.story`, the webhook body's `story` and the
// report's escalation rows, so the simulator and `selfheal serve` tell it identically.
//
//   for (const auto& line : engine::escalation_story(e)) std::cout << line << "\n";
//   // 2026-11-27T03:10:00.000Z decision executed rollback: every guardrail passed ...
//   // 2026-11-27T03:10:40.000Z action rollback ok: rolled back to revision 7
//   // 2026-11-27T03:15:40.000Z verification failed: FAIL: latency_p99 216 > 150 ...
//   // next: a person decides: automation gave up (max-attempts-reached)
#pragma once

#include <string>
#include <vector>

#include "engine/audit.hpp"
#include "engine/ports.hpp"

namespace selfheal::engine {

/// One line for one audit record of an episode: "<time> <kind> ...: <reason>[ (<detail>)]".
std::string story_line(const AuditRecord& r);

/// The suggested next step of `e`, one line starting "next: ": the command to run (the
/// suggested argv), the action awaiting approval, or "a person decides" with the outcome.
std::string next_step(const Escalation& e);

/// story_line for every record of `e.history` (oldest first), then next_step(e).
std::vector<std::string> escalation_story(const Escalation& e);

}  // namespace selfheal::engine
