// compare() and the writers. Text and Markdown list only incidents where the engine acted
// or paged (a month of alerts is mostly duplicates); JSON lists every incident.
#include "backtest/report.hpp"

#include "core/xml.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <ostream>
#include <set>
#include <tuple>

#include "engine/time_text.hpp"

namespace selfheal::backtest {
namespace {

using nlohmann::json;

std::string alert_key(const IncidentResult& i) {
  return i.alertname.empty() ? "(fingerprint " + i.fingerprint + ")" : i.alertname;
}

auto action_key(const ActionRow& a) {
  return std::tie(a.at, a.target, a.command);
}
auto page_key(const PageRow& p) {
  return std::make_tuple(p.at, p.target, p.channel, p.approval);
}

// Rows of `a` not in `b` (multiset difference on the key), in time order.
template <typename Row, typename Key>
std::vector<Row> minus(std::vector<Row> a, std::vector<Row> b, Key key) {
  auto less = [&](const Row& x, const Row& y) { return key(x) < key(y); };
  std::sort(a.begin(), a.end(), less);
  std::sort(b.begin(), b.end(), less);
  std::vector<Row> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out), less);
  return out;
}

struct PerAlert {
  std::vector<ActionRow> actions;
  std::vector<PageRow> pages;
};

std::map<std::string, PerAlert> by_alert(const Result& r) {
  std::map<std::string, PerAlert> out;
  for (const auto& inc : r.incidents) {
    PerAlert& p = out[alert_key(inc)];
    p.actions.insert(p.actions.end(), inc.actions.begin(), inc.actions.end());
    p.pages.insert(p.pages.end(), inc.pages.begin(), inc.pages.end());
  }
  return out;
}

std::string t(engine::TimePoint tp) {
  return engine::format_time(tp);
}
const char* cond(bool c) {
  return c ? " (conditional)" : "";
}

json action_json(const ActionRow& a) {
  return {{"time", t(a.at)},
          {"target", a.target.key()},
          {"command", a.command},
          {"conditional", a.conditional}};
}
json page_json(const PageRow& p) {
  return {{"time", t(p.at)},
          {"target", p.target.key()},
          {"channel", p.channel},
          {"severity", p.severity},
          {"reason", std::string(engine::to_string(p.reason))},
          {"approval", p.approval},
          {"conditional", p.conditional}};
}

std::string page_text(const PageRow& p) {
  return t(p.at) + (p.approval ? " approval request " : " page ") + p.channel + " (" + p.severity +
         ", " + std::string(engine::to_string(p.reason)) + ")" + cond(p.conditional);
}

void write_changes_text(std::ostream& out, const std::vector<AlertChange>& changes) {
  out << "\nchanges against the old policy (per alert):\n";
  if (changes.empty()) out << "  none: both policies act and page identically\n";
  for (const auto& c : changes) {
    out << "  " << c.alertname << ": actions " << c.actions_before << " -> " << c.actions_after
        << ", pages " << c.pages_before << " -> " << c.pages_after << "\n";
    for (const auto& a : c.actions_added)
      out << "    + action " << t(a.at) << " " << a.command << cond(a.conditional) << "\n";
    for (const auto& a : c.actions_removed)
      out << "    - action " << t(a.at) << " " << a.command << cond(a.conditional) << "\n";
    for (const auto& p : c.pages_added)
      out << "    + " << page_text(p) << "\n";
    for (const auto& p : c.pages_removed)
      out << "    - " << page_text(p) << "\n";
  }
}

}  // namespace

std::vector<AlertChange> compare(const Result& before, const Result& after) {
  const auto b = by_alert(before);
  const auto a = by_alert(after);
  std::set<std::string> names;
  for (const auto& [k, v] : b)
    names.insert(k);
  for (const auto& [k, v] : a)
    names.insert(k);
  std::vector<AlertChange> out;
  const PerAlert none;
  for (const auto& n : names) {
    const PerAlert& x = b.count(n) != 0U ? b.at(n) : none;
    const PerAlert& y = a.count(n) != 0U ? a.at(n) : none;
    AlertChange c;
    c.alertname = n;
    c.actions_before = x.actions.size();
    c.actions_after = y.actions.size();
    c.pages_before = x.pages.size();
    c.pages_after = y.pages.size();
    c.actions_added = minus(y.actions, x.actions, action_key);
    c.actions_removed = minus(x.actions, y.actions, action_key);
    c.pages_added = minus(y.pages, x.pages, page_key);
    c.pages_removed = minus(x.pages, y.pages, page_key);
    if (c.actions_added.empty() && c.actions_removed.empty() && c.pages_added.empty() &&
        c.pages_removed.empty())
      continue;
    out.push_back(std::move(c));
  }
  return out;
}

