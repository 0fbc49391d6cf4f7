// The HTTP/1.1 request reader of `selfheal serve` (live/http_server.cpp's Session): a
// beast::flat_buffer and, per request, a fresh http::request_parser<string_body> with the
// server's body limit, read with http::read until an error or the end of the bytes, as the
// server reads a keep-alive connection. The socket is replaced by an in-memory stream that
// hands out the bytes in chunks of a size taken from the first byte, so requests split at
// every boundary are tried. An error code is the expected answer (the server sends 400 or
// 413); an exception (e.g. std::length_error from an oversized field) kills the server's
// I/O thread and is a finding. Keep kBodyLimit and the parser set-up in step with
// live/http_server.cpp and live/config.cpp.
#include <algorithm>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "fuzz/fuzz_support.hpp"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

constexpr std::size_t kBodyLimit = 1 << 20;  // HttpServer::Options::body_limit's default
constexpr std::size_t kMaxRequests = 64;     // per connection, to bound one input's work

// A SyncReadStream over the fuzzer's bytes.
class MemoryStream {
 public:
  MemoryStream(std::string_view bytes, std::size_t chunk) : bytes_(bytes), chunk_(chunk) {}

  template <typename MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    if (bytes_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    const std::size_t n =
        asio::buffer_copy(buffers, asio::buffer(bytes_.data(), std::min(chunk_, bytes_.size())));
    bytes_.remove_prefix(n);
    ec = {};
    return n;
  }
  template <typename MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    boost::system::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view bytes_;
  std::size_t chunk_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0];
  MemoryStream stream(selfheal::fuzz::text(data + 1, size - 1), chunk);
  boost::beast::flat_buffer buffer;
  for (std::size_t i = 0; i < kMaxRequests; ++i) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    boost::system::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) break;
    const auto& req = parser.get();
    (void)req[http::field::authorization];
    (void)req.target();
    if (!req.keep_alive()) break;
  }
  return 0;
}
