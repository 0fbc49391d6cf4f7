// The HTTP/1.1 server (Boost.Beast over Asio): accepts connections, reads requests with a
// body limit (413 beyond it, before the body is buffered), keeps connections alive, and
// hands each complete request to a synchronous handler on an I/O thread. The handler must
// be fast (it parses and enqueues; the engine works elsewhere).
//
// Bounded against unauthenticated clients (docs/security.md#limits): the request line and
// headers, a chunk-size line with its extensions and a chunked trailer each fit in
// `header_limit` bytes (431 for the header, 400 otherwise), the decoded body in
// `body_limit`; a request must arrive whole within `request_timeout`, and a connection
// waiting for its next request is closed after it too. At most `max_connections` are open
// (clamped below the process's descriptor limit); one more evicts the connection idle the
// longest. No exception leaves an I/O thread; accept errors are logged at a bounded rate.
//
//   HttpServer server({"127.0.0.1", 0, 1 << 20, 1}, [](const HttpServer::Request& r) {
//     return HttpServer::text(200, "ok\n");
//   });
//   auto port = server.start();   // the bound port (0 asks for an ephemeral one)
//   ...
//   server.stop();                // closes the listener and connections, joins threads
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "core/result.hpp"

namespace selfheal::live {

/// Constant-time equality (no early exit on the first differing byte, nor on length): for
/// comparing a request's bearer token with the configured one.
bool constant_time_equal(std::string_view a, std::string_view b);

class HttpServer {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  using Handler = std::function<Response(const Request&)>;

  struct Options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 9095;
    std::size_t body_limit = 1 << 20;      ///< bytes; larger bodies get 413
    int threads = 1;                       ///< I/O threads
    std::size_t header_limit = 16 * 1024;  ///< bytes; also bounds chunk lines and trailers
    int max_connections = 256;             ///< open at once; see connection_cap
    std::chrono::steady_clock::duration request_timeout = std::chrono::seconds{10};
  };

  /// Descriptors kept free for everything else (SQLite, kubectl pipes, outgoing HTTP).
  static constexpr std::uint64_t kReservedFds = 64;
  /// `configured`, lowered to `fd_soft_limit - kReservedFds` (at least 1) when that is
  /// smaller: connection_cap(256, 1024) == 256, connection_cap(256, 128) == 64.
  static int connection_cap(int configured, std::uint64_t fd_soft_limit);

  HttpServer(Options options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds, listens and starts the I/O threads. Returns the bound port. Warns on stderr when
  /// max_connections was lowered to fit the descriptor limit.
  core::Result<std::uint16_t> start();
  /// Idempotent.
  void stop();

  /// Connections open now (for tests and diagnostics).
  std::size_t open_connections() const;
  /// The cap in force after start() (connection_cap of the option and RLIMIT_NOFILE).
  int max_connections() const;

  /// The value of `name` in the target's query string (`/p?a=1&limit=20` -> "20"), or
  /// nullopt when absent. Not percent-decoded.
  static std::optional<std::string> query_param(std::string_view target, std::string_view name);

  /// Whether a request's Content-Type header value says its body is JSON:
  /// `application/json` or a `+json` type (`application/vnd.x+json`), any case, with any
  /// parameters (`; charset=utf-8`). An absent header (empty value) counts as JSON: a sender
  /// that names no type is not contradicting the body. Example:
  ///   json_media_type("Application/JSON; charset=utf-8") == true
  ///   json_media_type("application/x-www-form-urlencoded") == false  (curl -d's default)
  static bool json_media_type(std::string_view content_type);

  static Response text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  static Response json(int status, std::string body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal::live
