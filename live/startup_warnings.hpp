// What `selfheal serve` warns about at start-up (and with --check-config): a configuration
// that loads and is not wrong, but where something a person relies on would silently not
// happen. Errors (exit 2) are the loader's and check_escalation_channels' (config.hpp);
// these are printed loudly on stderr and serve starts anyway (docs/live.md#escalation).
//
//   for (const auto& w : live::escalation_warnings(config, policies)) std::cerr << w << "\n";
//
// Today one case: no notifier at all, so every escalation — the engine's pages and approval
// requests, and serve's own safety pages (kill switch, unfinished actions after a crash,
// open-target cap) — is audited and reaches nobody. A channel that no notifier serves is
// already an error when notifiers route by channel, and cannot happen when none does (every
// notifier then takes every page).
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

}  // namespace selfheal::live
