// The .ics reader. libical does the parsing, the time zones and the recurrence expansion
// (RRULE/RDATE/EXDATE, each an RFC 5545 corner of its own); this file maps each VEVENT onto
// a planned event and finds the lines for the errors: libical keeps no positions, so the
// text is scanned once for where each VEVENT and each of its properties begins.
#include "ical/ical.hpp"

#include <libical/ical.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <sstream>

namespace selfheal::ical {
namespace {

constexpr const char* kKinds[] = {"marketing-campaign", "deploy-window", "maintenance"};
constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr std::int64_t kMsPerSecond = 1000;

struct ComponentFree {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using Component = std::unique_ptr<icalcomponent, ComponentFree>;

// Where a VEVENT and each of its own properties (not its VALARMs') begin, 1-based.
struct EventLines {
  int begin = 0;
  std::map<std::string, int> properties;      ///< the first line of each
  std::map<std::string, std::string> values;  ///< the first value of each, unfolded
  int at(const std::string& property) const {
    auto it = properties.find(property);
    return it == properties.end() ? begin : it->second;
  }
};

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// One pass over the unfolded lines: the VEVENTs in order, as libical will list them.
std::vector<EventLines> scan_lines(const std::string& text) {
  std::vector<std::pair<int, std::string>> logical;  // first physical line, unfolded text
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !logical.empty())
      logical.back().second += line.substr(1);
    else
      logical.emplace_back(n, line);
  }
  std::vector<EventLines> out;
  int depth = 0;  // depth inside the current VEVENT (1 = its own properties)
  for (const auto& [n, l] : logical) {
    const std::string name = upper(l.substr(0, l.find_first_of(";:")));
    const auto colon = l.find(':');
    const std::string value =
        colon == std::string::npos ? std::string() : trim(l.substr(colon + 1));
    if (name == "BEGIN" && upper(value) == "VEVENT" && depth == 0) {
      out.push_back({n, {}, {}});
      depth = 1;
    } else if (name == "BEGIN" && depth > 0) {
      ++depth;
    } else if (name == "END" && depth > 0) {
      --depth;
    } else if (depth == 1 && out.back().properties.emplace(name, n).second) {
      out.back().values.emplace(name, value);
    }
  }
  return out;
}

// libical reads a malformed date leniently ("2026112X" as 2026-11-02): DTSTART and DTEND
// are checked against RFC 5545's forms first. "" = fine.
std::string date_problem(const EventLines& lines, const std::string& property) {
  auto it = lines.values.find(property);
  if (it == lines.values.end()) return {};
  const std::string& v = it->second;
  auto digits = [&v](std::size_t from, std::size_t n) {
    return v.size() >= from + n && std::all_of(v.begin() + static_cast<std::ptrdiff_t>(from),
                                               v.begin() + static_cast<std::ptrdiff_t>(from + n),
                                               [](unsigned char c) { return std::isdigit(c); });
  };
  const bool date = v.size() == 8 && digits(0, 8);
  const bool date_time = (v.size() == 15 || (v.size() == 16 && v[15] == 'Z')) && digits(0, 8) &&
                         v[8] == 'T' && digits(9, 6);
  if (date || date_time) return {};
  return "\"" + v + "\" is not an iCalendar DATE or DATE-TIME (YYYYMMDD or YYYYMMDDTHHMMSS[Z])";
}

std::string slug(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0)
      out += static_cast<char>(std::tolower(c));
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  return out;
}

core::TimePoint from_unix_seconds(std::int64_t s) {
  return core::from_unix_ms(s * kMsPerSecond);
}

icaltimetype to_ical(core::TimePoint t) {
  return icaltime_from_timet_with_zone(static_cast<time_t>(core::to_unix_ms(t) / kMsPerSecond), 0,
                                       icaltimezone_get_utc_timezone());
}

// The property a libical error message names ("... in DTSTART property ...").
std::string property_in(const std::string& message) {
  const auto at = message.find(" property");
  if (at == std::string::npos) return {};
  const auto start = message.rfind(' ', at - 1);
  return start == std::string::npos ? std::string() : message.substr(start + 1, at - start - 1);
}

