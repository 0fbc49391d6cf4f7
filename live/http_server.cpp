#include "live/http_server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include "live/log_text.hpp"

namespace selfheal::live {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Named, not anonymous: HttpServer::Impl has fields of these types, and gcc warns
// (-Wsubobject-linkage) about such a class in an #included file, which this file is in
// the unity build of the `ci` presets.
namespace http_server_parts {

// After a failed accept (EMFILE and the like) wait this long before the next one: a failing
// accept returns at once, and without a pause the loop spins and floods the log.
constexpr auto kAcceptBackoff = std::chrono::milliseconds{100};
// Log lines an attacker can trigger: at most this many per interval, then a count.
constexpr int kLogBurst = 5;
constexpr auto kLogInterval = std::chrono::seconds{10};

class Session;

// Every open connection, so that one more than the cap can evict the longest idle.
struct Registry {
  std::mutex mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> live;
  LogRateLimiter log_limit{kLogBurst, kLogInterval};
};

void log_limited(Registry& reg, const std::string& line) {
  if (auto dropped = reg.log_limit.admit(Clock::now())) {
    std::cerr << "selfheal: " << line;
    if (*dropped > 0) std::cerr << " (" << *dropped << " similar line(s) suppressed)";
    std::cerr << "\n";
  }
}

// One connection: read a request, answer, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, const HttpServer::Handler& handler,
          const HttpServer::Options& options, Registry& registry)
      : stream_(std::move(socket)),
        // The read buffer never holds more than header_limit bytes: a header, a chunk-size
        // line (extensions included) or a trailer that does not fit is refused, not buffered.
        buffer_(options.header_limit),
        handler_(handler),
        options_(options),
        registry_(registry) {}

  ~Session() {
    std::lock_guard lock(registry_.mu);
    registry_.live.erase(this);
  }

  void run() {
    {
      std::lock_guard lock(registry_.mu);
      registry_.live.emplace(this, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

  /// Steady-clock ticks since this connection started waiting for a request; kBusy while a
  /// request is being answered, kEvicted once claimed for closing (neither evictable).
  std::int64_t idle_since() const { return idle_since_.load(); }
  static constexpr std::int64_t kBusy = -1;
  static constexpr std::int64_t kEvicted = -2;

  /// Claims the connection for closing if it is still waiting for a request (from any
  /// thread); false when it has meanwhile started on a request. The close runs on its strand.
  bool try_evict() {
    auto since = idle_since_.load();
    if (since < 0 || !idle_since_.compare_exchange_strong(since, kEvicted)) return false;
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->stream_.close(); });
    return true;
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(options_.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(options_.header_limit));
    idle_since_ = Clock::now().time_since_epoch().count();
    // One deadline for the whole request (a slow sender cannot keep it open byte by byte).
    stream_.expires_after(options_.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void refuse(int status, const std::string& message) {
    auto res = HttpServer::json(status, R"({"error":")" + message + R"("})");
    res.keep_alive(false);
    write(std::move(res));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (idle_since_.exchange(kBusy) == kEvicted) return close();  // its slot is taken
    if (ec == http::error::end_of_stream) return close();
    if (ec == http::error::body_limit)
      return refuse(413, "request body exceeds the limit of " +
                             std::to_string(options_.body_limit) + " bytes");
    const auto limit = std::to_string(options_.header_limit);
    if (ec == http::error::header_limit ||
        (ec == http::error::buffer_overflow && !parser_->is_header_done()))
      return refuse(431, "request header exceeds the limit of " + limit + " bytes");
    if (ec == http::error::buffer_overflow)
      return refuse(400, "chunk-size line or trailer exceeds the limit of " + limit + " bytes");
    if (ec) {
      if (ec == beast::error::timeout || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset || ec == asio::error::eof ||
          ec == asio::error::bad_descriptor)
        return close();
      return refuse(400, "malformed HTTP request");
    }
    auto req = parser_->release();
    HttpServer::Response res;
    try {
      res = handler_(req);
    } catch (const std::exception& e) {
      log_limited(registry_, "handler error: " + log_escape(e.what()));
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
    stream_.expires_after(options_.request_timeout);  // a client that does not read
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
  const HttpServer::Options& options_;
  Registry& registry_;
  std::atomic<std::int64_t> idle_since_{kBusy};
};

std::uint64_t fd_soft_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return std::numeric_limits<std::uint64_t>::max();
  return rl.rlim_cur;
}

}  // namespace http_server_parts
using namespace http_server_parts;

struct HttpServer::Impl {
  Options options;
  Handler handler;
  Registry registry;  // before ioc: sessions destroyed with ioc still unregister
  asio::io_context ioc;
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  asio::steady_timer backoff{acceptor.get_executor()};
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  bool started = false;

  struct Scan {
    std::size_t counted = 0;                ///< open and not being evicted
    std::shared_ptr<Session> longest_idle;  ///< waiting for a request the longest, or null
  };
  Scan scan() {
    // Collected under the lock, examined and released after it: dropping what may be the
    // last reference runs ~Session, which takes the same lock.
    std::vector<std::shared_ptr<Session>> sessions;
    {
      std::lock_guard lock(registry.mu);
      sessions.reserve(registry.live.size());
      for (const auto& [raw, weak] : registry.live)
        if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
    Scan out;
    for (auto& s : sessions) {
      if (s->idle_since() == Session::kEvicted) continue;
      ++out.counted;
      if (s->idle_since() < 0) continue;
      if (!out.longest_idle || s->idle_since() < out.longest_idle->idle_since())
        out.longest_idle = std::move(s);
    }
    return out;
  }

  // Makes room for one more connection: true when under the cap or an idle one was evicted.
  bool make_room() {
    constexpr int kAttempts = 4;  // a candidate may start a request between scan and claim
    for (int a = 0; a < kAttempts; ++a) {
      auto s = scan();
      if (s.counted < static_cast<std::size_t>(options.max_connections)) return true;
      if (!s.longest_idle) return false;
      if (s.longest_idle->try_evict()) return true;
    }
    return false;
  }

  std::size_t open() {
    std::lock_guard lock(registry.mu);
    return registry.live.size();
  }

  void admit(tcp::socket s) {
    if (!make_room()) {
      log_limited(registry, "connection limit (" + std::to_string(options.max_connections) +
                                ") reached with every connection busy; refusing one");
      beast::error_code ec;
      s.close(ec);
      return;
    }
    std::make_shared<Session>(std::move(s), handler, options, registry)->run();
  }

  void do_accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (!ec) {
        admit(std::move(s));
        return do_accept();
      }
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      // Out of descriptors and the like: free one (the longest idle connection), pause,
      // and keep accepting rather than go deaf.
      log_limited(registry, "accept: " + ec.message());
      if (auto victim = scan().longest_idle) victim->try_evict();
      backoff.expires_after(kAcceptBackoff);
      backoff.async_wait([this](beast::error_code wec) {
        if (!wec && acceptor.is_open()) do_accept();
      });
    });
  }

  // An exception out of a handler must not end the process (std::terminate on a thread):
  // the connection it belonged to is dropped with the handler, the thread runs on.
  void run_thread() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        log_limited(registry, "http: dropped a connection after an error: " + log_escape(e.what()));
      }
    }
  }
};

