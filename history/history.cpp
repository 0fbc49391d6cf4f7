// The history file's reader and writer. The reader is strict like every selfheal input
// (unknown keys are errors with did-you-mean) because a history that silently lost a field
// would backtest a different past than the one imported.
#include "history/history.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "config/file_io.hpp"
#include "config/json_reader.hpp"
#include "config/messages.hpp"
#include "core/timestamp.hpp"
#include "engine/time_text.hpp"

namespace selfheal::history {
namespace {

using config::JsonReader;
using config::kOptional;
using config::kRequired;
using nlohmann::json;

json labels_json(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (const auto& [k, v] : m)
    j[k] = v;
  return j;
}

std::optional<core::TimePoint> read_time(JsonReader& r, const json& obj, const std::string& path,
                                         const std::string& key, bool required) {
  auto text = r.str(obj, path, key, required);
  if (!text) return std::nullopt;
  auto t = core::parse_rfc3339(*text);
  if (!t) {
    r.error(JsonReader::join(path, key), t.error().message);
    return std::nullopt;
  }
  return t.value();
}

std::map<std::string, std::string> read_labels(JsonReader& r, const json& obj,
                                               const std::string& path, const std::string& key) {
  std::map<std::string, std::string> out;
  if (!obj.contains(key)) return out;
  if (!r.is_object(obj, path, key)) return out;
  const std::string at = JsonReader::join(path, key);
  for (const auto& [k, v] : obj.at(key).items()) {
    if (!v.is_string()) {
      r.error(JsonReader::join(at, k), config::wrong_type("a string", JsonReader::kind_of(v)));
      continue;
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

std::optional<Firing> read_firing(JsonReader& r, const json& f, const std::string& path) {
  if (!f.is_object()) {
    r.error(path, config::wrong_type("an object", JsonReader::kind_of(f)));
    return std::nullopt;
  }
  r.check_keys(f, path, {"start", "end"});
  Firing out;
  auto start = read_time(r, f, path, "start", kRequired);
  if (!start) return std::nullopt;
  out.start = *start;
  if (f.contains("end") && !f.at("end").is_null()) {
    auto end = read_time(r, f, path, "end", kRequired);
    if (!end) return std::nullopt;
    if (*end < out.start) {
      r.error(JsonReader::join(path, "end"), "ends before its start");
      return std::nullopt;
    }
    out.end = end;
  }
  return out;
}

std::optional<Alert> read_alert(JsonReader& r, const json& a, const std::string& path) {
  if (!a.is_object()) {
    r.error(path, config::wrong_type("an object", JsonReader::kind_of(a)));
    return std::nullopt;
  }
  r.check_keys(
      a, path,
      {"alertname", "fingerprint", "service", "namespace", "labels", "annotations", "firings"});
  Alert out;
  out.alertname = r.str(a, path, "alertname", kRequired, true).value_or("");
  auto fp = r.str(a, path, "fingerprint", kRequired);
  out.service = r.str(a, path, "service", kOptional, true).value_or("");
  out.ns = r.str(a, path, "namespace", kOptional, true).value_or("");
  out.labels = read_labels(r, a, path, "labels");
  out.annotations = read_labels(r, a, path, "annotations");
  if (!fp) return std::nullopt;
  out.fingerprint = *fp;
  if (!r.is_list(a, path, "firings")) {
    if (!a.contains("firings"))
      r.error(JsonReader::join(path, "firings"), config::missing_required("firings"));
    return std::nullopt;
  }
  const std::string fpath = JsonReader::join(path, "firings");
  const json& list = a.at("firings");
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto f = read_firing(r, list[i], JsonReader::index(fpath, i));
    if (!f) continue;
    if (!out.firings.empty()) {
      const Firing& prev = out.firings.back();
      if (!prev.end || *prev.end > f->start) {
        r.error(JsonReader::index(fpath, i),
                "starts before the previous firing ended (firings must be sorted and not "
                "overlap)");
        continue;
      }
    }
    out.firings.push_back(*f);
  }
  return out;
}

}  // namespace

void normalise(History& h) {
  std::sort(h.alerts.begin(), h.alerts.end(),
            [](const Alert& a, const Alert& b) { return a.fingerprint < b.fingerprint; });
  bool any = false;
  core::TimePoint lo{}, hi{};
  for (auto& a : h.alerts) {
    std::sort(a.firings.begin(), a.firings.end(),
              [](const Firing& x, const Firing& y) { return x.start < y.start; });
    for (const auto& f : a.firings) {
      const core::TimePoint last = f.end.value_or(f.start);
      if (!any) {
        lo = f.start;
        hi = last;
        any = true;
      }
      lo = std::min(lo, f.start);
      hi = std::max(hi, last);
    }
  }
  if (!any) return;
  const bool unset = h.from == core::TimePoint{} && h.until == core::TimePoint{};
  h.from = unset ? lo : std::min(h.from, lo);
  h.until = unset ? hi : std::max(h.until, hi);
}

std::string to_json_text(const History& h) {
  json alerts = json::array();
  for (const auto& a : h.alerts) {
    json firings = json::array();
    for (const auto& f : a.firings) {
      json fj = json::object();
      fj["start"] = engine::format_time(f.start);
      fj["end"] = f.end ? json(engine::format_time(*f.end)) : json(nullptr);
      firings.push_back(std::move(fj));
    }
    json aj = json::object();
    aj["alertname"] = a.alertname;
    aj["fingerprint"] = a.fingerprint;
    aj["service"] = a.service;
    aj["namespace"] = a.ns;
    aj["labels"] = labels_json(a.labels);
    aj["annotations"] = labels_json(a.annotations);
    aj["firings"] = std::move(firings);
    alerts.push_back(std::move(aj));
  }
  json j = json::object();
  j["history"] = kFormatVersion;
  j["sources"] = h.sources;
  j["from"] = engine::format_time(h.from);
  j["until"] = engine::format_time(h.until);
  j["alerts"] = std::move(alerts);
  return config::json_text(j) + "\n";
}

std::optional<History> parse_history(const std::string& text, const std::string& file,
                                     core::Diagnostics& diags) {
  auto doc = config::parse_json(text, file, diags);
  if (!doc) return std::nullopt;
  const std::size_t before = diags.size();
  JsonReader r(*doc, diags);
  const json& root = doc->root;
  if (!root.is_object()) {
    r.error("", config::wrong_type("an object", JsonReader::kind_of(root)));
    return std::nullopt;
  }
  r.check_keys(root, "", {"history", "sources", "from", "until", "alerts"});
  History h;
  r.integer(root, "", "history", kRequired, kFormatVersion, kFormatVersion);
  if (r.is_list(root, "", "sources")) {
    const json& s = root.at("sources");
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i].is_string()) {
        h.sources.push_back(s[i].get<std::string>());
      } else {
        r.error(JsonReader::index("sources", i),
                config::wrong_type("a string", JsonReader::kind_of(s[i])));
      }
    }
  }
  auto from = read_time(r, root, "", "from", kRequired);
  auto until = read_time(r, root, "", "until", kRequired);
  if (from && until && *until < *from) r.error("until", "is before `from`");
  h.from = from.value_or(core::TimePoint{});
  h.until = until.value_or(core::TimePoint{});
  if (!r.is_list(root, "", "alerts")) {
    if (!root.contains("alerts")) r.error("alerts", config::missing_required("alerts"));
    return std::nullopt;
  }
  const json& list = root.at("alerts");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = JsonReader::index("alerts", i);
    auto a = read_alert(r, list[i], path);
    if (!a) continue;
    if (!h.alerts.empty() && h.alerts.back().fingerprint >= a->fingerprint) {
      r.error(JsonReader::join(path, "fingerprint"),
              "\"" + a->fingerprint +
                  "\" is out of order or repeated (alerts are sorted by unique fingerprint)");
      continue;
    }
    for (std::size_t k = 0; k < a->firings.size(); ++k) {
      const Firing& f = a->firings[k];
      if (f.start < h.from || f.end.value_or(f.start) > h.until) {
        r.error(JsonReader::index(JsonReader::join(path, "firings"), k),
                "lies outside [from, until]");
      }
    }
    h.alerts.push_back(std::move(*a));
  }
  if (diags.size() != before) return std::nullopt;
  return h;
}

std::optional<History> read_history_file(const std::string& path, core::Diagnostics& diags) {
  auto text = config::read_file(path, kMaxHistoryBytes);
  if (!text) {
    diags.add(text.error());
    return std::nullopt;
  }
  return parse_history(text.value(), path, diags);
}

}  // namespace selfheal::history
