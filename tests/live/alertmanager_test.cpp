#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "live/alertmanager.hpp"
#include "live/names.hpp"

using namespace selfheal;
using namespace selfheal::live;

namespace {

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(SELFHEAL_LIVE_TEST_DATA) + "/" + name);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string minimal(const std::string& alert_fields) {
  return R"({"version":"4","groupKey":"g","status":"firing","receiver":"r","alerts":[{)" +
         alert_fields + "}]}";
}

constexpr const char* kGoodAlert =
    R"("status":"firing","labels":{"service":"api","namespace":"prod"},)"
    R"("startsAt":"2026-11-27T18:00:00Z","fingerprint":"f1")";

}  // namespace

TEST_CASE("DNS-1123 label validation", "[live][names]") {
  CHECK(is_dns1123_label("payment-api"));
  CHECK(is_dns1123_label("a"));
  CHECK(is_dns1123_label("0abc9"));
  CHECK(is_dns1123_label(std::string(63, 'a')));
  CHECK_FALSE(is_dns1123_label(std::string(64, 'a')));
  CHECK_FALSE(is_dns1123_label(""));
  CHECK_FALSE(is_dns1123_label("Payment-API"));
  CHECK_FALSE(is_dns1123_label("-api"));
  CHECK_FALSE(is_dns1123_label("api-"));
  CHECK_FALSE(is_dns1123_label("a.b"));
  CHECK_FALSE(is_dns1123_label("api; rm -rf /"));
  CHECK_FALSE(is_dns1123_label("--context=evil"));
  CHECK(dns1123_problem("a;b").find("';'") != std::string::npos);
  CHECK(dns1123_problem(std::string("a\nb")).find("\\x0a") != std::string::npos);
}

TEST_CASE("RFC 3339 timestamps as Alertmanager writes them", "[live][alertmanager]") {
  auto t = parse_rfc3339("2026-11-27T18:00:00.123456789Z");
  REQUIRE(t);
  CHECK(format_rfc3339(*t) == "2026-11-27T18:00:00.123Z");
  auto o = parse_rfc3339("2026-11-27T19:00:00+01:00");
  REQUIRE(o);
  CHECK(format_rfc3339(*o) == "2026-11-27T18:00:00.000Z");
  CHECK_FALSE(parse_rfc3339("2026-11-27 18:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-13-27T18:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-11-27T18:00:00"));
  CHECK_FALSE(parse_rfc3339("yesterday"));
}

TEST_CASE("a real firing webhook becomes one incident per alert", "[live][alertmanager]") {
  auto msg = parse_webhook(read_data("am_firing.json"));
  REQUIRE(msg);
  CHECK(msg->version == "4");
  CHECK(msg->receiver == "selfheal");
  CHECK(msg->group_key == "{}/{severity=\"critical\"}:{alertname=\"OOMKilled\"}");
  CHECK(msg->external_url == "http://alertmanager:9093");
  CHECK(msg->group_labels.at("alertname") == "OOMKilled");
  REQUIRE(msg->alerts.size() == 2);
  CHECK_FALSE(msg->alerts[0].ends_at.has_value());  // Go's zero time: still firing

  auto batch = to_incidents(*msg, LabelMapping{});
  CHECK(batch.rejected.empty());
  REQUIRE(batch.incidents.size() == 2);
  const auto& a = batch.incidents[0];
  CHECK(a.fingerprint == "a3b2c1d0e9f8a7b6");
  CHECK(a.group_key == msg->group_key);
  CHECK(a.target == engine::ServiceRef{"prod", "payment-api"});
  CHECK(a.alertname == "OOMKilled");
  CHECK_FALSE(a.resolved);
  CHECK(format_rfc3339(a.started_at) == "2026-11-27T18:00:00.123Z");
  REQUIRE(a.classification);
  CHECK(a.classification->incident_type == "memory-leak");
  CHECK(a.classification->confidence == Approx(0.95));
  // Second alert: no `service` label, falls back to `app`; no external classification.
  const auto& b = batch.incidents[1];
  CHECK(b.target == engine::ServiceRef{"prod", "checkout"});
  CHECK_FALSE(b.classification);
  CHECK(format_rfc3339(b.started_at) == "2026-11-27T17:01:30.000Z");
}

TEST_CASE("a resolved webhook is marked resolved", "[live][alertmanager]") {
  auto msg = parse_webhook(read_data("am_resolved.json"));
  REQUIRE(msg);
  auto batch = to_incidents(*msg, LabelMapping{});
  REQUIRE(batch.incidents.size() == 1);
  CHECK(batch.incidents[0].resolved);
  REQUIRE(msg->alerts[0].ends_at);
  CHECK(format_rfc3339(*msg->alerts[0].ends_at) == "2026-11-27T18:20:00.500Z");
}

