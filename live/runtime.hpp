// The live Clock (system clock), Scheduler (Asio steady timers on the engine's
// io_context) and Calendar (planned events from a YAML file).
//
// The engine is single-threaded: run its io_context on exactly one thread and post every
// engine call to it; AsioScheduler's callbacks then run on that thread too.
//
//   boost::asio::io_context engine_io;
//   SystemClock clock;
//   AsioScheduler scheduler(engine_io.get_executor());
//   scheduler.after(std::chrono::minutes{5}, [] { /* verification */ });
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/result.hpp"
#include "engine/ports.hpp"

namespace selfheal::live {

class SystemClock final : public engine::Clock {
 public:
  engine::TimePoint now() const override;
};

/// Timers on an executor. Not thread-safe: call from the executor's (single) thread.
class AsioScheduler final : public engine::Scheduler {
 public:
  explicit AsioScheduler(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  ~AsioScheduler() override;
  engine::TimerId after(engine::Duration delay, engine::Callbacks& to,
                        std::uint64_t token) override;
  bool cancel(engine::TimerId id) override;
  std::size_t pending() const { return timers_.size(); }

 private:
  boost::asio::any_io_executor ex_;
  engine::TimerId next_ = 1;
  std::map<engine::TimerId, std::shared_ptr<boost::asio::steady_timer>> timers_;
};

/// Planned events from a YAML file:
///   events:
///     - {name: spring-campaign, kind: marketing-campaign, namespace: prod,
///        service: checkout-api, start: 2026-11-27T18:00:00Z, end: 2026-11-28T00:00:00Z,
///        traffic_multiplier: 3}
/// `service` omitted = every service in the namespace; `namespace` omitted = all.
/// A path ending in `.ics` is an iCalendar file instead (ical/ical.hpp: a calendar tool's
/// export, recurring events expanded a week at a time, kIcsHorizon, from the `now` asked).
/// The file is re-read when its modification time changes.
class FileCalendar final : public engine::Calendar {
 public:
  struct Entry {
    std::string ns;
    std::string service;
    engine::PlannedEvent event;
  };
  /// Empty path = no planned events.
  static core::Result<std::unique_ptr<FileCalendar>> open(const std::string& path);
  std::vector<engine::PlannedEvent> active(const engine::ServiceRef& service,
                                           engine::TimePoint now) override;

 private:
  explicit FileCalendar(std::string path);
  core::Status reload();
  /// An .ics file: its occurrences over [now, now + kIcsHorizon) into entries_, when `now`
  /// is outside the window last expanded or the text changed.
  core::Status expand_ics(engine::TimePoint now);
  std::string path_;
  bool ics_ = false;
  std::string ics_text_;
  std::optional<std::pair<engine::TimePoint, engine::TimePoint>> ics_window_;
  std::int64_t mtime_ = -1;
  std::vector<Entry> entries_;
};

/// How far ahead an .ics calendar's recurrences are expanded at a time.
inline constexpr auto kIcsHorizon = std::chrono::hours{24 * 7};

/// An .ics calendar's occurrences overlapping [from, until) as entries (errors name the
/// file and line).
core::Result<std::vector<FileCalendar::Entry>> parse_ics_calendar(const std::string& text,
                                                                  const std::string& source_name,
                                                                  engine::TimePoint from,
                                                                  engine::TimePoint until);

core::Result<std::vector<FileCalendar::Entry>> parse_calendar(const std::string& yaml,
                                                              const std::string& source_name);

}  // namespace selfheal::live
