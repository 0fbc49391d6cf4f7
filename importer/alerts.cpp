// The webhook-log importer and the merge. Lines are read one by one (a month of webhook
// payloads is far larger than a config file), each bounded by config::kMaxInputBytes.
#include "importer/alerts.hpp"

#include <algorithm>
#include <fstream>
#include <istream>
#include <map>
#include <set>

#include "config/file_io.hpp"
#include "engine/time_text.hpp"
#include "live/alertmanager.hpp"

namespace selfheal::importer {
namespace {

constexpr const char* kResolved = "resolved";

struct Builder {
  std::map<std::string, history::Alert> alerts;  // by fingerprint
  bool any_time = false;
  core::TimePoint lo{}, hi{};

  void saw(core::TimePoint t) {
    if (!any_time) {
      lo = hi = t;
      any_time = true;
    }
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
};

std::string first_label(const live::Labels& labels, const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    auto it = labels.find(k);
    if (it != labels.end() && !it->second.empty()) return it->second;
  }
  return {};
}

// Adds one webhook alert to its history alert. Returns an error message for a field, or "".
// `where` ("file:line") prefixes a note about an alert read other than as written.
std::string add_alert(Builder& b, const live::WebhookAlert& wa, std::string& field,
                      const std::string& where, std::vector<std::string>& notes) {
  auto name = wa.labels.find("alertname");
  if (name == wa.labels.end() || name->second.empty()) {
    field = "labels.alertname";
    return "missing: every alert needs its alertname label";
  }
  const bool resolved = wa.status == kResolved;
  if (resolved && !wa.ends_at) {
    field = "endsAt";
    return "a resolved alert needs its end time";
  }
  const live::LabelMapping mapping;
  history::Alert& a = b.alerts[wa.fingerprint];
  a.fingerprint = wa.fingerprint;
  a.alertname = name->second;
  a.labels = wa.labels;
  a.annotations = wa.annotations;
  a.service = first_label(wa.labels, mapping.service);
  a.ns = first_label(wa.labels, mapping.ns);
  b.saw(wa.starts_at);
  history::Firing* f = nullptr;
  for (auto& x : a.firings)
    if (x.start == wa.starts_at) f = &x;
  if (f == nullptr) {
    a.firings.push_back({wa.starts_at, std::nullopt});
    f = &a.firings.back();
  }
  if (resolved) {
    // Prometheus and Alertmanager stamp the two ends on different clocks; a skew can put
    // the end first. The firing is kept (it happened) and read as ending when it started.
    if (*wa.ends_at < wa.starts_at)
      notes.push_back(where + ": " + wa.fingerprint + " (" + name->second +
                      "): resolved with endsAt " + engine::format_time(*wa.ends_at) +
                      " before its startsAt " + engine::format_time(wa.starts_at) +
                      "; read as a firing that ended when it started");
    f->end = std::max(*wa.ends_at, wa.starts_at);
    b.saw(*f->end);
  }
  return {};
}

// Firings of one alert that overlap (a resolved notification never arrived before the
// alert fired again) are ended where the next one starts, with a note.
void close_overlaps(history::Alert& a, std::vector<std::string>& notes) {
  std::sort(a.firings.begin(), a.firings.end(),
            [](const history::Firing& x, const history::Firing& y) { return x.start < y.start; });
  for (std::size_t i = 0; i + 1 < a.firings.size(); ++i) {
    history::Firing& f = a.firings[i];
    const core::TimePoint next = a.firings[i + 1].start;
    if (!f.end || *f.end > next) {
      notes.push_back(a.fingerprint + " (" + a.alertname + "): the firing from " +
                      engine::format_time(f.start) +
                      " has no resolved notification before it fired again at " +
                      engine::format_time(next) + "; it is ended there");
      f.end = next;
    }
  }
}

history::History finish(Builder& b, std::string source, std::vector<std::string>& notes) {
  history::History h;
  h.sources.push_back(std::move(source));
  for (auto& [fp, a] : b.alerts) {
    close_overlaps(a, notes);
    h.alerts.push_back(std::move(a));
  }
  if (b.any_time) {
    h.from = b.lo;
    h.until = b.hi;
  }
  history::normalise(h);
  return h;
}

}  // namespace

std::optional<history::History> import_webhook_stream(std::istream& in, const std::string& file,
                                                      core::Diagnostics& diags,
                                                      std::vector<std::string>& notes) {
  Builder b;
  const std::size_t before = diags.size();
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line.size() > config::kMaxInputBytes) {
      diags.add(core::Error("line longer than " + std::to_string(config::kMaxInputBytes) + " bytes",
                            file, lineno));
    } else if (auto msg = live::parse_webhook(line); !msg) {
      diags.add(core::Error(msg.error().message, file, lineno, 0, msg.error().field));
    } else {
      for (std::size_t i = 0; i < msg.value().alerts.size(); ++i) {
        std::string field;
        std::string why =
            add_alert(b, msg.value().alerts[i], field, file + ":" + std::to_string(lineno), notes);
        if (!why.empty()) {
          diags.add(core::Error(std::move(why), file, lineno, 0,
                                "alerts[" + std::to_string(i) + "]." + field));
        }
      }
    }
    if (diags.size() - before >= kMaxErrors) {
      diags.add(core::Error("too many errors; stopped reading", file, lineno));
      break;
    }
  }
  if (in.bad()) diags.add(core::Error("read error", file, lineno));
  if (diags.size() != before) return std::nullopt;
  if (b.alerts.empty()) {
    diags.add(
        core::Error("no alerts in the log (an empty history is refused: nothing "
                    "would be backtested)",
                    file));
    return std::nullopt;
  }
  return finish(b, "webhook-log:" + file, notes);
}

std::optional<history::History> import_webhook_log(const std::string& path,
                                                   core::Diagnostics& diags,
                                                   std::vector<std::string>& notes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.add(core::Error("cannot open the webhook log (missing or unreadable)", path));
    return std::nullopt;
  }
  return import_webhook_stream(in, path, diags, notes);
}

std::optional<history::History> merge_histories(std::vector<history::History> parts,
                                                core::Diagnostics& diags) {
  history::History out;
  const std::size_t before = diags.size();
  std::map<std::string, std::string> source_of;  // fingerprint -> source
  bool first = true;
  for (auto& p : parts) {
    const std::string src = p.sources.empty() ? std::string("?") : p.sources.front();
    for (auto& a : p.alerts) {
      auto [it, fresh] = source_of.emplace(a.fingerprint, src);
      if (!fresh) {
        diags.add(core::Error("alert " + a.fingerprint + " is in both " + it->second + " and " +
                              src + "; import each source into its own history"));
        continue;
      }
      out.alerts.push_back(std::move(a));
    }
    out.sources.insert(out.sources.end(), p.sources.begin(), p.sources.end());
    out.from = first ? p.from : std::min(out.from, p.from);
    out.until = first ? p.until : std::max(out.until, p.until);
    first = false;
  }
  if (diags.size() != before) return std::nullopt;
  history::normalise(out);
  return out;
}

}  // namespace selfheal::importer
