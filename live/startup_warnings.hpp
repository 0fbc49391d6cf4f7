// What `selfheal serve` warns about at start-up (and with --check-config): a configuration
// that loads and is not wrong, but where something a person relies on would silently not
// happen. Errors (exit 2) are the loader's and check_escalation_channels' (config.hpp);
// these are printed loudly on stderr and serve starts anyway (docs/live.md#escalation).
//
//   for (const auto& w : live::escalation_warnings(config, policies)) std::cerr << w << "\n";
//
// Two cases. No notifier at all, so every escalation — the engine's pages and approval
// requests, and serve's own safety pages (kill switch, unfinished actions after a crash,
// open-target cap) — is audited and reaches nobody. A channel that no notifier serves is
// already an error when notifiers route by channel, and cannot happen when none does (every
// notifier then takes every page). And, when executing, a kubectl or helm that cannot be
// started.
#pragma once

#include <string>
#include <vector>

#include "engine/policy.hpp"
#include "live/config.hpp"

namespace selfheal::live {

/// One "WARNING: ..." line per problem, naming what will not be delivered and the fix;
/// empty when every escalation has a notifier. The mode is the config's `engine.mode`
/// override, else the policy file's.
std::vector<std::string> escalation_warnings(const ServeConfig& config,
                                             const engine::PolicySet& policies);

/// One "WARNING: ..." line per configured binary (kubernetes.kubectl, kubernetes.helm) that
/// is neither an executable file (a name with a '/') nor found as one in `path` (a PATH
/// value, ':'-separated; an empty entry is the working directory), only when `executing`
/// (dry-run never starts them). Every action that needs a missing one would fail, audited
/// and escalated, one incident at a time. A warning, not an error: helm is needed only by
/// helm actions, and a name may resolve later (PATH of the service manager).
///   binary_warnings(config, !dry_run, std::getenv("PATH") ? std::getenv("PATH") : "")
std::vector<std::string> binary_warnings(const ServeConfig& config, bool executing,
                                         const std::string& path);

}  // namespace selfheal::live
