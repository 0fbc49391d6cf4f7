// The backtest's outputs (docs/backtest.md#output): text for a person, JSON for tools,
// Markdown for a pull request; each with the open-loop caveat written into it.
//
//   auto r = backtest::run(h, policies, {});
//   backtest::write_text(std::cout, r, nullptr);
//   auto changes = backtest::compare(old_r, r);
//   backtest::write_text(std::cout, r, &changes);
#pragma once

#include <iosfwd>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "backtest/backtest.hpp"

namespace selfheal::backtest {

/// What every output says about verification, word for word.
inline constexpr const char* kOpenLoopNote =
    "open loop: actions are recorded, never run, and their verification cannot be known "
    "(the engine saw no data, so it treated every action as not verified); actions and pages "
    "marked conditional happen only if the real verification would also have failed";

/// `changes` (from compare) may be null: no --against.
void write_text(std::ostream& out, const Result& r, const std::vector<AlertChange>* changes);
nlohmann::json to_json(const Result& r, const std::vector<AlertChange>* changes);
void write_markdown(std::ostream& out, const Result& r, const std::vector<AlertChange>* changes);
/// JUnit XML for CI: a testcase per alert name (its actions and pages as output) and, when
/// `max_actions_per_target_hour` is set, a testcase for that bound that fails when exceeded.
void write_junit(std::ostream& out, const Result& r,
                 std::optional<std::size_t> max_actions_per_target_hour);

}  // namespace selfheal::backtest
