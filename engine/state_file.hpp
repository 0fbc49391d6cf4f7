// The state file of `selfheal decide --state` (docs/audit.md#state-file): what carries over
// between calls (cooldowns, attempts, ladder step, escalate-only, the breaker and the kill
// switch). decide executes nothing, so nothing in flight and no dedup keys are kept.
//
// Reading checks every field's type before using it, so a wrong value is named down to the
// field (`targets[0].attempts`), with its line and column. Writing is atomic (config/).
//
//   core::Diagnostics diags;
//   auto store = engine::read_state_file("state.json", diags);  // absent file: empty store
//   ...
//   if (auto s = engine::write_state_file("state.json", *store); !s) report(s.error());
#pragma once

#include <optional>
#include <string>

#include "core/result.hpp"
#include "engine/memory_state_store.hpp"

namespace selfheal::engine {

/// The store saved in `path`; an empty store when `path` does not exist; nullopt with the
/// problems in `diags` when it exists but cannot be read or is malformed.
std::optional<MemoryStateStore> read_state_file(const std::string& path, core::Diagnostics& diags);
/// The same from text; `file` names it in diagnostics.
std::optional<MemoryStateStore> read_state_string(const std::string& text, const std::string& file,
                                                  core::Diagnostics& diags);

/// What decide persists: `store.to_json()` without in-flight actions and dedup keys.
nlohmann::json persistent_state(const MemoryStateStore& store);
/// Writes persistent_state(store) to `path` atomically (temp + fsync + rename).
core::Status write_state_file(const std::string& path, const MemoryStateStore& store);

}  // namespace selfheal::engine
