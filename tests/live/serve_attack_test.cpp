// The attacks of issue 18 against a real `selfheal serve` (the built binary, a child process
// on loopback with a temporary config and a lowered descriptor limit): after each one the
// server must still be up, and at the end it must answer a valid webhook correctly, with a
// log that is short and has no forged lines. Every wait is a bounded poll of a condition.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "live/http_client.hpp"
#include "tests/live/raw_http.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/cli_harness.hpp"

using namespace selfheal;
using namespace selfheal::live;
using selfheal::test::raw_request;
using selfheal::test::RawConn;
using selfheal::test::status_of;
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using selfheal::test::eventually;
using selfheal::test::free_port;

namespace {

constexpr const char* kToken = "attack-token-0123456789abcdef";
// The child's descriptor limit: low enough that the idle flood below exceeds it.
constexpr rlim_t kChildFdLimit = 160;
constexpr int kIdleFlood = 200;

std::string alert_body(const std::string& service, const std::string& fingerprint) {
  return json{
      {"version", "4"},
      {"groupKey", "g"},
      {"status", "firing"},
      {"receiver", "selfheal"},
      {"alerts",
       {{{"status", "firing"},
         {"labels", {{"alertname", "OOMKilled"}, {"service", service}, {"namespace", "prod"}}},
         {"annotations", {{"incident_type", "memory-leak"}, {"confidence", "0.97"}}},
         {"startsAt", "2026-11-27T18:00:00Z"},
         {"fingerprint", fingerprint}}}}}
      .dump();
}

}  // namespace