TEST_CASE("malformed payloads are refused with the reason", "[live][alertmanager]") {
  auto fails_at = [](const std::string& body, const std::string& field) {
    auto r = parse_webhook(body);
    REQUIRE_FALSE(r);
    INFO(r.error().describe());
    CHECK(r.error().field == field);
    CHECK_FALSE(r.error().message.empty());
  };
  SECTION("not JSON") {
    auto r = parse_webhook("{\"version\": \"4\",");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("malformed JSON") != std::string::npos);
  }
  SECTION("not an object") {
    fails_at("[1,2]", "");
  }
  SECTION("wrong version") {
    fails_at(R"({"version":"3","groupKey":"g","status":"firing","receiver":"r","alerts":[]})",
             "version");
  }
  SECTION("missing groupKey") {
    fails_at(R"({"version":"4","status":"firing","receiver":"r","alerts":[]})", "groupKey");
  }
  SECTION("alerts not an array") {
    fails_at(R"({"version":"4","groupKey":"g","status":"firing","receiver":"r","alerts":{}})",
             "alerts");
  }
  SECTION("bad alert status") {
    fails_at(minimal(R"("status":"burning","labels":{},"startsAt":"2026-11-27T18:00:00Z",)"
                     R"("fingerprint":"f")"),
             "alerts[0].status");
  }
  SECTION("label value not a string") {
    fails_at(minimal(R"("status":"firing","labels":{"service":3},)"
                     R"("startsAt":"2026-11-27T18:00:00Z","fingerprint":"f")"),
             "alerts[0].labels.service");
  }
  SECTION("bad timestamp") {
    fails_at(minimal(R"("status":"firing","labels":{},"startsAt":"now","fingerprint":"f")"),
             "alerts[0].startsAt");
  }
  SECTION("missing fingerprint") {
    fails_at(minimal(R"("status":"firing","labels":{},"startsAt":"2026-11-27T18:00:00Z")"),
             "alerts[0].fingerprint");
  }
  SECTION("a key given twice, at the top or inside an alert") {
    auto r = parse_webhook(
        R"({"version":"4","groupKey":"g","status":"firing","status":"resolved","receiver":"r",)"
        R"("alerts":[]})");
    REQUIRE_FALSE(r);
    CHECK(r.error().field.empty());
    CHECK(r.error().message == "duplicate key \"status\"");
    fails_at(minimal(R"("status":"firing","labels":{"service":"a","service":"b"},)"
                     R"("startsAt":"2026-11-27T18:00:00Z","fingerprint":"f")"),
             "alerts[0].labels");
  }
  SECTION("a well-formed minimal payload parses") {
    CHECK(parse_webhook(minimal(kGoodAlert)));
  }
}

TEST_CASE("names that are not DNS-1123 or not allowed never become incidents",
          "[live][alertmanager]") {
  auto with_labels = [](const std::string& labels) {
    auto m = parse_webhook(minimal(R"("status":"firing","labels":)" + labels +
                                   R"(,"startsAt":"2026-11-27T18:00:00Z","fingerprint":"f")"));
    REQUIRE(m);
    return *m;
  };
  LabelMapping mapping;
  mapping.allowed_namespaces = {"prod", "staging"};

  auto b = to_incidents(with_labels(R"({"service":"api; rm -rf /","namespace":"prod"})"), mapping);
  CHECK(b.incidents.empty());
  REQUIRE(b.rejected.size() == 1);
  CHECK(b.rejected[0].reason.find("DNS-1123") != std::string::npos);

  b = to_incidents(with_labels(R"({"service":"api","namespace":"kube-system"})"), mapping);
  CHECK(b.incidents.empty());
  REQUIRE(b.rejected.size() == 1);
  CHECK(b.rejected[0].reason.find("allowed_namespaces") != std::string::npos);

  b = to_incidents(with_labels(R"({"namespace":"prod"})"), mapping);
  REQUIRE(b.rejected.size() == 1);
  CHECK(b.rejected[0].reason.find("no service label") != std::string::npos);

  b = to_incidents(with_labels(R"({"deployment":"api","namespace":"staging"})"), mapping);
  REQUIRE(b.incidents.size() == 1);
  CHECK(b.incidents[0].target == engine::ServiceRef{"staging", "api"});

  // Custom label names.
  LabelMapping custom;
  custom.service = {"k8s_app"};
  custom.ns = {"kubernetes_namespace"};
  b = to_incidents(with_labels(R"({"k8s_app":"web","kubernetes_namespace":"prod"})"), custom);
  REQUIRE(b.incidents.size() == 1);
  CHECK(b.incidents[0].target == engine::ServiceRef{"prod", "web"});
}

TEST_CASE("an external classification needs a valid confidence", "[live][alertmanager]") {
  auto with_ann = [](const std::string& ann) {
    auto m = parse_webhook(minimal(std::string(kGoodAlert) + R"(,"annotations":)" + ann));
    REQUIRE(m);
    return to_incidents(*m, LabelMapping{});
  };
  CHECK(with_ann(R"({"incident_type":"cpu-spike","confidence":"1.5"})").rejected.size() == 1);
  CHECK(with_ann(R"({"incident_type":"cpu-spike","confidence":"high"})").rejected.size() == 1);
  CHECK(with_ann(R"({"incident_type":"cpu-spike"})").rejected.size() == 1);
  auto ok = with_ann(R"({"incident_type":"cpu-spike","confidence":"0.5"})");
  REQUIRE(ok.incidents.size() == 1);
  CHECK(ok.incidents[0].classification->confidence == Approx(0.5));
}
