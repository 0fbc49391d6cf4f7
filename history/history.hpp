// The normalised alert history: what fired, where, and when, whatever the source
// (Alertmanager webhook log, `selfheal serve`'s audit, Prometheus). `selfheal import alerts`
// writes it; `selfheal backtest` reads it. The format is documented in
// docs/import.md#the-history-file; a short example:
//
//   {"history": 1, "sources": ["webhook-log:am.log"],
//    "from": "2026-11-27T18:00:00.000Z", "until": "2026-11-28T00:00:00.000Z",
//    "alerts": [{"alertname": "OOMKilled", "fingerprint": "c0ffee01",
//                "service": "payment-api", "namespace": "prod",
//                "labels": {"alertname": "OOMKilled", "service": "payment-api", ...},
//                "annotations": {"incident_type": "memory-leak", "confidence": "0.95"},
//                "firings": [{"start": "2026-11-27T18:00:00.000Z",
//                             "end": "2026-11-27T18:20:00.000Z"}]}]}
//
// Invariants (checked by read_history, kept by the importers): alerts sorted by
// fingerprint, fingerprints unique; each alert's firings sorted by start and not
// overlapping; `end` absent = still firing at `until`; every time within [from, until].
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace selfheal::history {

inline constexpr int kFormatVersion = 1;
/// A month of a large fleet's alerts is far more than a config file: the history file's own
/// size limit (docs/errors.md#limits).
inline constexpr std::size_t kMaxHistoryBytes = std::size_t{256} << 20;

/// One interval an alert was firing: [start, end), end nullopt = still firing at `until`.
struct Firing {
  core::TimePoint start{};
  std::optional<core::TimePoint> end;
};

struct Alert {
  std::string alertname;  ///< the `alertname` label; "" when the source does not keep it
  std::string fingerprint;
  /// The target, from the labels (service|app|deployment, namespace); "" when absent: such
  /// an alert is kept but cannot reach the engine (backtest counts it as unrouted).
  std::string service;
  std::string ns;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<Firing> firings;
};

struct History {
  std::vector<std::string> sources;  ///< "webhook-log:FILE", "audit:FILE", ...
  core::TimePoint from{};            ///< the earliest time the sources cover
  core::TimePoint until{};           ///< the latest time the sources cover
  std::vector<Alert> alerts;         ///< by fingerprint
};

/// Sorts alerts and firings into the file's order and sets from/until to cover every
/// firing (keeping wider bounds already set). Call before write_history.
void normalise(History& h);

/// The history as its JSON text (2-space indented, keys in a fixed order, a final newline).
std::string to_json_text(const History& h);

/// Reads and checks a history file; every problem goes to `diags` as
/// `file:line:col: field: message` (config/messages.hpp words), and nullopt is returned.
std::optional<History> read_history_file(const std::string& path, core::Diagnostics& diags);
/// The same over text (`file` names it in errors).
std::optional<History> parse_history(const std::string& text, const std::string& file,
                                     core::Diagnostics& diags);

}  // namespace selfheal::history
