// What the tests that run real processes share (the live e2e test, the serve attack test,
// the Prometheus import e2e test): a free loopback port, a child process that is always
// killed and reaped, and polling until a condition holds. Header-only.
//
//   const auto port = selfheal::test::free_port();
//   selfheal::test::Child prom({"/usr/bin/prometheus", "--web.listen-address=..."}, dir / "p.log");
//   REQUIRE(selfheal::test::eventually([&] { return ready(port); }, 30s));
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

extern char** environ;

namespace selfheal::test {

/// A loopback TCP port free at the time of the call.
inline std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

/// A child process (argv[0] is a path), stdout and stderr to `log`; killed (TERM, then KILL
/// after ~5 s) and reaped when this goes out of scope. With `max_open_files` the child runs
/// under that RLIMIT_NOFILE (this process keeps its own).
class Child {
 public:
  Child(std::vector<std::string> argv, const std::filesystem::path& log,
        std::optional<rlim_t> max_open_files = std::nullopt) {
    std::vector<char*> c;
    for (auto& a : argv)
      c.push_back(a.data());
    c.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    // The child inherits the limit; this process gets its own back right after the spawn.
    rlimit saved{};
    ::getrlimit(RLIMIT_NOFILE, &saved);
    if (max_open_files) {
      rlimit low = saved;
      low.rlim_cur = std::min(saved.rlim_cur, *max_open_files);
      ::setrlimit(RLIMIT_NOFILE, &low);
    }
    const int rc = posix_spawn(&pid_, c[0], &fa, nullptr, c.data(), environ);
    if (max_open_files) ::setrlimit(RLIMIT_NOFILE, &saved);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) pid_ = -1;
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < kTermPolls; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(kTermPoll);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool started() const { return pid_ > 0; }
  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  /// kill -9 and reap: no clean shutdown (what a crash or the OOM killer does).
  void kill_hard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  /// Up to ~5 s for a clean exit after SIGTERM.
  static constexpr int kTermPolls = 100;
  static constexpr std::chrono::milliseconds kTermPoll{50};
  pid_t pid_ = -1;
};

/// Polls `pred` until true or `limit` has passed; the interval only paces the polling.
template <typename F>
bool eventually(F pred, std::chrono::seconds limit,
                std::chrono::milliseconds interval = std::chrono::milliseconds{100}) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(interval);
  }
  return pred();
}

}  // namespace selfheal::test
