// Matching rules, and why: a person's write is attributed to the earliest observation on
// the same target whose window holds it, so one manual restart never counts for two
// firings. "Resolved on its own" needs both a resolution inside the window and no person
// writing to the workload in it; an action the audit log cannot show (cache purge, feature
// flag, traffic shift) has no "same" and can never be promoted on this evidence.
#include "promote/evidence.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/duration.hpp"

namespace selfheal::promote {
namespace {

using Key = std::tuple<std::string, std::string, std::string>;  // type, namespace, name

std::string share(std::size_t k, std::size_t n) {
  return std::to_string(k) + " of " + std::to_string(n);
}

std::string saved_text(const Row& row) {
  if (!row.median_saved) return "";
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(*row.median_saved);
  return ", median " + core::format_duration(s) + " after the alert";
}

void decide(Row& row, const Options& o) {
  const double n = static_cast<double>(row.would_act);
  const std::string what = std::string(engine::to_string(row.action)) + "s";
  const std::string subject = row.incident_type + " on " + row.target.name + ": ";
  if (row.would_act < o.min_observations) {
    row.verdict = Verdict::kTooFewObservations;
    row.reason = subject + "only " + std::to_string(row.would_act) + " observation(s); at least " +
                 std::to_string(o.min_observations) + " are needed before any recommendation";
  } else if (!change_kind_of(row.action)) {
    row.verdict = Verdict::kKeep;
    row.reason = subject + "a person's " + std::string(engine::to_string(row.action)) +
                 " does not show in the Kubernetes audit log, so there is no evidence either way";
  } else if (static_cast<double>(row.resolved_on_own) >= n / 2) {
    row.verdict = Verdict::kDoNotAutomate;
    row.reason = subject + share(row.resolved_on_own, row.would_act) +
                 " resolved on their own with nobody acting; automation would add risk, not "
                 "save time";
  } else if (static_cast<double>(row.person_same) >= o.promote_share * n &&
             static_cast<double>(row.person_other + row.resolved_on_own) <=
                 o.max_contrary_share * n) {
    row.verdict = Verdict::kPromote;
    row.reason = subject + share(row.person_same, row.would_act) + " recommended " + what +
                 " were done by a person within " + core::format_duration(o.match_window) +
                 saved_text(row) + "; promote to auto";
  } else {
    row.verdict = Verdict::kKeep;
    row.reason = subject + "a person did the same in " + share(row.person_same, row.would_act) +
                 ", something else in " + std::to_string(row.person_other) + ", nothing in " +
                 std::to_string(row.no_signal) + "; keep a person in the loop";
  }
}

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::kPromote:
      return "promote";
    case Verdict::kKeep:
      return "keep";
    case Verdict::kTooFewObservations:
      return "too-few-observations";
    case Verdict::kDoNotAutomate:
      return "do-not-automate";
  }
  return "keep";
}

std::vector<Observation> observations_from_audit(const std::vector<engine::AuditRecord>& records) {
  std::vector<Observation> out;
  std::map<std::string, std::vector<std::size_t>> open;  // fingerprint -> unresolved obs
  for (const auto& r : records) {
    if (r.kind != engine::AuditKind::kDecision || !r.outcome) continue;
    if (*r.outcome == engine::Outcome::kResolved) {
      for (std::size_t i : open[r.incident])
        out[i].resolved_at = r.time;
      open.erase(r.incident);
      continue;
    }
    const bool would_act =
        *r.outcome == engine::Outcome::kShadow || *r.outcome == engine::Outcome::kRecommend;
    if (!would_act || !r.action || r.action->kind == engine::ActionKind::kPage) continue;
    if (!open[r.incident].empty()) continue;  // a re-send or follow-up of the same firing
    Observation o;
    o.time = r.time;
    o.incident = r.incident;
    o.incident_type = r.classification ? r.classification->incident_type : r.policy;
    o.target = r.target;
    o.action = r.action->kind;
    o.mode = std::string(engine::to_string(*r.outcome));
    open[r.incident].push_back(out.size());
    out.push_back(std::move(o));
  }
  return out;
}

Table build_table(const std::vector<Observation>& observations,
                  const std::vector<PersonAction>& person_actions, const Options& options) {
  std::vector<std::size_t> order(observations.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return observations[a].time < observations[b].time;
  });
  std::map<engine::ServiceRef, std::vector<std::size_t>> by_target;  // person actions
  for (std::size_t p = 0; p < person_actions.size(); ++p)
    by_target[person_actions[p].target].push_back(p);
  static const std::vector<std::size_t> kNone;
  std::set<std::size_t> used;  // person actions already attributed
  std::map<Key, Row> rows;
  std::map<Key, std::map<engine::ActionKind, std::size_t>> actions;
  std::map<Key, std::vector<core::Duration>> saved;
  for (std::size_t i : order) {
    const Observation& o = observations[i];
    const Key key{o.incident_type, o.target.ns, o.target.name};
    Row& row = rows[key];
    row.incident_type = o.incident_type;
    row.target = o.target;
    ++row.would_act;
    ++actions[key][o.action];
    const auto want = change_kind_of(o.action);
    std::optional<std::size_t> same, other;
    const auto found = by_target.find(o.target);
    for (std::size_t p : found == by_target.end() ? kNone : found->second) {
      const PersonAction& a = person_actions[p];
      if (used.count(p) != 0U || a.time < o.time || a.time > o.time + options.match_window)
        continue;
      if (want && a.kind == *want && !same) same = p;
      if ((!want || a.kind != *want) && !other) other = p;
    }
    if (same) {
      used.insert(*same);
      ++row.person_same;
      saved[key].push_back(person_actions[*same].time - o.time);
    } else if (other) {
      used.insert(*other);
      ++row.person_other;
    } else if (o.resolved_at && *o.resolved_at <= o.time + options.match_window) {
      ++row.resolved_on_own;
    } else {
      ++row.no_signal;
    }
  }
  Table t;
  t.options = options;
  for (auto& [key, row] : rows) {
    const auto& counts = actions[key];
    row.action = std::max_element(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
                   return a.second < b.second;
                 })->first;
    auto& s = saved[key];
    if (!s.empty()) {
      std::sort(s.begin(), s.end());
      row.median_saved = s[(s.size() - 1) / 2];
    }
    decide(row, options);
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace selfheal::promote
