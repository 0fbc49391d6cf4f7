// Raw bytes to a loopback HTTP server, for the attack tests: requests no well-behaved client
// would write (oversized trailers, endless chunk extensions, idle connections). Blocking
// POSIX sockets with send/receive timeouts, so every call is bounded.
//
//   RawConn c(port);
//   c.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
//   auto reply = c.read_response();   // "HTTP/1.1 200 OK\r\n..." or "" (closed / timed out)
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>

namespace selfheal::test {

class RawConn {
 public:
  /// Connects to 127.0.0.1:port; `io_timeout` bounds each send and receive call.
  explicit RawConn(std::uint16_t port, std::chrono::milliseconds io_timeout = kDefaultTimeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(io_timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((io_timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConn() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool ok() const { return fd_ >= 0; }

  /// Bytes actually sent before an error (reset, timeout, peer closed).
  std::size_t send_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (fd_ >= 0 && sent < bytes.size()) {
      const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    return sent;
  }

  /// Sends `chunk` up to `times` times; stops at the first short send. Total bytes sent.
  std::size_t send_repeated(const std::string& chunk, int times) {
    std::size_t total = 0;
    for (int i = 0; i < times; ++i) {
      const auto n = send_all(chunk);
      total += n;
      if (n < chunk.size()) break;
    }
    return total;
  }

  /// Reads until the peer closes, a timeout, or `max_bytes`; what arrived.
  std::string read_until_close(std::size_t max_bytes = kMaxRead) {
    std::string out;
    char buf[4096];
    while (fd_ >= 0 && out.size() < max_bytes) {
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

  /// Reads one response: the header and a Content-Length body. Empty when nothing came.
  std::string read_response() {
    std::string out;
    char buf[4096];
    while (fd_ >= 0 && out.size() < kMaxRead) {
      if (const auto h = out.find("\r\n\r\n"); h != std::string::npos) {
        std::size_t len = 0;
        if (const auto cl = out.find("Content-Length: "); cl != std::string::npos && cl < h)
          len = std::stoul(out.substr(cl + 16));
        if (out.size() >= h + 4 + len) return out;
      }
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

  /// True when the peer has closed the connection (EOF or reset within the timeout).
  bool closed_by_peer() {
    char c;
    const auto n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  static constexpr std::chrono::milliseconds kDefaultTimeout{5000};
  static constexpr std::size_t kMaxRead = 1 << 20;

 private:
  int fd_ = -1;
};

/// The status code of a raw response ("HTTP/1.1 431 ..." -> 431), 0 when there is none.
inline int status_of(const std::string& response) {
  if (response.size() < 12 || !response.starts_with("HTTP/1.")) return 0;
  return std::stoi(response.substr(9, 3));
}

/// A minimal request with a Content-Length body.
inline std::string raw_request(const std::string& method, const std::string& target,
                               const std::string& body, const std::string& extra_headers = "") {
  return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers +
         "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace selfheal::test
