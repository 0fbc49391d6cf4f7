#include "live/runtime.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "config/file_io.hpp"
#include "config/yaml_reader.hpp"
#include "ical/ical.hpp"
#include "live/alertmanager.hpp"

namespace selfheal::live {

engine::TimePoint SystemClock::now() const {
  return std::chrono::floor<core::Duration>(std::chrono::system_clock::now());
}

AsioScheduler::~AsioScheduler() {
  for (auto& [id, t] : timers_)
    t->cancel();
}

engine::TimerId AsioScheduler::after(engine::Duration delay, engine::Callbacks& to,
                                     std::uint64_t token) {
  const auto id = next_++;
  auto timer = std::make_shared<boost::asio::steady_timer>(ex_);
  timer->expires_after(delay.count() < 0 ? engine::Duration{0} : delay);
  timers_[id] = timer;
  timer->async_wait([this, id, timer, &to, token](boost::system::error_code ec) {
    if (ec) return;  // cancelled
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    timers_.erase(it);
    to.on_timer(token);
  });
  return id;
}

bool AsioScheduler::cancel(engine::TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return false;
  it->second->cancel();
  timers_.erase(it);
  return true;
}

core::Result<std::vector<FileCalendar::Entry>> parse_calendar(const std::string& yaml,
                                                              const std::string& source_name) {
  YAML::Node root;
  try {
    root = config::load_yaml(yaml);
  } catch (const YAML::Exception& e) {
    return core::Error("invalid YAML: " + e.msg, source_name, e.mark.line + 1);
  }
  std::vector<FileCalendar::Entry> out;
  if (!root.IsDefined() || root.IsNull()) return out;
  const auto events = root["events"];
  if (!root.IsMap() || !events.IsSequence())
    return core::Error("expected `events:` with a list of planned events", source_name, 1, 0,
                       "events");
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto e = events[i];
    const std::string f = "events[" + std::to_string(i) + "]";
    const int line = e.Mark().line + 1;
    if (!e.IsMap()) return core::Error("must be a mapping", source_name, line, 0, f);
    FileCalendar::Entry en;
    try {
      en.event.name = e["name"].as<std::string>("");
      en.event.kind = e["kind"].as<std::string>("");
      en.ns = e["namespace"].as<std::string>("");
      en.service = e["service"].as<std::string>("");
      en.event.traffic_multiplier = e["traffic_multiplier"].as<double>(1.0);
    } catch (const YAML::Exception& ex) {
      return core::Error(ex.msg, source_name, line, 0, f);
    }
    for (const char* key : {"start", "end"}) {
      if (!e[key].IsScalar())
        return core::Error("required RFC 3339 time", source_name, line, 0, f + "." + key);
      auto t = parse_rfc3339(e[key].Scalar());
      if (!t) return core::Error(t.error().message, source_name, line, 0, f + "." + key);
      (std::string(key) == "start" ? en.event.start : en.event.end) = *t;
    }
    if (en.event.end <= en.event.start)
      return core::Error("end must be after start", source_name, line, 0, f + ".end");
    if (en.event.name.empty()) return core::Error("required", source_name, line, 0, f + ".name");
    out.push_back(std::move(en));
  }
  return out;
}

core::Result<std::vector<FileCalendar::Entry>> parse_ics_calendar(const std::string& text,
                                                                  const std::string& source_name,
                                                                  engine::TimePoint from,
                                                                  engine::TimePoint until) {
  core::Diagnostics diags;
  auto events = ical::read_ics(text, source_name, from, until, diags);
  if (!events) return diags.errors().front();
  std::vector<FileCalendar::Entry> out;
  for (auto& e : *events)
    out.push_back({e.ns, e.service, {e.name, e.kind, e.start, e.end, e.traffic_multiplier}});
  return out;
}

FileCalendar::FileCalendar(std::string path) : path_(std::move(path)) {
  const std::string ext = ".ics";
  ics_ = path_.size() > ext.size() &&
         std::equal(ext.rbegin(), ext.rend(), path_.rbegin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

core::Status FileCalendar::expand_ics(engine::TimePoint now) {
  if (ics_window_ && now >= ics_window_->first && now < ics_window_->second) return core::Ok{};
  auto parsed = parse_ics_calendar(ics_text_, path_, now, now + kIcsHorizon);
  if (!parsed) return parsed.error();
  entries_ = std::move(*parsed);
  ics_window_ = {now, now + kIcsHorizon};
  return core::Ok{};
}

core::Result<std::unique_ptr<FileCalendar>> FileCalendar::open(const std::string& path) {
  std::unique_ptr<FileCalendar> c(new FileCalendar(path));
  if (!path.empty()) {
    auto s = c->reload();
    if (!s) return s.error();
  }
  return c;
}

core::Status FileCalendar::reload() {
  struct stat sb {};
  if (::stat(path_.c_str(), &sb) != 0) return core::Error("cannot read calendar file", path_);
  const std::int64_t mtime = sb.st_mtim.tv_sec * 1'000'000'000LL + sb.st_mtim.tv_nsec;
  if (mtime == mtime_) return core::Ok{};
  auto text = config::read_file(path_);
  if (!text) return text.error();
  if (ics_) {
    // Checked now (a broken VEVENT is an error at startup), expanded when asked.
    auto checked =
        parse_ics_calendar(*text, path_, {}, engine::TimePoint{} + std::chrono::seconds{1});
    if (!checked) return checked.error();
    ics_text_ = std::move(*text);
    ics_window_.reset();
    mtime_ = mtime;
    return core::Ok{};
  }
  auto parsed = parse_calendar(*text, path_);
  if (!parsed) return parsed.error();
  entries_ = std::move(*parsed);
  mtime_ = mtime;
  return core::Ok{};
}

std::vector<engine::PlannedEvent> FileCalendar::active(const engine::ServiceRef& service,
                                                       engine::TimePoint now) {
  if (!path_.empty()) {
    // A broken edit keeps the last good calendar rather than silently dropping events.
    if (auto s = reload(); !s) std::cerr << "selfheal: calendar: " << s.error().describe() << "\n";
    if (ics_ && !ics_text_.empty())
      if (auto s = expand_ics(now); !s)
        std::cerr << "selfheal: calendar: " << s.error().describe() << "\n";
  }
  std::vector<engine::PlannedEvent> out;
  for (const auto& e : entries_) {
    if (!e.ns.empty() && e.ns != service.ns) continue;
    if (!e.service.empty() && e.service != service.name) continue;
    if (now >= e.event.start && now < e.event.end) out.push_back(e.event);
  }
  return out;
}

}  // namespace selfheal::live
