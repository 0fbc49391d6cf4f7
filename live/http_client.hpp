// A small blocking HTTP/1.1 client (Boost.Beast) with an overall deadline, for the
// Prometheus API and the notifiers. Plain http:// only: there is no TLS client in this
// build (docs/live.md#tls).
//
//   auto r = http_request({"POST", "http://127.0.0.1:9090/x", {{"Content-Type",
//   "application/json"}},
//                          body}, std::chrono::seconds{5});
//   if (r && r->status == 202) ...
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace selfheal::live {

struct Url {
  std::string host;
  std::string port = "80";
  std::string target = "/";  ///< path + query
};

/// Parses `http://host[:port][/path][?query]`. https and other schemes are errors.
core::Result<Url> parse_url(const std::string& url);

/// RFC 3986 percent-encoding of everything but unreserved characters.
std::string url_encode(std::string_view s);

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

/// Sends one request and reads the response, all within `timeout` (connect included). A
/// transport failure or timeout is an Error; an HTTP error status is a response.
core::Result<HttpResponse> http_request(const HttpRequest& req, core::Duration timeout);

}  // namespace selfheal::live
