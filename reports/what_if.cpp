#include "reports/what_if.hpp"

#include <cmath>

#include "reports/format.hpp"

namespace selfheal::reports {

namespace {
constexpr int kMinutesDecimals = 1;
std::string min_text(double m) {
  return fixed(m, kMinutesDecimals) + " min";
}
}  // namespace

const scenario::DecisionTruth* truth_of(const scenario::RunMetrics& m, std::size_t decision) {
  for (const auto& t : m.truths)
    if (t.decision == decision) return &t;
  return nullptr;
}

std::string what_if_cell(const scenario::RunMetrics& m, std::size_t decision) {
  const scenario::DecisionTruth* t = truth_of(m, decision);
  if (!t) return {};
  const std::string saved = t->basis.empty()
                                ? std::string()
                                : std::string(t->minutes_saved >= 0 ? "saved " : "lost ") +
                                      min_text(std::abs(t->minutes_saved)) +
                                      (t->basis == "time to recover" ? " of recovery" : "");
  std::string s;
  if (t->verdict == "missed")
    s = "missed: acting would have " + saved;
  else if (t->verdict == "held back")
    s = "held back rightly";
  else if (!t->verdict.empty())
    s = t->verdict + (saved.empty() ? "" : ", " + saved);
  else
    s = "not judged";
  s += "; best: " + t->best + " " + min_text(t->best_minutes);
  if (t->regret_minutes > 0) s += " (regret " + min_text(t->regret_minutes) + ")";
  return s;
}

bool marked_decision(const scenario::DecisionTruth& t) {
  return t.verdict == "hurt" || t.verdict == "missed";
}

}  // namespace selfheal::reports
