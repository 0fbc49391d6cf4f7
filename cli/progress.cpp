#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <ostream>

namespace po = boost::program_options;

namespace selfheal::cli {
namespace {

constexpr int kBarWidth = 24;
constexpr int kSecondsPerMinute = 60;

}  // namespace

std::optional<ProgressMode> parse_progress_mode(std::string_view text) {
  if (text == "auto") return ProgressMode::kAuto;
  if (text == "always") return ProgressMode::kAlways;
  if (text == "never") return ProgressMode::kNever;
  return std::nullopt;
}

bool progress_enabled(ProgressMode mode, bool terminal) {
  return mode == ProgressMode::kAlways || (mode == ProgressMode::kAuto && terminal);
}

bool stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

void add_progress_option(po::options_description& opts) {
  opts.add_options()("progress", po::value<std::string>()->default_value("auto"),
                     "progress bar on stderr: auto (when stderr is a terminal), always, never");
}

std::optional<bool> progress_from_options(const po::variables_map& vm, Io io) {
  const std::string text = vm["progress"].as<std::string>();
  const auto mode = parse_progress_mode(text);
  if (!mode) {
    io.err << "error: --progress must be auto, always or never, not '" << text << "'\n";
    return std::nullopt;
  }
  return progress_enabled(*mode, stderr_is_terminal());
}

std::string progress_line(std::uint64_t done, std::uint64_t total, double seconds,
                          std::string_view unit) {
  const double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const int fill = static_cast<int>(frac * kBarWidth);
  std::string bar = "[" + std::string(fill, '#') + std::string(kBarWidth - fill, '.') + "]";
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  const std::string u(unit);
  char buf[160];
  if (rate > 0 && done < total) {
    const auto eta = static_cast<long long>(static_cast<double>(total - done) / rate + 0.5);
    std::snprintf(buf, sizeof buf, " %llu/%llu %s  %.0f %s/s  ETA %lldm%02llds",
                  static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                  u.c_str(), rate, u.c_str(), eta / kSecondsPerMinute, eta % kSecondsPerMinute);
  } else {
    std::snprintf(buf, sizeof buf, " %llu/%llu %s  %.0f %s/s",
                  static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                  u.c_str(), rate, u.c_str());
  }
  return bar + buf;
}

Progress::Progress(std::ostream& err, bool enabled, std::string unit)
    : err_(err),
      enabled_(enabled),
      unit_(std::move(unit)),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  finish();
}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  if (last_draw_ && done < total && now - *last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  err_ << "\r" << progress_line(done, total, elapsed(), unit_) << std::flush;
}

void Progress::finish() {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (last_draw_) err_ << "\n" << std::flush;
}

}  // namespace selfheal::cli
