#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "engine/time_text.hpp"
#include "importer/alerts.hpp"
#include "live/sqlite_state.hpp"

namespace im = selfheal::importer;
namespace eng = selfheal::engine;
using eng::parse_time;
using selfheal::core::Diagnostics;

namespace {

// One Alertmanager v4 webhook payload on one line, with one alert.
std::string payload(const std::string& status, const std::string& fp, const std::string& starts,
                    const std::string& ends = "0001-01-01T00:00:00Z",
                    const std::string& alertname = "OOMKilled") {
  return R"({"version":"4","groupKey":"{}:{alertname=\")" + alertname +
         R"(\"}","truncatedAlerts":0,"status":")" + status +
         R"(","receiver":"selfheal","groupLabels":{},"commonLabels":{},"commonAnnotations":{},)"
         R"("externalURL":"http://am:9093","alerts":[{"status":")" +
         status + R"(","labels":{"alertname":")" + alertname +
         R"(","service":"payment-api","namespace":"prod"},"annotations":{"incident_type":)"
         R"("memory-leak","confidence":"0.95"},"startsAt":")" +
         starts + R"(","endsAt":")" + ends +
         R"(","generatorURL":"http://prom/graph","fingerprint":")" + fp + R"("}]})";
}

std::optional<selfheal::history::History> import(const std::string& text, Diagnostics& d,
                                                 std::vector<std::string>& notes) {
  std::istringstream in(text);
  return im::import_webhook_stream(in, "am.log", d, notes);
}

}  // namespace

TEST_CASE("webhook log: an end stamped before its start is kept as a zero-length firing, noted",
          "[import]") {
  const std::string log =
      payload("firing", "c0ffee01", "2026-11-27T18:00:00Z") + "\n" +
      payload("resolved", "c0ffee01", "2026-11-27T18:00:00Z", "2026-11-27T17:59:58Z") + "\n";
  Diagnostics d;
  std::vector<std::string> notes;
  auto h = import(log, d, notes);
  REQUIRE(h);
  REQUIRE(h->alerts.size() == 1);
  REQUIRE(h->alerts[0].firings.size() == 1);
  CHECK(h->alerts[0].firings[0].end == *parse_time("2026-11-27T18:00:00Z"));
  REQUIRE(notes.size() == 1);
  CHECK(notes[0] ==
        "am.log:2: c0ffee01 (OOMKilled): resolved with endsAt 2026-11-27T17:59:58.000Z before its "
        "startsAt 2026-11-27T18:00:00.000Z; read as a firing that ended when it started");
}

TEST_CASE("webhook log: firing, re-delivery and resolved make one firing interval", "[import]") {
  const std::string log =
      payload("firing", "c0ffee01", "2026-11-27T18:00:00Z") + "\n\n" +
      payload("firing", "c0ffee01", "2026-11-27T18:00:00Z") + "\n" +
      payload("resolved", "c0ffee01", "2026-11-27T18:00:00Z", "2026-11-27T18:25:00Z") + "\n" +
      payload("firing", "c0ffee02", "2026-11-27T19:00:00Z") + "\n";
  Diagnostics d;
  std::vector<std::string> notes;
  auto h = import(log, d, notes);
  REQUIRE(h);
  REQUIRE(h->alerts.size() == 2);
  const auto& a = h->alerts[0];
  CHECK(a.alertname == "OOMKilled");
  CHECK(a.service == "payment-api");
  CHECK(a.ns == "prod");
  CHECK(a.annotations.at("incident_type") == "memory-leak");
  REQUIRE(a.firings.size() == 1);
  CHECK(a.firings[0].start == *parse_time("2026-11-27T18:00:00Z"));
  CHECK(a.firings[0].end == *parse_time("2026-11-27T18:25:00Z"));
  CHECK_FALSE(h->alerts[1].firings[0].end);
  CHECK(h->until == *parse_time("2026-11-27T19:00:00Z"));
  CHECK(notes.empty());
}

TEST_CASE("webhook log: a line that is not JSON fails the import naming file:line", "[import]") {
  const std::string log = payload("firing", "c0ffee01", "2026-11-27T18:00:00Z") + "\n{not json\n" +
                          payload("firing", "c0ffee02", "2026-11-27T19:00:00Z");
  Diagnostics d;
  std::vector<std::string> notes;
  CHECK_FALSE(import(log, d, notes));
  REQUIRE(d.size() == 1);
  CHECK_THAT(d.describe(), Catch::StartsWith("am.log:2:"));
}

