// Running external commands (kubectl, helm) safely: argv only, never a shell; a timeout
// that kills the whole process group; output captured (stdout and stderr interleaved,
// truncated to a bound); asynchronous, with completion posted to the caller's executor.
//
//   CommandExecutor exec(engine_io.get_executor());
//   exec.run({"kubectl", "rollout", "restart", "deployment/payment-api", "-n", "prod"},
//            std::chrono::minutes{2}, [](CommandResult r) { /* on engine_io's thread */ });
//
// An argument such as "x; rm -rf /" reaches the program as that one literal argument.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/time.hpp"

namespace selfheal::live {

struct CommandResult {
  int exit_code = -1;         ///< the exit status, or -1 when it did not exit normally
  int signal = 0;             ///< the terminating signal, if any
  bool timed_out = false;     ///< killed (SIGKILL to its process group) on the deadline
  bool spawn_failed = false;  ///< the program could not be started (see output)
  std::string output;         ///< stdout + stderr, at most max_output bytes
  bool truncated = false;
  core::Duration elapsed{0};
  bool ok() const { return exit_code == 0 && !timed_out && !spawn_failed; }
  /// "exit 0", "timed out after 2m", "killed by signal 9", "could not start: ..."
  std::string summary() const;
};

/// Runs `argv` (argv[0] looked up in PATH unless it contains '/') synchronously.
/// stdin is /dev/null. Never throws for a failing program.
CommandResult run_command(const std::vector<std::string>& argv, core::Duration timeout,
                          std::size_t max_output = 64 * 1024);

/// Runs commands on its own worker threads and posts each completion to `completion`.
/// The destructor waits for running commands (each bounded by its timeout).
class CommandExecutor {
 public:
  explicit CommandExecutor(boost::asio::any_io_executor completion, std::size_t workers = 2);
  ~CommandExecutor();
  CommandExecutor(const CommandExecutor&) = delete;
  CommandExecutor& operator=(const CommandExecutor&) = delete;

  void run(std::vector<std::string> argv, core::Duration timeout,
           std::function<void(CommandResult)> done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal::live
