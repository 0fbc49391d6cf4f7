#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "live/executor.hpp"

using namespace selfheal;
using namespace selfheal::live;
using namespace std::chrono_literals;

TEST_CASE("commands run as argv and their output is captured", "[live][executor]") {
  auto r = run_command({"echo", "hello", "world"}, 10s);
  CHECK(r.ok());
  CHECK(r.exit_code == 0);
  CHECK(r.output == "hello world\n");
}

TEST_CASE("no shell: metacharacters reach the program literally", "[live][executor]") {
  const auto marker = std::filesystem::temp_directory_path() / "selfheal-no-shell-marker";
  std::filesystem::remove(marker);
  const std::string evil = "payment-api; touch " + marker.string() + " && echo pwned $(id) `id`";
  auto r = run_command({"printf", "%s\\n", evil}, 10s);
  CHECK(r.ok());
  CHECK(r.output == evil + "\n");
  CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("a failing program reports its exit code and stderr", "[live][executor]") {
  auto r = run_command({"ls", "/definitely/not/here"}, 10s);
  CHECK_FALSE(r.ok());
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("/definitely/not/here") != std::string::npos);
}

TEST_CASE("a missing program is a spawn failure, not a crash", "[live][executor]") {
  auto r = run_command({"selfheal-no-such-program-xyz"}, 10s);
  CHECK(r.spawn_failed);
  CHECK_FALSE(r.ok());
  CHECK(r.summary().find("could not start") != std::string::npos);
}

namespace {

// Waits, without a polling loop, until process `pid` (not necessarily our child) has
// exited: true, or `limit` passed with it still running: false. Already gone counts as
// exited. A pidfd becomes readable once the process is a zombie or reaped.
bool exits_within(pid_t pid, std::chrono::milliseconds limit) {
  const int fd =
      static_cast<int>(syscall(SYS_pidfd_open, pid, 0));  // <sys/pidfd.h> lacks extern "C"
  if (fd < 0) return errno == ESRCH;
  pollfd p{fd, POLLIN, 0};
  const bool exited = poll(&p, 1, static_cast<int>(limit.count())) == 1;
  close(fd);
  return exited;
}

// Dead: no such process, or a zombie waiting for init to reap it.
bool dead(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  stat >> pid_field >> comm >> state;
  return !stat || state == "Z";
}

}  // namespace

TEST_CASE("the timeout kills the command and its children", "[live][executor]") {
  // A shell here is the *program under test*: it starts a background `sleep` that would
  // outlive it, prints the sleep's pid and waits. The timeout must kill the whole process
  // group, the sleep included, not only the shell.
  const std::string child_sleep = "300";     // seconds: far beyond every bound below
  constexpr std::chrono::seconds kGone{30};  // bound on the kill taking effect
  const auto r = run_command({"sh", "-c", "sleep " + child_sleep + " & echo $!; wait"}, 2s);
  CHECK(r.timed_out);
  CHECK_FALSE(r.ok());
  CHECK(r.exit_code == -1);
  CHECK(r.summary().find("timed out") != std::string::npos);
  CHECK(r.elapsed < 10s);  // returned on the deadline, not after the child's sleep
  REQUIRE_FALSE(r.output.empty());
  const pid_t child = static_cast<pid_t>(std::stol(r.output));
  REQUIRE(child > 1);
  const bool gone = exits_within(child, kGone);
  CHECK(gone);
  CHECK(dead(child));
  if (!gone) kill(child, SIGKILL);  // do not leave it behind when the test fails
}

TEST_CASE("output is bounded", "[live][executor]") {
  auto r = run_command({"head", "-c", "100000", "/dev/zero"}, 10s, 1000);
  CHECK(r.ok());
  CHECK(r.output.size() == 1000);
  CHECK(r.truncated);
}

TEST_CASE("asynchronous runs complete on the completion executor", "[live][executor]") {
  boost::asio::io_context io;
  std::vector<CommandResult> results;
  std::thread::id completion_thread;
  {
    CommandExecutor exec(io.get_executor());
    exec.run({"echo", "one"}, 10s, [&](CommandResult r) {
      completion_thread = std::this_thread::get_id();
      results.push_back(std::move(r));
    });
    exec.run({"echo", "two"}, 10s, [&](CommandResult r) { results.push_back(std::move(r)); });
    // Run the completion loop until both have been delivered, with a bounded deadline.
    auto guard = boost::asio::make_work_guard(io);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    while (results.size() < 2 && std::chrono::steady_clock::now() < deadline)
      io.run_one_for(std::chrono::seconds{1});
  }
  REQUIRE(results.size() == 2);
  CHECK(completion_thread == std::this_thread::get_id());
  CHECK(results[0].ok());
}