TEST_CASE("selfheal serve survives the issue-18 attacks and then answers a valid webhook",
          "[live][serve][attack]") {
  const char* bin_dir = std::getenv("SELFHEAL_BINARY_DIR");
  const fs::path bin = fs::path(bin_dir ? bin_dir : "build") / "cli" / "selfheal";
  REQUIRE(fs::exists(bin));  // built with this test (add_dependencies)
  selfheal::test::TempDir dir("serve-attack");
  std::ofstream(dir.path / "policies.yaml") << R"(remediation_policy:
  incident_type: memory-leak
  action: restart
  auto_execute: true
  confidence_threshold: 0.9
  max_attempts: 2
  cooldown_after_action: 10m
  verification_window: 10m
)";
  const auto port = free_port();
  std::ofstream(dir.path / "serve.yaml") << "auth: {token: " << kToken << "}\n"
                                         << "policies: policies.yaml\nstate: {path: state.db}\n"
                                         << "listen: {port: " << port << "}\nrequest_timeout: 2s\n";
  const auto log_path = dir.path / "serve.log";
  // `selfheal serve` with its own descriptor limit, low enough that the idle flood exceeds it.
  selfheal::test::Child serve({bin.string(), "serve", "-c", (dir.path / "serve.yaml").string()},
                              log_path, kChildFdLimit);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const std::string auth = std::string("Authorization: Bearer ") + kToken + "\r\n";
  auto post = [&](const std::string& body) {
    return http_request({"POST",
                         url + "/api/v1/alerts",
                         {{"Authorization", std::string("Bearer ") + kToken}},
                         body},
                        5s);
  };
  auto up = [&] {
    auto r = http_request({"GET", url + "/healthz", {}, {}}, 2s);
    return r && r->status == 200;
  };
  REQUIRE(eventually(up, 30s));
  // 160 descriptors minus 64 reserved: the default 256 does not fit and is lowered.
  CHECK(eventually(
      [&] {
        return selfheal::test::slurp(log_path).find("max_connections 256 lowered to 96") !=
               std::string::npos;
      },
      10s));

  {
    // 1. A chunked trailer field of 70,000 bytes (was: length_error, SIGABRT).
    RawConn c(port);
    c.send_all(
        "POST /api/v1/alerts HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "2\r\n{}\r\n0\r\nX-Big: " +
        std::string(70000, 'a') + "\r\n\r\n");
    CHECK(status_of(c.read_response()) == 400);
    REQUIRE(up());
  }
  {
    // 2. A chunk extension without end (was: buffered without bound).
    RawConn c(port, 2000ms);
    c.send_all(
        "POST /api/v1/alerts HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;e=");
    const auto sent = c.send_repeated(std::string(64 * 1024, 'x'), 1024);
    CHECK(status_of(c.read_response()) == 400);
    CHECK(sent < 64u * 1024 * 1024);
    REQUIRE(up());
  }
  {
    // 3. A 100 KB header.
    RawConn c(port);
    c.send_all("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(100000, 'a') +
               "\r\n\r\n");
    CHECK(status_of(c.read_response()) == 431);
    REQUIRE(up());
  }
  {
    // 4. Invalid UTF-8 in a label value (was: 500, retried forever by Alertmanager).
    RawConn c(port);
    auto body = alert_body("api", "fp-utf8");
    body.replace(body.find("\"api\""), 5, "\"a\xff\xfe\"");
    c.send_all(raw_request("POST", "/api/v1/alerts", body, auth));
    const auto reply = c.read_response();
    CHECK(status_of(reply) == 400);
    CHECK_THAT(reply, Catch::Contains("alerts[0].labels.service: invalid UTF-8"));
  }
  {
    // 5. An overflowing number (was: out_of_range through parse_webhook, 500).
    RawConn c(port);
    auto body = alert_body("api", "fp-num");
    body.insert(1, "\"truncatedAlerts\":1e400,");
    c.send_all(raw_request("POST", "/api/v1/alerts", body, auth));
    const auto reply = c.read_response();
    CHECK(status_of(reply) == 400);
    CHECK_THAT(reply, Catch::Contains("truncatedAlerts: number out of range"));
  }
  {
    // 6. Log forging: a newline in a label value, and a 200 KB one.
    auto r = post(alert_body("x\nselfheal: FORGED kill switch disengaged", "fp-forge"));
    REQUIRE(r);
    CHECK(r->status == 202);
    r = post(alert_body(std::string(200000, 'a'), "fp-huge"));
    REQUIRE(r);
    CHECK(r->status == 202);
    CHECK(r->body.size() < 2000);
  }
  {
    // 7. More idle connections than the child has descriptors; then real webhooks.
    std::vector<std::unique_ptr<RawConn>> idle;
    for (int i = 0; i < kIdleFlood; ++i)
      idle.push_back(std::make_unique<RawConn>(port));
    int served = 0;
    for (int i = 0; i < 8; ++i) {
      auto r = post(alert_body("api", "fp-flood-" + std::to_string(i)));
      served += r && r->status == 202 ? 1 : 0;
    }
    CHECK(served == 8);
  }
  REQUIRE(serve.running());
  // Finally a valid webhook is accepted and decided.
  auto r = post(alert_body("final-api", "fp-final"));
  REQUIRE(r);
  CHECK(r->status == 202);
  CHECK(json::parse(r->body)["accepted"] == 1);
  CHECK(eventually(
      [&] {
        auto a = http_request({"GET",
                               url + "/api/v1/audit?limit=1000",
                               {{"Authorization", std::string("Bearer ") + kToken}},
                               {}},
                              2s);
        if (!a || a->status != 200) return false;
        const auto records = json::parse(a->body)["records"];
        for (const auto& rec : records)
          if (rec.value("kind", "") == "decision" && rec.value("incident", "") == "fp-final")
            return true;
        return false;
      },
      30s));
  const auto log = selfheal::test::slurp(log_path);
  CHECK(log.find("\nselfheal: FORGED") == std::string::npos);
  CHECK_THAT(log, Catch::Contains("\\nselfheal: FORGED"));
  CHECK(log.find(std::string(1000, 'a')) == std::string::npos);
  CHECK(log.size() < 64 * 1024);
}