TEST_CASE("webhook log: a payload missing a field names the line and the field", "[import]") {
  std::string bad = payload("firing", "c0ffee01", "2026-11-27T18:00:00Z");
  bad.replace(bad.find("\"startsAt\""), 10, "\"startAt\"");
  Diagnostics d;
  std::vector<std::string> notes;
  CHECK_FALSE(import(payload("firing", "c0ffee02", "2026-11-27T18:00:00Z") + "\n" + bad, d, notes));
  CHECK_THAT(d.describe(), Catch::Contains("am.log:2:") && Catch::Contains("startsAt"));
}

TEST_CASE("webhook log: an alert without its alertname label is refused", "[import]") {
  std::string bad = payload("firing", "c0ffee01", "2026-11-27T18:00:00Z");
  bad.replace(bad.find("\"alertname\":\"OOMKilled\","), 24, "");
  Diagnostics d;
  std::vector<std::string> notes;
  CHECK_FALSE(import(bad, d, notes));
  CHECK_THAT(d.describe(),
             Catch::Contains("am.log:1:") && Catch::Contains("alerts[0].labels.alertname"));
}

TEST_CASE("webhook log: a resolved notification that never came is repaired with a note",
          "[import]") {
  const std::string log = payload("firing", "c0ffee01", "2026-11-27T18:00:00Z") + "\n" +
                          payload("firing", "c0ffee01", "2026-11-27T20:00:00Z");
  Diagnostics d;
  std::vector<std::string> notes;
  auto h = import(log, d, notes);
  REQUIRE(h);
  REQUIRE(h->alerts[0].firings.size() == 2);
  CHECK(h->alerts[0].firings[0].end == *parse_time("2026-11-27T20:00:00Z"));
  REQUIRE(notes.size() == 1);
  CHECK_THAT(notes[0], Catch::Contains("no resolved notification"));
}

TEST_CASE("webhook log: an empty log or a missing file is an error, never an empty history",
          "[import]") {
  Diagnostics d;
  std::vector<std::string> notes;
  CHECK_FALSE(import("\n\n", d, notes));
  CHECK_FALSE(im::import_webhook_log("/nonexistent/am.log", d, notes));
  CHECK(d.size() == 2);
}

TEST_CASE("audit import: serve's own audit becomes firings with its classification", "[import]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("selfheal-import-audit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "state.db").string();
  {
    auto store = selfheal::live::SqliteStore::open(db);
    REQUIRE(store);
    eng::AuditRecord r;
    r.seq = 1;
    r.time = *parse_time("2026-11-27T18:00:10Z");
    r.kind = eng::AuditKind::kDecision;
    r.incident = "c0ffee01";
    r.target = {"prod", "payment-api"};
    r.classification = eng::Classification{"memory-leak", 0.95, "external", {}};
    r.outcome = eng::Outcome::kExecuted;
    store.value()->record(r);
    r.seq = 2;
    r.time = *parse_time("2026-11-27T18:30:00Z");
    r.outcome = eng::Outcome::kResolved;
    store.value()->record(r);
    r.seq = 3;
    r.kind = eng::AuditKind::kOperator;
    r.incident = "";
    store.value()->record(r);
  }
  Diagnostics d;
  std::vector<std::string> notes;
  auto h = im::import_audit_db(db, d, notes);
  REQUIRE(h);
  REQUIRE(h->alerts.size() == 1);
  const auto& a = h->alerts[0];
  CHECK(a.fingerprint == "c0ffee01");
  CHECK(a.service == "payment-api");
  CHECK(a.annotations.at("incident_type") == "memory-leak");
  CHECK(a.annotations.at("confidence") == "0.95");
  REQUIRE(a.firings.size() == 1);
  CHECK(a.firings[0].start == *parse_time("2026-11-27T18:00:10Z"));
  CHECK(a.firings[0].end == *parse_time("2026-11-27T18:30:00Z"));

  Diagnostics bad;
  CHECK_FALSE(im::import_audit_db((dir / "missing.db").string(), bad, notes));
  std::filesystem::remove_all(dir);
}

TEST_CASE("merge: the same alert from two sources is refused", "[import]") {
  Diagnostics d;
  std::vector<std::string> notes;
  auto one = import(payload("firing", "c0ffee01", "2026-11-27T18:00:00Z"), d, notes);
  REQUIRE(one);
  auto two = *one;
  two.sources = {"audit:state.db"};
  CHECK_FALSE(im::merge_histories({*one, two}, d));
  CHECK_THAT(d.describe(), Catch::Contains("c0ffee01") && Catch::Contains("audit:state.db"));
}
