// What the in-process server tests share (service_test.cpp, state_safety_test.cpp): a
// temporary directory, a recording HTTP receiver, a Prometheus that holds its answers, the
// test policies and config, an Alertmanager payload, and a running LiveService.
//
//   TempDir dir;
//   Running s(make_config(dir.path));
//   s.send("POST", "/api/v1/alerts", alert_payload("fp-1"));
//   CHECK(s.decisions(engine::Outcome::kExecuted).size() == 1);
#pragma once

#include <catch2/catch.hpp>

#include <optional>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/policy_loader.hpp"
#include "live/http_client.hpp"
#include "live/service.hpp"
#include "live/sqlite_state.hpp"

namespace selfheal::live::serve_test {

using json = nlohmann::json;
using namespace std::chrono_literals;

inline constexpr const char* kToken = "test-token-0123456789";

inline constexpr const char* kPolicies = R"(
remediation_policies:
  - incident_type: memory-leak
    detection_signal: OOMKilled
    action: restart
    auto_execute: true
    confidence_threshold: 0.9
    max_attempts: 2
    cooldown_after_action: 10m
    verification_window: 10m
    escalation_channel: pagerduty-p1
  - incident_type: cpu-spike
    action: {kind: scale, replicas: 6}
    auto_execute: true
    confidence_threshold: 0.5
    verification_window: 10m
)";

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("selfheal-svc-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// A local HTTP receiver that records every body it accepts (and counts every request).
struct Receiver {
  std::mutex mu;
  std::vector<std::string> bodies;
  std::vector<std::string> idempotency_keys;
  int hits = 0;
  std::atomic<int> fail_first{0};
  HttpServer server{{"127.0.0.1", 0, 1 << 20, 1}, [this](const HttpServer::Request& r) {
                      std::lock_guard lock(mu);
                      ++hits;
                      cv.notify_all();
                      if (fail_first > 0) {
                        --fail_first;
                        return HttpServer::json(503, "{}");
                      }
                      bodies.push_back(r.body());
                      idempotency_keys.emplace_back(r["Idempotency-Key"]);
                      return HttpServer::json(202, R"({"status":"success"})");
                    }};
  std::uint16_t port = 0;
  Receiver() { port = *server.start(); }
  std::size_t count() {
    std::lock_guard lock(mu);
    return bodies.size();
  }
  std::condition_variable cv;
  /// Waits (bounded) until `n` bodies have arrived.
  bool wait_for(std::size_t n, std::chrono::seconds limit = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, limit, [&] { return bodies.size() >= n; });
  }
  /// Waits (bounded) until `n` requests, accepted or not, have arrived.
  bool wait_hits(int n, std::chrono::seconds limit = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, limit, [&] { return hits >= n; });
  }
};