// A rule that would step through more than kMaxOccurrences periods before the window ends
// is refused before libical walks it (a FREQ=SECONDLY rule from 1970 never finishes).
std::string rule_problem(icalcomponent* ev, core::TimePoint dtstart, core::TimePoint until) {
  static const std::map<icalrecurrencetype_frequency, std::int64_t> kPeriod = {
      {ICAL_SECONDLY_RECURRENCE, 1},
      {ICAL_MINUTELY_RECURRENCE, 60},
      {ICAL_HOURLY_RECURRENCE, 3600},
      {ICAL_DAILY_RECURRENCE, kSecondsPerDay},
      {ICAL_WEEKLY_RECURRENCE, 7 * kSecondsPerDay},
      {ICAL_MONTHLY_RECURRENCE, 28 * kSecondsPerDay},
      {ICAL_YEARLY_RECURRENCE, 365 * kSecondsPerDay}};
  for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(ev, ICAL_RRULE_PROPERTY)) {
    const icalrecurrencetype r = icalproperty_get_rrule(p);
    if (r.count > 0 && static_cast<std::size_t>(r.count) <= kMaxOccurrences) continue;
    auto it = kPeriod.find(r.freq);
    if (it == kPeriod.end()) return "RRULE without a valid FREQ";
    const std::int64_t span = (core::to_unix_ms(until) - core::to_unix_ms(dtstart)) / kMsPerSecond;
    const std::int64_t periods = span / (it->second * std::max<short>(1, r.interval));
    // Each BY* list can multiply the occurrences per period (BYHOUR=0..23 on a daily rule).
    double estimate = static_cast<double>(periods);
    auto times = [&estimate](const short* by, std::size_t size) {
      std::size_t n = 0;
      while (n < size && by[n] != ICAL_RECURRENCE_ARRAY_MAX)
        ++n;
      if (n > 0) estimate *= static_cast<double>(n);
    };
    times(r.by_second, ICAL_BY_SECOND_SIZE);
    times(r.by_minute, ICAL_BY_MINUTE_SIZE);
    times(r.by_hour, ICAL_BY_HOUR_SIZE);
    if (estimate > static_cast<double>(kMaxOccurrences))
      return "RRULE would repeat more than " + std::to_string(kMaxOccurrences) +
             " times before the window ends: give it a COUNT or UNTIL, or a coarser FREQ";
  }
  return {};
}

struct Mapped {
  Event base;
  bool recurring = false;
  std::int64_t all_day_seconds = 0;  ///< > 0: an all-day event of this length
};

// The convention (ical.hpp) applied to one VEVENT; errors go to `err`.
void map_event(icalcomponent* ev, const EventLines& lines, Mapped& m,
               const std::function<void(int, const std::string&, const std::string&)>& err) {
  const char* summary = icalcomponent_get_summary(ev);
  m.base.name = slug(summary != nullptr ? summary : "");
  if (m.base.name.empty()) err(lines.at("SUMMARY"), "SUMMARY", "missing: the event's name");
  std::vector<std::string> categories;
  for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_CATEGORIES_PROPERTY);
       p != nullptr; p = icalcomponent_get_next_property(ev, ICAL_CATEGORIES_PROPERTY)) {
    std::istringstream ss(icalproperty_get_categories(p) ? icalproperty_get_categories(p) : "");
    for (std::string c; std::getline(ss, c, ',');)
      if (!trim(c).empty()) categories.push_back(trim(c));
  }
  std::vector<std::string> others;
  for (const auto& c : categories) {
    if (std::find(std::begin(kKinds), std::end(kKinds), slug(c)) != std::end(kKinds))
      m.base.kind = slug(c);
    else
      others.push_back(c);
  }
  if (others.size() == 1) m.base.service = others[0];
  const char* description = icalcomponent_get_description(ev);
  std::istringstream desc(description != nullptr ? description : "");
  for (std::string line; std::getline(desc, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    auto number = [&](double& out, double lo, double hi) {
      char* end = nullptr;
      const double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(v >= lo && v <= hi))
        err(lines.at("DESCRIPTION"), "DESCRIPTION." + key,
            "\"" + value + "\" is not a number in [" + std::to_string(lo).substr(0, 3) + ", " +
                std::to_string(static_cast<long long>(hi)) + "]");
      else
        out = v;
    };
    if (key == "service") m.base.service = value;
    if (key == "namespace") m.base.ns = value;
    if (key == "kind") m.base.kind = value;
    if (key == "traffic_multiplier") number(m.base.traffic_multiplier, 0.0, 1e4);
    if (key == "severity") number(m.base.severity, 0.0, 1.0);
  }
  if (m.base.kind.empty())
    err(lines.at("CATEGORIES"), "CATEGORIES",
        "no planned-event kind: add marketing-campaign, deploy-window or maintenance to "
        "CATEGORIES (or a `kind:` line to DESCRIPTION)");
  else if (std::find(std::begin(kKinds), std::end(kKinds), m.base.kind) == std::end(kKinds))
    err(lines.at("DESCRIPTION"), "DESCRIPTION.kind",
        "unknown kind \"" + m.base.kind +
            "\"; one of marketing-campaign, deploy-window, "
            "maintenance");
  if (m.base.service.empty() && others.size() > 1)
    err(lines.at("CATEGORIES"), "CATEGORIES",
        "several categories could name the service; add a `service:` line to DESCRIPTION");
  m.recurring = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY) != nullptr ||
                icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY) != nullptr;
}

// The property that gives a timed event's end ("DTEND" or "DURATION"), nullptr for neither
// (the event is an instant at DTSTART).
const char* end_property(icalcomponent* ev) {
  if (icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY) != nullptr) return "DTEND";
  if (icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY) != nullptr) return "DURATION";
  return nullptr;
}

struct Collect {
  const Mapped* m;
  core::TimePoint from, until;
  std::vector<Event>* out;
  std::size_t count = 0;
};