HttpServer::HttpServer(Options options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() {
  stop();
}

int HttpServer::connection_cap(int configured, std::uint64_t fd_soft_limit) {
  const std::uint64_t room = fd_soft_limit > kReservedFds ? fd_soft_limit - kReservedFds : 1;
  return static_cast<int>(std::max<std::uint64_t>(
      1, std::min<std::uint64_t>(static_cast<std::uint64_t>(std::max(1, configured)), room)));
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
  const int cap = connection_cap(i.options.max_connections, fd_soft_limit());
  if (cap < i.options.max_connections)
    std::cerr << "selfheal: max_connections " << i.options.max_connections << " lowered to " << cap
              << " (descriptor limit " << fd_soft_limit() << " minus " << kReservedFds
              << " reserved; raise it with ulimit -n)\n";
  i.options.max_connections = cap;
  const auto port = i.acceptor.local_endpoint().port();
  i.do_accept();
  i.started = true;
  for (int t = 0; t < std::max(1, i.options.threads); ++t)
    i.threads.emplace_back([&i] { i.run_thread(); });
  return port;
}

void HttpServer::stop() {
  auto& i = *impl_;
  if (i.stopped.exchange(true)) return;
  asio::post(i.acceptor.get_executor(), [&i] {
    beast::error_code ec;
    i.acceptor.close(ec);
    i.backoff.cancel();
  });
  i.ioc.stop();
  for (auto& t : i.threads)
    t.join();
  i.threads.clear();
}

std::size_t HttpServer::open_connections() const {
  return impl_->open();
}

int HttpServer::max_connections() const {
  return impl_->options.max_connections;
}

std::optional<std::string> HttpServer::query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
      return std::string(pair.substr(name.size() + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Compare over the longer length so the time depends on neither the content nor where
  // the first difference is; the length mismatch is folded into the result.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0U : 1U;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

bool HttpServer::json_media_type(std::string_view content_type) {
  constexpr std::string_view kSpace = " \t";
  if (content_type.find_first_not_of(kSpace) == std::string_view::npos) return true;  // absent
  std::string type(content_type.substr(0, content_type.find(';')));
  const auto first = type.find_first_not_of(kSpace);
  if (first == std::string::npos) return false;  // parameters without a type
  type = type.substr(first, type.find_last_not_of(kSpace) - first + 1);
  for (auto& c : type)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json" ||
         (type.starts_with("application/") && type.ends_with("+json"));
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