void write_text(std::ostream& out, const Result& r, const std::vector<AlertChange>* changes) {
  out << "backtest of " << r.policy_file << " (mode " << r.mode << ") over " << t(r.from) << " .. "
      << t(r.until) << "\n"
      << "note: " << kOpenLoopNote << "\n\n";
  for (const auto& inc : r.incidents) {
    if (inc.actions.empty() && inc.pages.empty()) continue;
    out << alert_key(inc) << " on " << inc.target.key() << " [" << inc.fingerprint << "] firing "
        << t(inc.start) << " .. " << (inc.end ? t(*inc.end) : "(still firing)") << ", "
        << inc.notifications << " notifications\n";
    // One timeline: decisions, then at equal times the actions and pages they caused.
    std::vector<std::pair<engine::TimePoint, std::string>> lines;
    for (const auto& d : inc.decisions) {
      if (!d.outcome && d.kind == engine::AuditKind::kDecision) continue;
      const std::string outcome =
          d.outcome ? " " + std::string(engine::to_string(*d.outcome)) : std::string();
      lines.emplace_back(d.at, t(d.at) + " " + std::string(engine::to_string(d.kind)) + outcome +
                                   (d.guardrail.empty() ? "" : " [" + d.guardrail + "]") +
                                   cond(d.conditional) + ": " + d.reason);
    }
    for (const auto& a : inc.actions)
      lines.emplace_back(a.at, t(a.at) + " would run: " + a.command + cond(a.conditional));
    for (const auto& p : inc.pages)
      lines.emplace_back(p.at, page_text(p));
    std::stable_sort(lines.begin(), lines.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    for (const auto& l : lines)
      out << "  " << l.second << "\n";
  }
  const Totals& s = r.totals;
  out << "\ntotals: " << s.notifications << " notifications, " << s.incidents << " incidents, "
      << s.actions << " actions (" << s.actions_conditional << " conditional), " << s.pages
      << " pages (" << s.pages_conditional << " conditional), " << s.approvals
      << " approval requests\n";
  out << "decisions:";
  for (const auto& [o, n] : s.outcomes)
    out << " " << o << "=" << n;
  out << "\nmost actions on one target in an hour: " << s.max_actions_per_target_hour;
  if (s.max_actions_per_target_hour > 0)
    out << " (" << s.max_actions_target << " from " << t(s.max_actions_at) << ")";
  out << "\n";
  if (s.timers_pending_at_end > 0)
    out << "timers still pending at the end of the history: " << s.timers_pending_at_end << "\n";
  for (const auto& u : r.unrouted)
    out << "not replayed: " << u << "\n";
  for (const auto& n : r.notes)
    out << "note: " << n << "\n";
  if (changes) write_changes_text(out, *changes);
}

nlohmann::json to_json(const Result& r, const std::vector<AlertChange>* changes) {
  json incidents = json::array();
  for (const auto& inc : r.incidents) {
    json decisions = json::array();
    for (const auto& d : inc.decisions) {
      json dj = {{"time", t(d.at)},
                 {"kind", std::string(engine::to_string(d.kind))},
                 {"guardrail", d.guardrail},
                 {"reason", d.reason},
                 {"conditional", d.conditional}};
      dj["outcome"] = d.outcome ? json(std::string(engine::to_string(*d.outcome))) : json();
      decisions.push_back(std::move(dj));
    }
    json actions = json::array(), pages = json::array();
    for (const auto& a : inc.actions)
      actions.push_back(action_json(a));
    for (const auto& p : inc.pages)
      pages.push_back(page_json(p));
    incidents.push_back({{"alertname", inc.alertname},
                         {"fingerprint", inc.fingerprint},
                         {"target", inc.target.key()},
                         {"start", t(inc.start)},
                         {"end", inc.end ? json(t(*inc.end)) : json()},
                         {"notifications", inc.notifications},
                         {"duplicates", inc.duplicates},
                         {"decisions", std::move(decisions)},
                         {"actions", std::move(actions)},
                         {"pages", std::move(pages)}});
  }
  const Totals& s = r.totals;
  json j = {{"policy", r.policy_file},
            {"mode", r.mode},
            {"from", t(r.from)},
            {"until", t(r.until)},
            {"repeat_interval_s",
             std::chrono::duration_cast<std::chrono::seconds>(r.repeat_interval).count()},
            {"verification", kOpenLoopNote},
            {"totals",
             {{"notifications", s.notifications},
              {"incidents", s.incidents},
              {"actions", s.actions},
              {"actions_conditional", s.actions_conditional},
              {"pages", s.pages},
              {"pages_conditional", s.pages_conditional},
              {"approvals", s.approvals},
              {"outcomes", s.outcomes},
              {"max_actions_per_target_hour", s.max_actions_per_target_hour},
              {"max_actions_target", s.max_actions_target},
              {"timers_pending_at_end", s.timers_pending_at_end}}},
            {"unrouted", r.unrouted},
            {"notes", r.notes},
            {"incidents", std::move(incidents)}};
  if (changes) {
    json cj = json::array();
    for (const auto& c : *changes) {
      json x = {{"alertname", c.alertname},
                {"actions_before", c.actions_before},
                {"actions_after", c.actions_after},
                {"pages_before", c.pages_before},
                {"pages_after", c.pages_after}};
      for (const char* k : {"actions_added", "actions_removed", "pages_added", "pages_removed"})
        x[k] = json::array();
      for (const auto& a : c.actions_added)
        x["actions_added"].push_back(action_json(a));
      for (const auto& a : c.actions_removed)
        x["actions_removed"].push_back(action_json(a));
      for (const auto& p : c.pages_added)
        x["pages_added"].push_back(page_json(p));
      for (const auto& p : c.pages_removed)
        x["pages_removed"].push_back(page_json(p));
      cj.push_back(std::move(x));
    }
    j["changes"] = std::move(cj);
  }
  return j;
}

void write_markdown(std::ostream& out, const Result& r, const std::vector<AlertChange>* changes) {
  const Totals& s = r.totals;
  out << "# Backtest of " << r.policy_file << "\n\n"
      << "Mode " << r.mode << ", history " << t(r.from) << " .. " << t(r.until) << ".\n\n"
      << "> " << kOpenLoopNote << "\n\n";
  for (const auto& n : r.notes)
    out << "Note: " << n << ".\n\n";
  out << "| notifications | incidents | actions (conditional) | pages (conditional) | "
         "approvals | most actions per target-hour |\n|---|---|---|---|---|---|\n"
      << "| " << s.notifications << " | " << s.incidents << " | " << s.actions << " ("
      << s.actions_conditional << ") | " << s.pages << " (" << s.pages_conditional << ") | "
      << s.approvals << " | " << s.max_actions_per_target_hour << " |\n\n"
      << "| alert | target | firing | actions | pages |\n|---|---|---|---|---|\n";
  for (const auto& inc : r.incidents) {
    if (inc.actions.empty() && inc.pages.empty()) continue;
    out << "| " << alert_key(inc) << " | " << inc.target.key() << " | " << t(inc.start) << " | "
        << inc.actions.size() << " | " << inc.pages.size() << " |\n";
  }
  if (changes) {
    out << "\n## Changes against the old policy\n\n| alert | actions | pages |\n|---|---|---|\n";
    for (const auto& c : *changes)
      out << "| " << c.alertname << " | " << c.actions_before << " → " << c.actions_after << " | "
          << c.pages_before << " → " << c.pages_after << " |\n";
  }
}

void write_junit(std::ostream& out, const Result& r,
                 std::optional<std::size_t> max_actions_per_target_hour) {
  const auto per_alert = by_alert(r);
  const Totals& s = r.totals;
  const bool failed =
      max_actions_per_target_hour && s.max_actions_per_target_hour > *max_actions_per_target_hour;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
      << "  <testsuite name=\"backtest " << core::xml_escape(r.policy_file) << "\" tests=\""
      << per_alert.size() + (max_actions_per_target_hour ? 1 : 0) << "\" failures=\""
      << (failed ? 1 : 0) << "\">\n";
  for (const auto& [name, rows] : per_alert) {
    out << "    <testcase classname=\"backtest\" name=\"" << core::xml_escape(name) << "\">\n"
        << "      <system-out>" << rows.actions.size() << " actions, " << rows.pages.size()
        << " pages (" << core::xml_escape(kOpenLoopNote) << ")</system-out>\n    </testcase>\n";
  }
  if (max_actions_per_target_hour) {
    out << "    <testcase classname=\"backtest\" name=\"max-actions-per-target-hour &lt;= "
        << *max_actions_per_target_hour << "\">\n";
    if (failed)
      out << "      <failure message=\"" << s.max_actions_per_target_hour << " actions on "
          << core::xml_escape(s.max_actions_target) << " within an hour from "
          << t(s.max_actions_at) << "\"/>\n";
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

}  // namespace selfheal::backtest
