#include "live/http_server.hpp"

#include <atomic>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

namespace selfheal::live {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds{60};

// One connection: read a request, answer, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, const HttpServer::Handler& handler, std::size_t body_limit)
      : stream_(std::move(socket)), handler_(handler), body_limit_(body_limit) {}

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(body_limit_);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return close();
    if (ec == http::error::body_limit) {
      auto res = HttpServer::json(413, R"({"error":"request body exceeds the limit of )" +
                                           std::to_string(body_limit_) + R"( bytes"})");
      res.keep_alive(false);
      return write(std::move(res));
    }
    if (ec) {
      if (ec == beast::error::timeout || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset || ec == asio::error::eof)
        return close();
      auto res = HttpServer::json(400, R"({"error":"malformed HTTP request"})");
      res.keep_alive(false);
      return write(std::move(res));
    }
    auto req = parser_->release();
    HttpServer::Response res;
    try {
      res = handler_(req);
    } catch (const std::exception& e) {
      std::cerr << "selfheal: handler error: " << e.what() << "\n";
      res = HttpServer::json(500, R"({"error":"internal error"})");
    }
    res.version(req.version());
    res.keep_alive(req.keep_alive() && res.keep_alive());
    write(std::move(res));
  }

  void write(HttpServer::Response&& res) {
    res.prepare_payload();
    auto sp = std::make_shared<HttpServer::Response>(std::move(res));
    const bool close_after = !sp->keep_alive();
    http::async_write(
        stream_, *sp,
        [self = shared_from_this(), sp, close_after](beast::error_code ec, std::size_t) {
          if (ec || close_after) return self->close();
          self->do_read();
        });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServer::Handler& handler_;
  std::size_t body_limit_;
};

}  // namespace

struct HttpServer::Impl {
  Options options;
  Handler handler;
  asio::io_context ioc;
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  bool started = false;

  void do_accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
        // Out of descriptors and the like: keep accepting rather than go deaf.
        std::cerr << "selfheal: accept: " << ec.message() << "\n";
      } else {
        std::make_shared<Session>(std::move(s), handler, options.body_limit)->run();
      }
      do_accept();
    });
  }
};

HttpServer::HttpServer(Options options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() {
  stop();
}

core::Result<std::uint16_t> HttpServer::start() {
  auto& i = *impl_;
  beast::error_code ec;
  const auto addr = asio::ip::make_address(i.options.address, ec);
  if (ec) return core::Error("invalid listen address \"" + i.options.address + "\"");
  const tcp::endpoint ep{addr, i.options.port};
  i.acceptor.open(ep.protocol(), ec);
  if (!ec) i.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) i.acceptor.bind(ep, ec);
  if (!ec) i.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return core::Error("cannot listen on " + i.options.address + ":" +
                       std::to_string(i.options.port) + ": " + ec.message());
  const auto port = i.acceptor.local_endpoint().port();
  i.do_accept();
  i.started = true;
  for (int t = 0; t < std::max(1, i.options.threads); ++t)
    i.threads.emplace_back([&i] { i.ioc.run(); });
  return port;
}

void HttpServer::stop() {
  auto& i = *impl_;
  if (i.stopped.exchange(true)) return;
  asio::post(i.acceptor.get_executor(), [&i] {
    beast::error_code ec;
    i.acceptor.close(ec);
  });
  i.ioc.stop();
  for (auto& t : i.threads)
    t.join();
  i.threads.clear();
}

HttpServer::Response HttpServer::text(int status, std::string body, std::string content_type) {
  Response r{static_cast<http::status>(status), 11};
  r.set(http::field::content_type, content_type);
  r.set(http::field::server, "selfheal");
  r.body() = std::move(body);
  r.keep_alive(true);
  return r;
}

HttpServer::Response HttpServer::json(int status, std::string body) {
  return text(status, std::move(body), "application/json");
}

}  // namespace selfheal::live
