#include "promote/write.hpp"

#include <iomanip>
#include <map>
#include <set>

#include "core/duration.hpp"

namespace selfheal::promote {
namespace {

std::string saved(const Row& r) {
  if (!r.median_saved) return "-";
  return core::format_duration(std::chrono::duration_cast<std::chrono::seconds>(*r.median_saved));
}

}  // namespace

void write_text(std::ostream& os, const Table& t) {
  os << std::left << std::setw(18) << "incident type" << std::setw(24) << "service" << std::setw(10)
     << "action" << std::setw(7) << "would" << std::setw(7) << "same" << std::setw(7) << "other"
     << std::setw(7) << "own" << std::setw(7) << "none" << std::setw(8) << "saved"
     << "verdict\n";
  for (const auto& r : t.rows) {
    os << std::setw(18) << r.incident_type << std::setw(24) << r.target.key() << std::setw(10)
       << engine::to_string(r.action) << std::setw(7) << r.would_act << std::setw(7)
       << r.person_same << std::setw(7) << r.person_other << std::setw(7) << r.resolved_on_own
       << std::setw(7) << r.no_signal << std::setw(8) << saved(r) << to_string(r.verdict) << '\n';
  }
  os << '\n';
  for (const auto& r : t.rows)
    os << "- " << r.reason << '\n';
  os << "\nwould: shadow/recommend decisions; same/other: a person did the same action / "
        "something else within "
     << core::format_duration(t.options.match_window)
     << "; own: resolved with nobody acting; saved: median time to the person's action.\n";
}

nlohmann::json to_json(const Table& t) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : t.rows) {
    nlohmann::json j{{"incident_type", r.incident_type},
                     {"target", {{"namespace", r.target.ns}, {"name", r.target.name}}},
                     {"action", engine::to_string(r.action)},
                     {"would_act", r.would_act},
                     {"person_same", r.person_same},
                     {"person_other", r.person_other},
                     {"resolved_on_own", r.resolved_on_own},
                     {"no_signal", r.no_signal},
                     {"verdict", to_string(r.verdict)},
                     {"reason", r.reason}};
    j["median_saved_ms"] =
        r.median_saved
            ? nlohmann::json(
                  std::chrono::duration_cast<std::chrono::milliseconds>(*r.median_saved).count())
            : nlohmann::json();
    rows.push_back(std::move(j));
  }
  return {{"version", 1},
          {"options",
           {{"match_window_ms",
             std::chrono::duration_cast<std::chrono::milliseconds>(t.options.match_window).count()},
            {"min_observations", t.options.min_observations},
            {"promote_share", t.options.promote_share},
            {"max_contrary_share", t.options.max_contrary_share}}},
          {"rows", rows}};
}

std::string policy_snippet(const Table& t) {
  std::map<std::string, std::vector<const Row*>> promoted;  // incident type -> rows
  for (const auto& r : t.rows)
    if (r.verdict == Verdict::kPromote) promoted[r.incident_type].push_back(&r);
  if (promoted.empty()) return "";
  std::string out =
      "# selfheal promote: set these fields on your policy file's existing policies.\n"
      "# Policies not listed keep auto_execute: false (recommend-only, the default).\n"
      "engine:\n  mode: auto\nremediation_policies:\n";
  for (const auto& [type, rows] : promoted) {
    out += "  - incident_type: " + type + "\n";
    for (const Row* r : rows)
      out += "    # " + r->reason + "\n";
    out += "    auto_execute: true\n    scope:\n";
    std::set<std::string> namespaces, services;
    for (const Row* r : rows) {
      namespaces.insert(r->target.ns);
      services.insert(r->target.name);
    }
    const auto list = [](const std::set<std::string>& s) {
      std::string l;
      for (const auto& x : s)
        l += (l.empty() ? "" : ", ") + x;
      return "[" + l + "]";
    };
    if (namespaces.size() > 1)
      out +=
          "      # scope is every listed namespace x every listed service: narrow it if that\n"
          "      # names a workload without evidence\n";
    out += "      namespaces: " + list(namespaces) + "\n      services: " + list(services) + "\n";
  }
  return out;
}

}  // namespace selfheal::promote
