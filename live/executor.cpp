#include "live/executor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/duration.hpp"

extern char** environ;

namespace selfheal::live {

std::string CommandResult::summary() const {
  if (refused) return "not started: " + output;
  if (spawn_failed) return "could not start: " + output;
  if (timed_out) return "timed out after " + core::format_duration(elapsed) + " (killed)";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit " + std::to_string(exit_code);
}

CommandResult run_command(const std::vector<std::string>& argv, core::Duration timeout,
                          std::size_t max_output) {
  CommandResult r;
  const auto start = std::chrono::steady_clock::now();
  if (argv.empty()) {
    r.spawn_failed = true;
    r.output = "empty argv";
    return r;
  }
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv)
    cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    r.spawn_failed = true;
    r.output = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so the timeout kills whatever it spawned as well; default signal
  // dispositions and an empty mask, whatever the server's threads have set.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, cargv[0], &fa, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    r.spawn_failed = true;
    r.output = argv[0] + ": " + std::strerror(rc);
    r.elapsed =
        std::chrono::duration_cast<core::Duration>(std::chrono::steady_clock::now() - start);
    return r;
  }

  const auto deadline = start + timeout;
  char buf[4096];
  bool open = true;
  while (open) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    pollfd p{fds[0], POLLIN, 0};
    const int n = poll(&p, 1, static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30)));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    const ssize_t got = read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      open = false;  // EOF: every writer (the child and its children) closed the pipe
      break;
    }
    const std::size_t room = max_output - std::min(max_output, r.output.size());
    r.output.append(buf, std::min<std::size_t>(room, static_cast<std::size_t>(got)));
    if (static_cast<std::size_t>(got) > room) r.truncated = true;
  }
  close(fds[0]);
  int status = 0;
  if (!r.timed_out) {
    // The pipe closed; the child is exiting. Bound the wait too, in case it closed its
    // outputs and kept running.
    while (true) {
      const pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        r.timed_out = true;
        kill(-pid, SIGKILL);
        break;
      }
      pollfd none_fd{-1, 0, 0};
      poll(&none_fd, 0, 5);  // a short wait between reaps, bounded by the deadline
    }
  }
  if (r.timed_out) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  if (r.timed_out) r.exit_code = -1;
  r.elapsed = std::chrono::duration_cast<core::Duration>(std::chrono::steady_clock::now() - start);
  return r;
}

struct CommandExecutor::Impl {
  boost::asio::any_io_executor completion;
  std::function<std::string()> gate;
  boost::asio::thread_pool pool;
  Impl(boost::asio::any_io_executor c, std::size_t n) : completion(std::move(c)), pool(n) {}
};

CommandExecutor::CommandExecutor(boost::asio::any_io_executor completion, std::size_t workers)
    : impl_(std::make_unique<Impl>(std::move(completion), workers == 0 ? 1 : workers)) {}

CommandExecutor::~CommandExecutor() {
  impl_->pool.join();
}

void CommandExecutor::run(std::vector<std::string> argv, core::Duration timeout,
                          std::function<void(CommandResult)> done) {
  boost::asio::post(
      impl_->pool, [this, argv = std::move(argv), timeout, done = std::move(done)]() mutable {
        CommandResult result;
        // Asked here, on the worker, not when queued: the queue may wait behind long commands.
        if (std::string why = impl_->gate ? impl_->gate() : std::string(); !why.empty()) {
          result.refused = true;
          result.output = std::move(why);
        } else {
          result = run_command(argv, timeout);
        }
        boost::asio::post(impl_->completion,
                          [done = std::move(done), result = std::move(result)]() mutable {
                            done(std::move(result));
                          });
      });
}

void CommandExecutor::set_start_gate(std::function<std::string()> gate) {
  impl_->gate = std::move(gate);
}

}  // namespace selfheal::live
