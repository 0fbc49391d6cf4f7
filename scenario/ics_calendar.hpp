// A scenario's calendar from an iCalendar file: `calendar: {ics: marketing.ics}`
// (docs/scenario.md#calendar-from-an-ics-file). Every occurrence overlapping the run becomes
// a planned event, through the convention of ical/ical.hpp.
//
//   auto events = scenario::planned_from_ics(root["calendar"], reader, base_dir, start,
//                                            duration, "prod", service_names);
//
// An occurrence that began before the run starts at offset 0. Events with a `namespace:`
// other than the cluster's are not this scenario's and are left out; any other event must
// name a declared service (or none, for a maintenance). Errors name the .ics file and line,
// or the scenario's line for the `calendar:` mapping itself.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/yaml_reader.hpp"
#include "sim/cluster_spec.hpp"

namespace selfheal::scenario {

std::vector<sim::PlannedEventSpec> planned_from_ics(const YAML::Node& n, config::YamlReader& r,
                                                    const std::string& base_dir,
                                                    sim::TimePoint start, sim::Duration duration,
                                                    const std::string& ns,
                                                    const std::vector<std::string>& services);

}  // namespace selfheal::scenario
