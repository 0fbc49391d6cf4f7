// `selfheal serve` assembled: the engine on its own thread (an io_context run by exactly one
// thread, so every engine call and timer is serialised), the live ports, the durable store,
// the notifiers and the HTTP API.
//
// HTTP API (docs/live.md#api); every endpoint but /healthz and /metrics needs
// `Authorization: Bearer <token>` (compared in constant time; 401 otherwise):
//   POST /api/v1/alerts       Alertmanager webhook v4. 202 {"accepted":N,"rejected":[...]}
//                             once parsed and queued for the engine; 400 with the reason on
//                             malformed JSON or schema (nothing queued); 413 over body_limit;
//                             503 + Retry-After when 10000 alerts already wait for the engine.
//   GET  /api/v1/audit?limit=N  the newest N (default 100, max 1000) audit records, newest first
//   GET  /api/v1/kill-switch  {"engaged":bool,"file":bool}
//   POST /api/v1/kill-switch  {"engaged":true|false}
//   GET  /healthz             200 {"status":"ok",...}
//   GET  /metrics             Prometheus text format
//
//   auto svc = LiveService::create(config, policies, /*dry_run=*/true);
//   auto port = (*svc)->start();     // re-sends outbox pages, resumes in-flight
//                                    // verifications, then listens
//   ...
//   (*svc)->stop();
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "engine/policy.hpp"
#include "live/config.hpp"
#include "live/http_server.hpp"

namespace selfheal::live {

class Metrics;
class SqliteStore;

class LiveService {
 public:
  /// Opens the state database and calendar; builds the ports and the engine.
  static core::Result<std::unique_ptr<LiveService>> create(const ServeConfig& config,
                                                           engine::PolicySet policies,
                                                           bool dry_run);
  ~LiveService();
  LiveService(const LiveService&) = delete;
  LiveService& operator=(const LiveService&) = delete;

  /// Starts the engine thread (Engine::resume first) and the HTTP server; returns the port.
  core::Result<std::uint16_t> start();
  /// Stops accepting, lets queued engine work finish, stops timers and threads. Idempotent.
  void stop();

  /// The HTTP handler (also callable in-process by tests).
  HttpServer::Response handle(const HttpServer::Request& req);
  /// Blocks until everything queued on the engine thread before the call has run (bounded
  /// by `timeout`); false on timeout. Incidents and timers still waiting for Prometheus
  /// answers (live/prefetch.hpp) are not waited for.
  bool drain(std::chrono::milliseconds timeout);

  SqliteStore& store();
  Metrics& metrics();
  bool dry_run() const;

 private:
  LiveService();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal::live
