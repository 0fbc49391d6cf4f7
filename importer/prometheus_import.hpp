// (a) Alert history from Prometheus itself: `ALERTS{alertstate="firing"}` over a time range,
// through the HTTP API's /api/v1/query_range (docs/import.md#from-prometheus-alerts).
//
//   core::Diagnostics diags;
//   auto h = importer::import_prometheus({"http://127.0.0.1:9090", from, until, 1min}, diags);
//
// A series of ALERTS is one alert (its labels without __name__ and alertstate); each run of
// samples no more than one step apart is one firing, from its first sample to one step
// after its last (a firing whose last sample is at the range's end is still firing). The
// fingerprint is computed as Prometheus and Alertmanager compute it (FNV-1a 64 over the
// sorted label pairs, printed as 16 hex digits): equal to Alertmanager's when Prometheus has
// no external labels. ALERTS carries no annotations: a history from Prometheus has none.
#pragma once

#include <optional>
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"
#include "history/history.hpp"

namespace selfheal::importer {

/// Prometheus refuses a query_range of more than 11,000 points per series; ranges are
/// fetched in chunks of this many steps.
inline constexpr long long kMaxStepsPerQuery = 10'000;
inline constexpr auto kPrometheusTimeout = std::chrono::seconds{30};

struct PrometheusRange {
  std::string url;  ///< http://host:port (no TLS client in this build)
  core::TimePoint from{};
  core::TimePoint until{};
  core::Duration step = std::chrono::minutes{1};
};

std::optional<history::History> import_prometheus(const PrometheusRange& range,
                                                  core::Diagnostics& diags);

/// Samples per series from one /api/v1/query_range answer, added into `acc` (exposed for
/// tests). Keys are the series' labels; the error names the JSON path.
using SeriesSamples = std::map<std::map<std::string, std::string>, std::vector<std::int64_t>>;
core::Status add_query_range_response(const std::string& body, SeriesSamples& acc);

/// The history from accumulated samples (unix ms), for the range `range`.
history::History history_from_samples(const SeriesSamples& samples, const PrometheusRange& range);

/// Alertmanager's fingerprint of a label set (16 lowercase hex digits).
std::string label_fingerprint(const std::map<std::string, std::string>& labels);

}  // namespace selfheal::importer
