// The HTTP/1.1 server (Boost.Beast over Asio): accepts connections, reads requests with a
// body limit (413 beyond it, before the body is buffered), keeps connections alive, and
// hands each complete request to a synchronous handler on an I/O thread. The handler must
// be fast (it parses and enqueues; the engine works elsewhere).
//
//   HttpServer server({"127.0.0.1", 0, 1 << 20, 1}, [](const HttpServer::Request& r) {
//     return HttpServer::text(200, "ok\n");
//   });
//   auto port = server.start();   // the bound port (0 asks for an ephemeral one)
//   ...
//   server.stop();                // closes the listener and connections, joins threads
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/beast/http.hpp>

#include "core/result.hpp"

namespace selfheal::live {

class HttpServer {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  using Handler = std::function<Response(const Request&)>;

  struct Options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 9095;
    std::size_t body_limit = 1 << 20;  ///< bytes; larger bodies get 413
    int threads = 1;                   ///< I/O threads
  };

  HttpServer(Options options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds, listens and starts the I/O threads. Returns the bound port.
  core::Result<std::uint16_t> start();
  /// Idempotent.
  void stop();

  static Response text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  static Response json(int status, std::string body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal::live
