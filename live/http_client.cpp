#include "live/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace selfheal::live {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

core::Result<Url> parse_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with("https://"))
    return core::Error("https URLs are not supported (no TLS client in this build): " + url);
  if (!url.starts_with(kScheme)) return core::Error("not an http:// URL: " + url);
  Url u;
  std::string rest = url.substr(kScheme.size());
  const auto slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    u.target = rest.substr(slash);
    if (u.target.front() == '?') u.target = "/" + u.target;
  }
  if (authority.find('@') != std::string::npos)
    return core::Error("credentials in URLs are not supported: " + url);
  if (!authority.empty() && authority.front() == '[') {  // [::1]:9090
    const auto close = authority.find(']');
    if (close == std::string::npos) return core::Error("malformed IPv6 host in " + url);
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return core::Error("malformed host:port in " + url);
      u.port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
  }
  if (u.host.empty()) return core::Error("no host in " + url);
  if (u.port.empty() || u.port.find_first_not_of("0123456789") != std::string::npos)
    return core::Error("malformed port in " + url);
  return u;
}

std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string o;
  o.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      o += static_cast<char>(c);
    } else {
      o += '%';
      o += kHex[c >> 4];
      o += kHex[c & 0xf];
    }
  }
  return o;
}

core::Result<HttpResponse> http_request(const HttpRequest& req, core::Duration timeout) {
  auto url = parse_url(req.url);
  if (!url) return url.error();
  // Asynchronous operations on a private io_context, so the stream's deadline
  // (tcp_stream::expires_after) bounds resolve-less connect, write and read alike.
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  beast::error_code failure;
  std::string stage = "resolve";

  http::request<http::string_body> r{http::string_to_verb(req.method), url->target, 11};
  if (r.method() == http::verb::unknown) return core::Error("unknown HTTP method " + req.method);
  r.set(http::field::host, url->host + ":" + url->port);
  r.set(http::field::user_agent, "selfheal");
  r.set(http::field::connection, "close");
  for (const auto& [k, v] : req.headers)
    r.set(k, v);
  r.body() = req.body;
  r.prepare_payload();

  tcp::resolver resolver(ioc);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(url->host, url->port, ec);
  if (ec) return core::Error("cannot resolve " + url->host + ": " + ec.message());
  stream.expires_after(timeout);
  stage = "connect";
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    if (e) {
      failure = e;
      return;
    }
    stage = "write";
    http::async_write(stream, r, [&](beast::error_code e2, std::size_t) {
      if (e2) {
        failure = e2;
        return;
      }
      stage = "read";
      http::async_read(stream, buffer, parser, [&](beast::error_code e3, std::size_t) {
        if (e3) failure = e3;
        stage = "done";
      });
    });
  });
  ioc.run();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (failure) {
    const bool timed_out = failure == beast::error::timeout;
    return core::Error(req.method + " " + req.url + ": " + stage + " " +
                       (timed_out ? "timed out" : "failed: " + failure.message()));
  }
  if (stage != "done") return core::Error(req.method + " " + req.url + ": incomplete");
  HttpResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
  return out;
}

}  // namespace selfheal::live
