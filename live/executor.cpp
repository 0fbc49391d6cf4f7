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

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// Starts argv[0] (looked up on PATH) with stdin from /dev/null and stdout and stderr into
// `out_fd`, in its own process group, so the timeout kills whatever it spawned as well;
// default signal dispositions and an empty mask, whatever the server's threads have set.
// Returns posix_spawnp's error number (0 = started, `pid` set).
int spawn(const std::vector<std::string>& argv, int out_fd, pid_t& pid) {
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv)
    cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const int rc = posix_spawnp(&pid, cargv[0], &fa, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc;
}

// Reads the child's output from `fd` until every writer closed it or the deadline passed
// (then the process group is killed and `r.timed_out` set); keeps at most `max_output`
// bytes.
void read_output(int fd, pid_t pid, SteadyTime deadline, std::size_t max_output, CommandResult& r) {
  char buf[4096];
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    pollfd p{fd, POLLIN, 0};
    const int n = poll(&p, 1, static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30)));
    if (n < 0 && errno != EINTR) return;
    if (n <= 0) continue;
    const ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return;  // EOF: every writer (the child and its children) closed the pipe
    const std::size_t room = max_output - std::min(max_output, r.output.size());
    r.output.append(buf, std::min<std::size_t>(room, static_cast<std::size_t>(got)));
    if (static_cast<std::size_t>(got) > room) r.truncated = true;
  }
}

// Waits for the child's exit status. The pipe closed, so the child is exiting; the wait is
// bounded by the deadline too, in case it closed its outputs and kept running.
int reap(pid_t pid, SteadyTime deadline, CommandResult& r) {
  int status = 0;
  while (!r.timed_out) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) return status;
    if (w < 0 && errno != EINTR) return status;
    if (std::chrono::steady_clock::now() >= deadline) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    pollfd none_fd{-1, 0, 0};
    poll(&none_fd, 0, 5);  // a short wait between reaps, bounded by the deadline
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, core::Duration timeout,
                          std::size_t max_output) {
  CommandResult r;
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration_cast<core::Duration>(std::chrono::steady_clock::now() - start);
  };
  if (argv.empty()) {
    r.spawn_failed = true;
    r.output = "empty argv";
    return r;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    r.spawn_failed = true;
    r.output = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  pid_t pid = 0;
  const int rc = spawn(argv, fds[1], pid);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    r.spawn_failed = true;
    r.output = argv[0] + ": " + std::strerror(rc);
    r.elapsed = elapsed();
    return r;
  }
  const auto deadline = start + timeout;
  read_output(fds[0], pid, deadline, max_output, r);
  close(fds[0]);
  const int status = reap(pid, deadline, r);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  if (r.timed_out) r.exit_code = -1;
  r.elapsed = elapsed();
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
