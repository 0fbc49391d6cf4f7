// parse_webhook / to_incidents and the serve limits against hostile input (issue 18): every
// failure is an error naming the JSON path, never an exception, and every user value quoted
// in a reason is escaped and short (those reasons are logged and returned in JSON).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "live/alertmanager.hpp"
#include "live/config.hpp"

using namespace selfheal;
using namespace selfheal::live;

namespace {

std::string body_with(const std::string& alert_fields, const std::string& top = "") {
  return R"({"version":"4","groupKey":"g","status":"firing","receiver":"r",)" + top +
         R"("alerts":[{"status":"firing","startsAt":"2026-11-27T18:00:00Z",)" + alert_fields +
         "}]}";
}

constexpr const char* kLabels = R"("labels":{"service":"api","namespace":"prod"})";

// The error of a body that must be refused: field and message.
std::pair<std::string, std::string> refusal(const std::string& body) {
  auto m = parse_webhook(body);
  REQUIRE_FALSE(m);
  return {m.error().field, m.error().message};
}

bool printable_ascii(const std::string& s) {
  for (char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

}  // namespace

TEST_CASE("an overflowing number is an error naming its field", "[live][alertmanager][attack]") {
  auto [field, msg] = refusal(
      body_with(std::string(kLabels) + R"(,"fingerprint":"f")", R"("truncatedAlerts":1e400,)"));
  CHECK(field == "truncatedAlerts");
  CHECK_THAT(msg, Catch::Contains("number out of range"));
  std::tie(field, msg) = refusal(body_with(
      R"("labels":{"service":"api"},"annotations":{"confidence":-1e999},"fingerprint":"f")"));
  CHECK(field == "alerts[0].annotations.confidence");
}

TEST_CASE("invalid UTF-8 is an error naming its field, in plain ASCII",
          "[live][alertmanager][attack]") {
  auto [field, msg] = refusal(body_with(R"("labels":{"service":"a)"
                                        "\xff\xfe"
                                        R"(","namespace":"prod"},"fingerprint":"f")"));
  CHECK(field == "alerts[0].labels.service");
  CHECK(msg == "invalid UTF-8 in a string");
  // In a key, and in a later array element: the path still says where.
  std::tie(field, msg) =
      refusal(R"({"version":"4","groupKey":"g","status":"firing","receiver":"r","alerts":[{},{"x)"
              "\xc3"
              R"(":1}]})");
  CHECK(field.starts_with("alerts[1]"));
  CHECK(printable_ascii(field + msg));
  // An error message built from these must encode as JSON (it used to throw: 500).
  CHECK_NOTHROW(nlohmann::json{{"error", field + ": " + msg}}.dump());
}

TEST_CASE("malformed JSON is described without echoing raw bytes", "[live][alertmanager][attack]") {
  auto [field, msg] = refusal("{\"version\":\"4\",\x01\xff");
  CHECK_THAT(msg, Catch::StartsWith("malformed JSON at byte"));
  CHECK(printable_ascii(msg));
  std::tie(field, msg) = refusal(std::string(100000, '['));
  CHECK(printable_ascii(msg));
  CHECK(msg.size() < 1000);
  CHECK(field.size() < 200);
}

TEST_CASE("a fingerprint that could forge a log line is refused", "[live][alertmanager][attack]") {
  auto [field, msg] =
      refusal(body_with(std::string(kLabels) + R"(,"fingerprint":"f\nselfheal: x")"));
  CHECK(field == "alerts[0].fingerprint");
  CHECK(printable_ascii(msg));
  std::tie(field, msg) = refusal(
      body_with(std::string(kLabels) + R"(,"fingerprint":")" + std::string(129, 'f') + "\""));
  CHECK(field == "alerts[0].fingerprint");
  CHECK(parse_webhook(body_with(std::string(kLabels) + R"(,"fingerprint":"c0ffee01")")));
}

TEST_CASE("rejected label values are escaped and truncated in the reason",
          "[live][alertmanager][attack]") {
  const auto forged = nlohmann::json("x\nselfheal: FORGED").dump();
  const auto huge = std::string(200000, 'a');
  const std::string body =
      R"({"version":"4","groupKey":"g","status":"firing","receiver":"r","alerts":[)"
      R"({"status":"firing","startsAt":"2026-11-27T18:00:00Z","fingerprint":"f1",)"
      R"("labels":{"service":)" +
      forged +
      R"(,"namespace":"prod"}},)"
      R"({"status":"firing","startsAt":"2026-11-27T18:00:00Z","fingerprint":"f2",)"
      R"("labels":{"service":"api","namespace":")" +
      huge +
      R"("}},)"
      R"({"status":"firing","startsAt":"2026-11-27T18:00:00Z","fingerprint":"f3",)"
      R"("labels":{"service":"api","namespace":"prod"},)"
      R"("annotations":{"incident_type":"x","confidence":"0.5\r\n\u00e9"}}]})";
  auto m = parse_webhook(body);
  REQUIRE(m);
  auto batch = to_incidents(*m, LabelMapping{});
  REQUIRE(batch.rejected.size() == 3);
  for (const auto& r : batch.rejected) {
    CHECK(printable_ascii(r.reason));
    CHECK(r.reason.size() < 600);
  }
  CHECK_THAT(batch.rejected[0].reason, Catch::Contains(R"("x\nselfheal: FORGED")"));
  CHECK_THAT(batch.rejected[1].reason, Catch::Contains("...(+199872 bytes)"));
  CHECK_THAT(batch.rejected[2].reason, Catch::Contains(R"("0.5\r\n\xc3\xa9")"));
}

TEST_CASE("max_connections and request_timeout are read and bounded", "[live][config]") {
  const std::string base = "auth: {token: \"0123456789abcdef0123\"}\npolicies: p.yaml\n";
  auto l = load_serve_config_string(base + "max_connections: 32\nrequest_timeout: 3s\n",
                                    "serve.yaml", "/etc/selfheal");
  REQUIRE(l.config);
  CHECK(l.config->max_connections == 32);
  CHECK(l.config->request_timeout == std::chrono::seconds{3});
  auto d = load_serve_config_string(base, "serve.yaml", "/etc/selfheal");
  REQUIRE(d.config);
  CHECK(d.config->max_connections == 256);
  CHECK(d.config->request_timeout == std::chrono::seconds{10});
  for (const auto* bad :
       {"max_connections: 0\n", "request_timeout: 11m\n", "request_timeout: 0s\n"}) {
    auto b = load_serve_config_string(base + bad, "serve.yaml", "/etc/selfheal");
    CHECK_FALSE(b.config);
  }
}
