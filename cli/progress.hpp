// Progress of a long command on a terminal — `sweep`, `check` and `backtest` share it: one
// line on stderr, redrawn in place, e.g.
//   [#########...............] 412/1000 runs  823 runs/s  ETA 0m01s
// and a newline at the end. Shown with `--progress auto` (the default) only when stderr is a
// terminal, so CI logs and redirected output stay clean; `always` / `never` force it.
// Timing is read from the steady clock here, in the CLI only: nothing of it reaches a report.
//
//   po::options_description opts(...);
//   add_progress_option(opts);
//   ...
//   auto show = progress_from_options(vm, io);      // nullopt: bad value, already reported
//   Progress progress(io.err, *show, "scenarios");
//   progress.update(3, 19);                          // from any thread
//   progress.finish();                               // newline if anything was drawn
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/program_options.hpp>

#include "cli/command.hpp"

namespace selfheal::cli {

enum class ProgressMode { kAuto, kAlways, kNever };

/// "auto", "always", "never"; nullopt for anything else.
std::optional<ProgressMode> parse_progress_mode(std::string_view text);
/// Whether to draw: always, never, or (auto) when stderr is a terminal.
bool progress_enabled(ProgressMode mode, bool stderr_is_terminal);
/// isatty(STDERR_FILENO).
bool stderr_is_terminal();

/// Adds `--progress auto|always|never` (default auto) to a command's options.
void add_progress_option(boost::program_options::options_description& opts);
/// The option's decision for this process's stderr; nullopt (after an error on io.err) for
/// a bad value.
std::optional<bool> progress_from_options(const boost::program_options::variables_map& vm, Io io);

/// "[####....] 412/1000 runs  823 runs/s  ETA 0m01s" for `seconds` elapsed (no ETA once
/// done or before the first unit finished).
std::string progress_line(std::uint64_t done, std::uint64_t total, double seconds,
                          std::string_view unit);

/// The redrawn line. Thread-safe; draws at most every kRedrawInterval, and always the first
/// and the final (done == total) update. Does nothing when not enabled.
class Progress {
 public:
  static constexpr std::chrono::milliseconds kRedrawInterval{200};

  Progress(std::ostream& err, bool enabled, std::string unit);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(std::uint64_t done, std::uint64_t total);
  /// Ends the line (once) if anything was drawn.
  void finish();
  /// Seconds since construction.
  double elapsed() const;

 private:
  std::ostream& err_;
  bool enabled_;
  std::string unit_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point start_;
  std::optional<std::chrono::steady_clock::time_point> last_draw_;
  bool finished_ = false;
};

}  // namespace selfheal::cli
