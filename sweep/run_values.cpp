#include "sweep/run_values.hpp"

#include <cmath>

namespace selfheal::sweep {

double step(Unit u) {
  switch (u) {
    case Unit::kCount:
      return 1.0;
    case Unit::kDuration:
      return 1e-3;  // seconds per ms
    case Unit::kRatio:
      return 1e-4;
    case Unit::kMinutes:
      return 1e-3;
  }
  return 1.0;
}

std::optional<std::size_t> metric_index(std::string_view name) {
  for (std::size_t i = 0; i < kMetrics.size(); ++i)
    if (kMetrics[i].name == name) return i;
  return std::nullopt;
}

namespace {

std::int64_t fixed(double v, Unit u) {
  return std::llround(v / step(u));
}

}  // namespace

RunValues extract(const scenario::RunResult& r) {
  const scenario::RunMetrics& m = r.metrics;
  RunValues v{};
  auto set = [&](std::string_view name, std::optional<std::int64_t> x) {
    v[*metric_index(name)] = x;
  };
  if (m.mttr_mean) set("mttr", m.mttr_mean->count());
  if (m.time_to_escalate_mean) set("time_to_escalate", m.time_to_escalate_mean->count());
  set("incidents", static_cast<std::int64_t>(m.incidents.size()));
  set("unrecovered", m.unrecovered);
  set("remediation_loops", m.remediation_loops);
  set("wrongly_acted", m.wrongly_acted);
  if (m.made_worse) set("made_worse", *m.made_worse);
  set("actions", static_cast<std::int64_t>(m.actions.size()));
  std::int64_t wrong = 0;
  for (const auto& a : m.actions)
    wrong += a.helpful ? 0 : 1;
  set("wrong_actions", wrong);
  set("pages", m.pages);
  set("approval_requests", m.approval_requests);
  if (m.automated_recovery_rate)
    set("automated_recovery_rate", fixed(*m.automated_recovery_rate, Unit::kRatio));
  if (m.verification_pass_rate)
    set("verification_pass_rate", fixed(*m.verification_pass_rate, Unit::kRatio));
  set("error_budget_minutes", fixed(m.error_budget_minutes, Unit::kMinutes));
  if (m.twin_error_budget_minutes)
    set("budget_saved_minutes", fixed(*m.twin_error_budget_minutes, Unit::kMinutes) -
                                    fixed(m.error_budget_minutes, Unit::kMinutes));
  set("max_actions_per_target_hour", m.max_actions_per_target_hour);
  set("failed_expectations", r.failed_expectations());
  set("passed", r.passed() ? fixed(1.0, Unit::kRatio) : 0);
  if (!r.invariants.empty())
    set("invariant_violated", r.invariants_held() ? 0 : fixed(1.0, Unit::kRatio));
  if (m.missed_incidents) set("missed", *m.missed_incidents);
  if (m.regret_minutes) set("regret_minutes", fixed(*m.regret_minutes, Unit::kMinutes));
  if (m.harmful_decisions) set("harmful_decisions", *m.harmful_decisions);
  if (m.verification_false_failures)
    set("verification_false_failures", *m.verification_false_failures);
  if (m.verification_false_passes) set("verification_false_passes", *m.verification_false_passes);
  return v;
}

}  // namespace selfheal::sweep
