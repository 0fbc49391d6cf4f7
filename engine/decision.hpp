// What the engine decided for one incident: the outcome, the guardrail that decided it and
// the command it ran or suggests. Engine::handle returns it; `selfheal decide` prints it
// (engine/audit_json.hpp, docs/audit.md#decision).
//
//   Decision d = engine.handle(incident);
//   if (d.outcome == Outcome::kExecuted) log(render_command(d.argv));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/audit.hpp"
#include "engine/types.hpp"

namespace selfheal::engine {

/// What `handle` decided, as `selfheal decide` prints it.
struct Decision {
  Outcome outcome = Outcome::kNoPolicy;
  bool escalate = false;
  Classification classification;
  std::string policy;                   ///< incident_type of the policy, or empty
  std::optional<ActionSpec> action;     ///< the action executed / shadowed
  std::optional<ActionSpec> suggested;  ///< the action suggested to a person
  std::vector<std::string> argv;        ///< rendering of action or suggested
  std::string guardrail;                ///< the step that decided
  std::string reason;
  std::uint64_t action_id = 0;  ///< non-zero when an action started
  // Additions (issue #3 pipeline):
  double confidence = 0.0;        ///< confidence the threshold saw (after planned-event penalty)
  std::uint64_t approval_id = 0;  ///< non-zero for approval-required: answer via approve()
  std::optional<ServiceRef> upstream;  ///< dependency-failure: the upstream to blame
};

}  // namespace selfheal::engine
