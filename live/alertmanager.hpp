// Alertmanager webhook (payload version "4") -> engine incidents.
//
// The payload is exactly what Alertmanager's webhook receiver POSTs:
//
//   {"version":"4","groupKey":"{}:{alertname=\"OOMKilled\"}","truncatedAlerts":0,
//    "status":"firing","receiver":"selfheal","groupLabels":{...},"commonLabels":{...},
//    "commonAnnotations":{...},"externalURL":"http://am:9093",
//    "alerts":[{"status":"firing","labels":{"alertname":"OOMKilled","service":"payment-api",
//               "namespace":"prod"},"annotations":{"incident_type":"memory-leak",
//               "confidence":"0.95"},"startsAt":"2026-11-27T18:00:00.123Z",
//               "endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph?...",
//               "fingerprint":"c0ffee01"}]}
//
// `parse_webhook` checks the schema strictly (a missing or mistyped required field is an
// error naming the JSON path); unknown extra fields are ignored, as Alertmanager may add
// some. `to_incidents` then maps each alert to an engine::Incident, taking the service and
// namespace from the configured labels (first label present wins), validating both as
// DNS-1123 labels and the namespace against the allowed list. Alerts that fail are listed
// in `rejected` with the reason and never reach the engine.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "engine/incident.hpp"

namespace selfheal::live {

using Labels = std::map<std::string, std::string>;

struct WebhookAlert {
  std::string status;  ///< "firing" | "resolved"
  Labels labels;
  Labels annotations;
  core::TimePoint starts_at{};
  std::optional<core::TimePoint> ends_at;  ///< nullopt for Go's zero time (still firing)
  std::string generator_url;
  std::string fingerprint;
};

struct WebhookMessage {
  std::string version;  ///< "4"
  std::string group_key;
  int truncated_alerts = 0;
  std::string status;
  std::string receiver;
  Labels group_labels;
  Labels common_labels;
  Labels common_annotations;
  std::string external_url;
  std::vector<WebhookAlert> alerts;
};

/// Parses and schema-checks a webhook body. The error's `field` is the JSON path
/// (e.g. `alerts[2].startsAt`), its message the reason.
core::Result<WebhookMessage> parse_webhook(std::string_view body);

/// Parses RFC 3339 timestamps as Alertmanager writes them (`2026-11-27T18:00:00Z`,
/// fractional seconds up to nanoseconds, `Z` or `+hh:mm`). Truncated to milliseconds.
/// Strict: core::parse_rfc3339 (core/timestamp.hpp) without relaxations.
core::Result<core::TimePoint> parse_rfc3339(std::string_view text);
/// `2026-11-27T18:00:00.123Z` (UTC, milliseconds).
std::string format_rfc3339(core::TimePoint t);

struct LabelMapping {
  /// Labels tried in order for the service name / namespace.
  std::vector<std::string> service{"service", "app", "deployment"};
  std::vector<std::string> ns{"namespace"};
  std::vector<std::string> allowed_namespaces;  ///< empty = any
};

struct RejectedAlert {
  std::string fingerprint;
  std::string reason;
};

struct IncidentBatch {
  std::vector<engine::Incident> incidents;
  std::vector<RejectedAlert> rejected;
};

/// One incident per alert. External classification from the annotations `incident_type` and
/// `confidence` (a number in [0, 1]; an `incident_type` without a valid confidence rejects
/// the alert rather than guessing one). Labels/annotations are the alert's own (Alertmanager
/// already includes the common ones in each alert).
IncidentBatch to_incidents(const WebhookMessage& msg, const LabelMapping& mapping);

}  // namespace selfheal::live