// A Prometheus that holds every query until the test releases it (no sleeping: the test
// decides when the answer goes out), then answers 0 for everything.
struct HeldPrometheus {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  int received = 0;
  HttpServer server{{"127.0.0.1", 0, 1 << 20, 1}, [this](const HttpServer::Request&) {
                      std::unique_lock lock(mu);
                      ++received;
                      cv.notify_all();
                      cv.wait(lock, [&] { return released; });
                      return HttpServer::json(
                          200, R"({"status":"success","data":{"resultType":"vector","result":[)"
                               R"({"metric":{},"value":[1700000000,"0"]}]}})");
                    }};
  std::uint16_t port = 0;
  HeldPrometheus() { port = *server.start(); }
  ~HeldPrometheus() {
    release();
    server.stop();
  }
  void release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
  bool wait_received(int n, std::chrono::seconds limit = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, limit, [&] { return received >= n; });
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

inline ServeConfig make_config(const std::filesystem::path& dir, std::uint16_t receiver_port = 0) {
  ServeConfig c;
  c.token = kToken;
  c.port = 0;
  c.state_path = (dir / "state.db").string();
  c.body_limit = 64 * 1024;
  c.labels.allowed_namespaces = {"prod"};
  c.kube.context = "kind-test";
  if (receiver_port != 0) {
    NotifierConfig n;
    n.name = "pd";
    n.type = NotifierConfig::Type::kPagerDuty;
    n.url = "http://127.0.0.1:" + std::to_string(receiver_port) + "/v2/enqueue";
    n.routing_key = "R0UT1NGKEY";
    n.backoff = 10ms;
    c.notifiers.push_back(n);
  }
  return c;
}

inline engine::PolicySet policies() {
  auto l = engine::load_policy_string(kPolicies, "test-policies.yaml");
  INFO(l.diagnostics.describe());
  REQUIRE(l.policies);
  return *l.policies;
}

inline std::string alert_payload(const std::string& fingerprint,
                                 const std::string& status = "firing",
                                 const std::string& service = "payment-api",
                                 const std::string& type = "memory-leak",
                                 const std::string& confidence = "0.97") {
  json a = {{"status", status},
            {"labels", {{"alertname", "OOMKilled"}, {"service", service}, {"namespace", "prod"}}},
            {"annotations", {{"incident_type", type}, {"confidence", confidence}}},
            {"startsAt", "2026-11-27T18:00:00Z"},
            {"endsAt", status == "resolved" ? "2026-11-27T18:30:00Z" : "0001-01-01T00:00:00Z"},
            {"generatorURL", "http://prometheus/graph"},
            {"fingerprint", fingerprint}};
  return json{{"version", "4"},
              {"groupKey", "{}:{alertname=\"OOMKilled\"}"},
              {"truncatedAlerts", 0},
              {"status", status},
              {"receiver", "selfheal"},
              {"groupLabels", {{"alertname", "OOMKilled"}}},
              {"commonLabels", json::object()},
              {"commonAnnotations", json::object()},
              {"externalURL", "http://alertmanager:9093"},
              {"alerts", json::array({a})}}
      .dump();
}

struct Running {
  std::unique_ptr<LiveService> svc;
  std::uint16_t port = 0;
  Running(const ServeConfig& c, bool dry_run = true) : Running(c, policies(), dry_run) {}
  Running(const ServeConfig& c, bool dry_run, const std::optional<engine::PolicySet>& with)
      : Running(c, with ? *with : policies(), dry_run) {}
  Running(const ServeConfig& c, engine::PolicySet set, bool dry_run = true) {
    auto s = LiveService::create(c, std::move(set), dry_run);
    if (!s) FAIL(s.error().describe());
    svc = std::move(*s);
    auto p = svc->start();
    if (!p) FAIL(p.error().describe());
    port = *p;
  }
  // A body is sent as Alertmanager sends it, declared application/json.
  HttpResponse send(const std::string& method, const std::string& path,
                    const std::string& body = {}, const std::string& token = kToken) {
    return send_as(body.empty() ? "" : "application/json", method, path, body, token);
  }
  // With `content_type` as the Content-Type header ("": none).
  HttpResponse send_as(const std::string& content_type, const std::string& method,
                       const std::string& path, const std::string& body,
                       const std::string& token = kToken) {
    HttpRequest r{method, "http://127.0.0.1:" + std::to_string(port) + path, {}, body};
    if (!token.empty()) r.headers.push_back({"Authorization", "Bearer " + token});
    if (!content_type.empty()) r.headers.push_back({"Content-Type", content_type});
    auto res = http_request(r, 10s);
    if (!res) FAIL(res.error().message);
    return *res;
  }
  std::vector<engine::AuditRecord> decisions(engine::Outcome o) {
    REQUIRE(svc->drain(10s));
    std::vector<engine::AuditRecord> out;
    for (auto& r : svc->store().audit_log())
      if (r.kind == engine::AuditKind::kDecision && r.outcome == o) out.push_back(r);
    return out;
  }
  std::vector<engine::AuditRecord> records(engine::AuditKind kind) {
    std::vector<engine::AuditRecord> out;
    for (auto& r : svc->store().audit_log())
      if (r.kind == kind) out.push_back(r);
    return out;
  }
  /// Waits (bounded; each round trip through the engine thread is the wait, no sleep)
  /// until a record of `kind` is in the audit log.
  bool wait_record(engine::AuditKind kind, std::chrono::seconds limit = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!records(kind).empty()) return true;
      svc->drain(1s);
      std::this_thread::yield();
    }
    return !records(kind).empty();
  }
};

}  // namespace selfheal::live::serve_test
