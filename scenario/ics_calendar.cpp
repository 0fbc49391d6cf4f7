// `calendar: {ics: FILE}`: the .ics reader (ical/) over the run's window, then each
// occurrence checked against the scenario as a written calendar entry would be.
#include "scenario/ics_calendar.hpp"

#include <algorithm>
#include <filesystem>

#include "config/file_io.hpp"
#include "config/messages.hpp"
#include "ical/ical.hpp"

namespace selfheal::scenario {

std::vector<sim::PlannedEventSpec> planned_from_ics(const YAML::Node& n, config::YamlReader& r,
                                                    const std::string& base_dir,
                                                    sim::TimePoint start, sim::Duration duration,
                                                    const std::string& ns,
                                                    const std::vector<std::string>& services) {
  std::vector<sim::PlannedEventSpec> out;
  r.check_keys(n, "calendar", {"ics"});
  const auto file = r.str(n["ics"], "calendar.ics");
  if (!file) {
    if (!n["ics"].IsDefined())
      r.error(n, "calendar.ics", "missing: the .ics file, e.g. calendar: {ics: marketing.ics}");
    return out;
  }
  std::filesystem::path path(*file);
  if (path.is_relative() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
  auto text = config::read_file(path.string());
  if (!text) {
    r.error(n["ics"], "calendar.ics", text.error().message);
    return out;
  }
  auto& diags = r.diagnostics();
  auto events = ical::read_ics(text.value(), *file, start, start + duration, diags);
  if (!events) return out;
  for (const auto& e : *events) {
    if (!e.ns.empty() && e.ns != ns) continue;  // another namespace's event
    auto bad = [&](const std::string& field, const std::string& message) {
      diags.add(core::Error(message, *file, e.line, 0, field));
    };
    sim::PlannedEventSpec p;
    p.name = e.name;
    p.kind = *sim::parse_planned_kind(e.kind);  // ical/ accepts only the three kinds
    p.start = std::max(sim::Duration{0}, e.start - start);
    p.end = e.end - start;
    p.service = e.service;
    p.traffic_multiplier = e.traffic_multiplier;
    p.severity = e.severity;
    if (!p.service.empty() &&
        std::find(services.begin(), services.end(), p.service) == services.end()) {
      const std::string hint = config::did_you_mean(p.service, services);
      bad("service", "\"" + p.service + "\" (event " + e.name +
                         ") is not a service of the cluster" +
                         (hint.empty() ? "" : "; did you mean \"" + hint + "\"?") +
                         " (an event of another namespace needs its `namespace:` line)");
      continue;
    }
    if (p.service.empty() && p.kind != sim::PlannedKind::kMaintenance) {
      bad("service", "event " + e.name + " (" + e.kind +
                         ") needs its service: a `service:` line in DESCRIPTION or a category");
      continue;
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace selfheal::scenario
