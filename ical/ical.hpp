// Planned events from iCalendar (.ics) files, as calendar tools export them, read with
// libical (docs/calendar-ics.md): recurring events (RRULE, RDATE, EXDATE), time zones (TZID
// with the file's VTIMEZONE), all-day events. Each occurrence inside a time window becomes
// one planned event.
//
//   core::Diagnostics diags;
//   auto events = ical::read_ics(text, "marketing.ics", from, until, diags);
//   for (const auto& e : *events) ...   // e.start, e.end (UTC), e.kind, e.service
//
// The mapping convention (every VEVENT):
// - `SUMMARY` is the name; a recurring event's occurrences are named `<name>-YYYYMMDD-HHMM`
//   (their UTC start).
// - the kind: a `CATEGORIES` value that is a planned-event kind (marketing-campaign,
//   deploy-window, maintenance), or a `kind: ...` line in `DESCRIPTION`.
// - the service: a `service: NAME` line in `DESCRIPTION`, else the one other `CATEGORIES`
//   value; none = every service (allowed for maintenance only, as in a scenario).
// - `DESCRIPTION` lines `namespace: NS`, `traffic_multiplier: 2.5`, `severity: 0.2` (other
//   lines are free text).
// - a date-time without TZID (floating) and an all-day event's dates are read as UTC.
// Errors name the file and the line of the VEVENT (or of the property) and are collected
// for every event; nothing is returned when there is one. Deterministic: the same text and
// window give the same events (time zones come from the file's VTIMEZONE components; a
// TZID the file does not define is looked up in libical's built-in zones).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace selfheal::ical {

/// At most this many occurrences in one window (a FREQ=SECONDLY rule over a month would be
/// millions): more is an error rather than a calendar that silently stops.
inline constexpr std::size_t kMaxOccurrences = 100'000;

struct Event {
  std::string name;     ///< SUMMARY, plus -YYYYMMDD-HHMM for a recurring event's occurrence
  std::string kind;     ///< marketing-campaign | deploy-window | maintenance
  std::string service;  ///< "" = every service
  std::string ns;       ///< "" = every namespace
  double traffic_multiplier = 1.0;
  double severity = 1.0;
  core::TimePoint start{};  ///< UTC
  core::TimePoint end{};    ///< UTC, > start
  int line = 0;             ///< the VEVENT's BEGIN line
};

/// The occurrences overlapping [from, until), sorted by (start, name). nullopt with
/// `file:line: field: message` errors when the text is not a calendar or any VEVENT is
/// broken or does not follow the convention.
std::optional<std::vector<Event>> read_ics(const std::string& text, const std::string& file,
                                           core::TimePoint from, core::TimePoint until,
                                           core::Diagnostics& diags);

}  // namespace selfheal::ical
