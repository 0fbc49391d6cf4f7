// What arrives at the engine: an alert group for one service, firing or resolved.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "engine/types.hpp"

namespace selfheal::engine {

/// A classification supplied from outside (an AI service, an alert annotation).
struct ExternalClassification {
  std::string incident_type;
  double confidence = 0.0;  ///< [0, 1]
};

/// One incident notification. Live: built from an Alertmanager webhook alert; sim: from
/// the simulated alert rules. Repeated deliveries carry the same `fingerprint`.
struct Incident {
  std::string fingerprint;  ///< stable id of the alert (Alertmanager's fingerprint)
  std::string group_key;    ///< Alertmanager groupKey, or empty
  ServiceRef target;
  bool resolved = false;   ///< a resolved notification never triggers an action
  std::string alertname;   ///< detection signal, e.g. "OOMKilled", "HighErrorRate"
  TimePoint started_at{};  ///< when the alert began firing
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::optional<ExternalClassification> classification;  ///< else the built-in classifier
};

}  // namespace selfheal::engine
