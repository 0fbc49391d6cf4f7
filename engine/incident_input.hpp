// The incident document `selfheal decide` reads (docs/pipeline.md#selfheal-decide): one
// incident with what the engine would otherwise ask its ports for. Read with config/'s JSON
// reader, so every problem is reported `file:line:col: field: message` and all at once.
//
//   {"incident_type": "memory-leak", "service": "payment-api", "namespace": "prod",
//    "confidence": 0.92, "signals": {"memory_utilization": 0.97},
//    "active_events": [{"name": "sale", "kind": "campaign"}],
//    "upstreams": [{"service": "payment-db", "healthy": false}],
//    "services_in_namespace": 12, "time": "2026-11-27T18:00:00Z"}
//
//   core::Diagnostics diags;
//   auto in = engine::read_incident_file("incident.json", diags);
//   if (!in) print(diags);
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "engine/incident.hpp"
#include "engine/types.hpp"

namespace selfheal::engine {

struct IncidentInput {
  Incident incident;
  std::optional<ServiceSignals> signals;
  std::vector<PlannedEvent> events;
  std::vector<DependencyHealth> upstreams;
  std::optional<TimePoint> time;
  std::optional<std::size_t> services_in_namespace;
};

/// The incident in `file` (bounded read, strict JSON), or nullopt with every problem in
/// `diags`.
std::optional<IncidentInput> read_incident_file(const std::string& file, core::Diagnostics& diags);
/// The same from text; `file` names it in diagnostics.
std::optional<IncidentInput> read_incident_string(const std::string& text, const std::string& file,
                                                  core::Diagnostics& diags);

}  // namespace selfheal::engine
