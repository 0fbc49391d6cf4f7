// The audit importer: `selfheal serve`'s SQLite database, opened read-only (a running
// server may hold it; WAL lets both read) so an import never changes the state it reads.
#include <sqlite3.h>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/audit_json.hpp"
#include "engine/time_text.hpp"
#include "importer/alerts.hpp"

namespace selfheal::importer {
namespace {

constexpr const char* kAuditQuery =
    "SELECT seq, time_ms, incident, ns, name, outcome, record FROM audit "
    "WHERE kind = 'decision' ORDER BY seq";
constexpr int kColSeq = 0, kColTime = 1, kColIncident = 2, kColNs = 3, kColName = 4,
              kColOutcome = 5, kColRecord = 6;
constexpr const char* kOutcomeResolved = "resolved";

std::string text_col(sqlite3_stmt* st, int col) {
  const unsigned char* t = sqlite3_column_text(st, col);
  return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
}

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};
struct Stmt {
  sqlite3_stmt* st = nullptr;
  ~Stmt() { sqlite3_finalize(st); }
};

// The classification serve used on its first decision, as annotations a backtest reads.
void classification_annotations(const std::string& record, history::Alert& a) {
  if (a.annotations.count("incident_type") != 0U) return;
  const auto j = nlohmann::json::parse(record);  // throws on a malformed row
  const auto r = j.get<engine::AuditRecord>();
  if (r.classification && !r.classification->incident_type.empty()) {
    a.annotations["incident_type"] = r.classification->incident_type;
    a.annotations["confidence"] = nlohmann::json(r.classification->confidence).dump();
    a.annotations["selfheal.io/classification-source"] = r.classification->source;
  }
}

}  // namespace

std::optional<history::History> import_audit_db(const std::string& path, core::Diagnostics& diags,
                                                std::vector<std::string>& notes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    diags.add(
        core::Error("no such state database (the file `selfheal serve --config` names "
                    "in state.path)",
                    path));
    return std::nullopt;
  }
  Db db;
  if (sqlite3_open_v2(path.c_str(), &db.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    diags.add(core::Error(std::string("cannot open as SQLite: ") + sqlite3_errmsg(db.db), path));
    return std::nullopt;
  }
  Stmt st;
  if (sqlite3_prepare_v2(db.db, kAuditQuery, -1, &st.st, nullptr) != SQLITE_OK) {
    diags.add(core::Error(
        std::string("not a selfheal state database (no audit log): ") + sqlite3_errmsg(db.db),
        path));
    return std::nullopt;
  }
  const std::size_t before = diags.size();
  std::map<std::string, history::Alert> alerts;
  history::History h;
  bool any = false;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) {
    const auto seq = sqlite3_column_int64(st.st, kColSeq);
    const core::TimePoint t = core::from_unix_ms(sqlite3_column_int64(st.st, kColTime));
    const std::string fp = text_col(st.st, kColIncident);
    if (fp.empty()) continue;  // operator records carry no incident
    if (!any) h.from = h.until = t;
    any = true;
    h.from = std::min(h.from, t);
    h.until = std::max(h.until, t);
    history::Alert& a = alerts[fp];
    if (a.fingerprint.empty()) {
      a.fingerprint = fp;
      a.ns = text_col(st.st, kColNs);
      a.service = text_col(st.st, kColName);
      a.labels = {{"namespace", a.ns}, {"service", a.service}};
    }
    try {
      classification_annotations(text_col(st.st, kColRecord), a);
    } catch (const std::exception& e) {
      diags.add(core::Error(std::string("unreadable audit record: ") + e.what(), path, 0, 0,
                            "audit[seq=" + std::to_string(seq) + "].record"));
      if (diags.size() - before >= kMaxErrors) break;
      continue;
    }
    const bool resolved = text_col(st.st, kColOutcome) == kOutcomeResolved;
    const bool open = !a.firings.empty() && !a.firings.back().end;
    if (resolved && open) a.firings.back().end = t;
    if (!resolved && !open) a.firings.push_back({t, std::nullopt});
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    diags.add(
        core::Error(std::string("reading the audit log failed: ") + sqlite3_errmsg(db.db), path));
  }
  if (diags.size() != before) return std::nullopt;
  if (alerts.empty()) {
    diags.add(
        core::Error("the audit log holds no decisions on alerts (an empty history is "
                    "refused: nothing would be backtested)",
                    path));
    return std::nullopt;
  }
  for (auto& [fp, a] : alerts) {
    if (a.annotations.count("incident_type") == 0U) {
      notes.push_back(fp +
                      ": the audit has no classification for it; a backtest classifies it "
                      "with the built-in classifier on no telemetry");
    }
    h.alerts.push_back(std::move(a));
  }
  h.sources.push_back("audit:" + path);
  history::normalise(h);
  return h;
}

}  // namespace selfheal::importer