void on_occurrence(icalcomponent* /*ev*/, icaltime_span* span, void* data) {
  auto& c = *static_cast<Collect*>(data);
  if (++c.count > kMaxOccurrences) return;
  Event e = c.m->base;
  e.start = from_unix_seconds(span->start);
  // An all-day event ends `all_day_seconds` after its start (DTEND is exclusive); libical's
  // span would end a day later.
  e.end = c.m->all_day_seconds > 0 ? e.start + std::chrono::seconds{c.m->all_day_seconds}
                                   : from_unix_seconds(span->end);
  if (e.end <= e.start || e.start >= c.until || e.end <= c.from) return;
  if (c.m->recurring) {
    const icaltimetype u =
        icaltime_from_timet_with_zone(span->start, 0, icaltimezone_get_utc_timezone());
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "-%04d%02d%02d-%02d%02d", u.year, u.month, u.day, u.hour,
                  u.minute);
    e.name += buf.data();
  }
  c.out->push_back(std::move(e));
}

}  // namespace

std::optional<std::vector<Event>> read_ics(const std::string& text, const std::string& file,
                                           core::TimePoint from, core::TimePoint until,
                                           core::Diagnostics& diags) {
  const std::size_t before = diags.size();
  auto err = [&](int line, const std::string& field, const std::string& message) {
    diags.add(core::Error(message, file, line, 0, field));
  };
  const std::vector<EventLines> lines = scan_lines(text);
  Component root(icalparser_parse_string(text.c_str()));
  if (!root || icalcomponent_isa(root.get()) != ICAL_VCALENDAR_COMPONENT) {
    err(1, "", "not an iCalendar file: expected BEGIN:VCALENDAR ... END:VCALENDAR");
    return std::nullopt;
  }
  std::vector<Event> out;
  std::size_t i = 0;
  for (icalcomponent* ev = icalcomponent_get_first_component(root.get(), ICAL_VEVENT_COMPONENT);
       ev != nullptr;
       ev = icalcomponent_get_next_component(root.get(), ICAL_VEVENT_COMPONENT), ++i) {
    const EventLines at = i < lines.size() ? lines[i] : EventLines{};
    const std::size_t errors = diags.size();
    for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_XLICERROR_PROPERTY);
         p != nullptr; p = icalcomponent_get_next_property(ev, ICAL_XLICERROR_PROPERTY)) {
      const std::string message =
          icalproperty_get_xlicerror(p) ? icalproperty_get_xlicerror(p) : "";
      const std::string prop = property_in(message);
      err(at.at(prop), prop.empty() ? "VEVENT" : prop, "libical: " + message);
    }
    for (const char* p : {"DTSTART", "DTEND"})
      if (const std::string problem = date_problem(at, p); !problem.empty())
        err(at.at(p), p, problem);
    if (diags.size() != errors) continue;
    const icaltimetype dtstart = icalcomponent_get_dtstart(ev);
    if (icaltime_is_null_time(dtstart) || !icaltime_is_valid_time(dtstart)) {
      if (diags.size() == errors)
        err(at.at("DTSTART"), "DTSTART", "missing: when the event starts");
      continue;
    }
    Mapped m;
    m.base.line = at.begin;
    map_event(ev, at, m, err);
    if (icaltime_is_date(dtstart)) {
      const icaltimetype dtend = icalcomponent_get_dtend(ev);
      const int days = icaltime_is_null_time(dtend)
                           ? 1
                           : icaldurationtype_as_int(icaltime_subtract(dtend, dtstart)) /
                                 static_cast<int>(kSecondsPerDay);
      if (days < 1) err(at.at("DTEND"), "DTEND", "an all-day event must end after it starts");
      m.all_day_seconds = std::max(1, days) * kSecondsPerDay;
    } else if (const char* end = end_property(ev);
               end != nullptr && icaltime_compare(icalcomponent_get_dtend(ev), dtstart) <= 0) {
      // RFC 5545 wants DTEND later than DTSTART (a DURATION positive): such an event would
      // never be active, which the author cannot have meant.
      err(at.at(end), end, "the event must end after it starts");
    }
    const core::TimePoint first = from_unix_seconds(icaltime_as_timet_with_zone(
        dtstart, dtstart.zone != nullptr ? dtstart.zone : icaltimezone_get_utc_timezone()));
    if (const std::string p = rule_problem(ev, first, until); !p.empty())
      err(at.at("RRULE"), "RRULE", p);
    if (diags.size() != errors) continue;
    Collect c{&m, from, until, &out};
    icalcomponent_foreach_recurrence(ev, to_ical(from), to_ical(until), on_occurrence, &c);
    if (c.count > kMaxOccurrences)
      err(at.at("RRULE"), "RRULE",
          "more than " + std::to_string(kMaxOccurrences) + " occurrences in the window");
  }
  if (i != lines.size())
    err(lines.empty() ? 1 : lines.back().begin, "VEVENT",
        "libical read " + std::to_string(i) + " VEVENTs where the text has " +
            std::to_string(lines.size()) + " (a VEVENT not closed by END:VEVENT?)");
  if (diags.size() != before) return std::nullopt;
  std::sort(out.begin(), out.end(), [](const Event& a, const Event& b) {
    return a.start != b.start ? a.start < b.start : a.name < b.name;
  });
  return out;
}

}  // namespace selfheal::ical
