// Running external commands (kubectl, helm) safely: argv only, never a shell; a timeout
// that kills the whole process group; output captured (stdout and stderr interleaved,
// truncated to a bound); asynchronous, with completion posted to the caller's executor.
//
//   CommandExecutor exec(engine_io.get_executor());
//   exec.run({"kubectl", "rollout", "restart", "deployment/payment-api", "-n", "prod"},
//            std::chrono::minutes{2}, [](CommandResult r) { /* on engine_io's thread */ });
//
// An argument such as "x; rm -rf /" reaches the program as that one literal argument.
//
// Start gate (set_start_gate): asked on the worker thread immediately before each queued
// command would be spawned; a non-empty answer refuses it (CommandResult::refused, nothing
// runs). `selfheal serve` answers "kill switch engaged" while the switch is on, so a
// command queued behind busy workers does not start after the switch was engaged.
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
  bool refused = false;       ///< the start gate refused it: never started (see output)
  std::string output;         ///< stdout + stderr, at most max_output bytes
  bool truncated = false;
  core::Duration elapsed{0};
  bool ok() const { return exit_code == 0 && !timed_out && !spawn_failed && !refused; }
  /// "exit 0", "timed out after 2m", "killed by signal 9", "could not start: ...",
  /// "not started: kill switch engaged"
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
  /// `gate()` returns why a command must not start now ("" = start it). Called on worker
  /// threads, so it must be thread-safe. Set before the first run().
  void set_start_gate(std::function<std::string()> gate);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal::live
