// Alert history in: sources of what fired, turned into the normalised history
// (history/history.hpp, docs/import.md).
//
//   core::Diagnostics diags;
//   std::vector<std::string> notes;
//   auto h = importer::import_webhook_log("am-webhooks.log", diags, notes);
//   if (!h) { std::cerr << diags.describe(); return 2; }   // nothing is written then
//
// Every importer is all-or-nothing: one bad line or row makes the whole import fail with
// every problem listed (`file:line: field: message`), so a partial history never passes
// for a complete one. `notes` collects what was repaired in the data and how (a firing that
// never got its resolved notification before the same alert fired again), printed by the
// CLI: nothing is changed silently.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "history/history.hpp"

namespace selfheal::importer {

/// At most this many errors are listed before an import stops reading.
inline constexpr std::size_t kMaxErrors = 20;

/// (b) A log of Alertmanager webhook payloads (version "4"), one JSON document per line, as
/// a webhook receiver stores them. Blank lines are skipped. Each line is schema-checked by
/// live's webhook parser; every alert also needs `labels.alertname`. A firing is keyed by
/// (fingerprint, startsAt); a resolved notification closes it at its endsAt.
std::optional<history::History> import_webhook_log(const std::string& path,
                                                   core::Diagnostics& diags,
                                                   std::vector<std::string>& notes);
/// The same over a stream; `file` names it in errors.
std::optional<history::History> import_webhook_stream(std::istream& in, const std::string& file,
                                                      core::Diagnostics& diags,
                                                      std::vector<std::string>& notes);

/// (c) `selfheal serve`'s SQLite state database, opened read-only: every decision record
/// of the audit log. A firing starts at the first decision on a fingerprint and ends at
/// the decision on its resolved notification. The audit keeps no alert name or labels:
/// `alertname` is "" and the labels are the target's (service, namespace); the
/// classification serve used goes into the `incident_type`/`confidence` annotations so a
/// backtest classifies the same way.
std::optional<history::History> import_audit_db(const std::string& path, core::Diagnostics& diags,
                                                std::vector<std::string>& notes);

/// Joins histories from several sources. A fingerprint found in two sources is an error
/// (the same alert imported twice would fire twice in a backtest).
std::optional<history::History> merge_histories(std::vector<history::History> parts,
                                                core::Diagnostics& diags);

}  // namespace selfheal::importer
