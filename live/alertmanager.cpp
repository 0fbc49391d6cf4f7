#include "live/alertmanager.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/timestamp.hpp"
#include "live/log_text.hpp"
#include "live/names.hpp"

namespace selfheal::live {
namespace {

using json = nlohmann::json;

core::Error schema_error(std::string field, std::string message) {
  return core::Error(std::move(message), "", 0, 0, std::move(field));
}

const char* type_name(const json& j) {
  return j.type_name();
}

// A user-supplied value quoted in a reason: escaped (no control bytes, pure ASCII) and short.
constexpr std::size_t kQuotedValueMax = 128;
std::string quote_value(std::string_view value) {
  return "\"" + log_escape(value, kQuotedValueMax) + "\"";
}

// Alertmanager fingerprints are 16 hex digits; anything printable up to this length is
// accepted (tests and other senders use readable ones), nothing that could forge a log line.
constexpr std::size_t kMaxFingerprint = 128;

// Where json::parse failed, as a JSON path, and why — found by a second, SAX-only pass over
// the body (only on the error path). nlohmann's own message quotes the offending bytes raw
// (invalid UTF-8 included), so it is never passed on unescaped.
class ErrorLocator : public nlohmann::json_sax<json> {
 public:
  std::string path() const {
    std::string p;
    for (const auto& f : stack_) {
      if (p.size() > kQuotedValueMax) return p + "...";  // 100,000 nested arrays
      if (f.array) {
        p += "[" + std::to_string(f.index) + "]";
      } else if (f.has_key) {
        p += (p.empty() ? "" : ".") + log_escape(f.key, kQuotedValueMax);
      }
    }
    return p;
  }
  std::string reason;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    stack_.push_back({});
    return true;
  }
  bool key(string_t& k) override {
    Frame& f = stack_.back();
    if (!f.seen.insert(k).second) {
      // The path names the object, the reason the key given twice (the words of
      // config/messages.hpp, without a line: a webhook body is one line).
      f.has_key = false;
      reason = "duplicate key " + quote_value(k);
      return false;
    }
    f.key = k;
    f.has_key = true;
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return value();
  }
  bool start_array(std::size_t) override {
    Frame f;
    f.array = true;
    stack_.push_back(std::move(f));
    return true;
  }
  bool end_array() override {
    stack_.pop_back();
    return value();
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    const std::string what = ex.what();
    if (ex.id == kNumberOverflow)
      reason = "number out of range (not representable as a double)";
    else if (what.find("UTF-8") != std::string::npos)
      reason = "invalid UTF-8 in a string";
    else
      reason = "malformed JSON at byte " + std::to_string(position) + ": " + log_escape(what);
    return false;
  }

 private:
  static constexpr int kNumberOverflow = 406;  // nlohmann's out_of_range.406
  struct Frame {
    bool array = false;
    std::size_t index = 0;  ///< elements completed so far (arrays)
    std::string key;        ///< the member being read (objects)
    bool has_key = false;
    std::set<std::string> seen;  ///< the object's keys so far (a duplicate is refused)
  };
  bool value() {
    if (!stack_.empty() && stack_.back().array) ++stack_.back().index;
    return true;
  }
  std::vector<Frame> stack_;
};

// Whether some object of `body` repeats a key. nlohmann keeps the last of the two silently,
// so a parse that succeeded says nothing: count each object's key events against the size
// of the object it built (one counter per open object, no copy of any key; the body is
// parsed once, and only a body found to repeat a key is read again to name where).
class DuplicateKeyWatch {
 public:
  bool operator()(int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys_.push_back(0);
        break;
      case json::parse_event_t::key:
        ++keys_.back();
        break;
      case json::parse_event_t::object_end:
        if (parsed.size() != keys_.back()) found_ = true;
        keys_.pop_back();
        break;
      default:
        break;
    }
    return true;
  }
  bool found() const { return found_; }

 private:
  std::vector<std::size_t> keys_;  // key events of each open object, innermost last
  bool found_ = false;
};

core::Error locate_json_error(std::string_view body) {
  ErrorLocator loc;
  json::sax_parse(body, &loc);
  if (loc.reason.empty()) loc.reason = "malformed JSON";
  return schema_error(loc.path(), loc.reason);
}

// The body as JSON into `j`, or the located error. parse_error (syntax, invalid UTF-8) and
// out_of_range (1e400) alike become a 400 naming the field, never an exception for the server
// to turn into a 500. A key given twice (`"status":"firing",...,"status":"resolved"`): which
// one the sender meant is unknowable, so it is refused as in the incident and state files
// (config/json_reader.hpp).
std::optional<core::Error> parse_body(std::string_view body, json& j) {
  DuplicateKeyWatch dup;
  try {
    j = json::parse(body, std::ref(dup));
  } catch (const json::exception&) {
    return locate_json_error(body);
  }
  if (dup.found()) return locate_json_error(body);
  return std::nullopt;
}

// A required string member; sets `err` and returns false when absent or mistyped.
bool get_string(const json& obj, const char* key, const std::string& path, std::string& out,
                std::optional<core::Error>& err, bool required = true) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) err = schema_error(path + key, "required field is missing");
    return !required;
  }
  if (!it->is_string()) {
    err = schema_error(path + key, std::string("must be a string, got ") + type_name(*it));
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool get_labels(const json& obj, const char* key, const std::string& path, Labels& out,
                std::optional<core::Error>& err, bool required) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required && it == obj.end()) {
      err = schema_error(path + key, "required field is missing");
      return false;
    }
    return true;  // Go marshals a nil map as null
  }
  if (!it->is_object()) {
    err = schema_error(path + key,
                       std::string("must be an object of strings, got ") + type_name(*it));
    return false;
  }
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      err = schema_error(path + key + "." + log_escape(k, kQuotedValueMax),
                         std::string("label values must be strings, got ") + type_name(v));
      return false;
    }
    out[k] = v.get<std::string>();
  }
  return true;
}

}  // namespace

core::Result<core::TimePoint> parse_rfc3339(std::string_view t) {
  return core::parse_rfc3339(t);
}

std::string format_rfc3339(core::TimePoint t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{days};
  auto rest = t - days;
  const auto h = std::chrono::duration_cast<std::chrono::hours>(rest);
  rest -= h;
  const auto m = std::chrono::duration_cast<std::chrono::minutes>(rest);
  rest -= m;
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(rest);
  rest -= s;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(h.count()), int(m.count()),
                int(s.count()), int(rest.count()));
  return buf;
}

core::Result<WebhookMessage> parse_webhook(std::string_view body) {
  json j;
  if (auto e = parse_body(body, j)) return *e;
  if (!j.is_object())
    return schema_error("", std::string("payload must be a JSON object, got ") + type_name(j));

  WebhookMessage m;
  std::optional<core::Error> err;
  if (!get_string(j, "version", "", m.version, err)) return *err;
  if (m.version != "4")
    return schema_error("version", "unsupported webhook version " + quote_value(m.version) +
                                       " (selfheal reads Alertmanager's version 4)");
  if (!get_string(j, "groupKey", "", m.group_key, err)) return *err;
  if (!get_string(j, "status", "", m.status, err)) return *err;
  if (m.status != "firing" && m.status != "resolved")
    return schema_error("status",
                        "must be \"firing\" or \"resolved\", got " + quote_value(m.status));
  if (!get_string(j, "receiver", "", m.receiver, err)) return *err;
  if (!get_string(j, "externalURL", "", m.external_url, err, /*required=*/false)) return *err;
  if (auto it = j.find("truncatedAlerts"); it != j.end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
      return schema_error("truncatedAlerts", "must be a non-negative integer");
    m.truncated_alerts = static_cast<int>(it->get<std::int64_t>());
  }
  if (!get_labels(j, "groupLabels", "", m.group_labels, err, false)) return *err;
  if (!get_labels(j, "commonLabels", "", m.common_labels, err, false)) return *err;
  if (!get_labels(j, "commonAnnotations", "", m.common_annotations, err, false)) return *err;

  auto alerts = j.find("alerts");
  if (alerts == j.end()) return schema_error("alerts", "required field is missing");
  if (!alerts->is_array())
    return schema_error("alerts", std::string("must be an array, got ") + type_name(*alerts));
  m.alerts.reserve(alerts->size());
  for (std::size_t i = 0; i < alerts->size(); ++i) {
    const json& a = (*alerts)[i];
    const std::string path = "alerts[" + std::to_string(i) + "].";
    if (!a.is_object())
      return schema_error(path.substr(0, path.size() - 1),
                          std::string("must be an object, got ") + type_name(a));
    WebhookAlert wa;
    if (!get_string(a, "status", path, wa.status, err)) return *err;
    if (wa.status != "firing" && wa.status != "resolved")
      return schema_error(path + "status",
                          "must be \"firing\" or \"resolved\", got " + quote_value(wa.status));
    if (!get_labels(a, "labels", path, wa.labels, err, true)) return *err;
    if (!get_labels(a, "annotations", path, wa.annotations, err, false)) return *err;
    if (!get_string(a, "fingerprint", path, wa.fingerprint, err)) return *err;
    if (wa.fingerprint.empty()) return schema_error(path + "fingerprint", "must not be empty");
    if (wa.fingerprint.size() > kMaxFingerprint ||
        !std::all_of(wa.fingerprint.begin(), wa.fingerprint.end(),
                     [](char c) { return c > 0x20 && c < 0x7f; }))
      return schema_error(path + "fingerprint",
                          "must be 1.." + std::to_string(kMaxFingerprint) +
                              " printable ASCII characters without spaces, got " +
                              quote_value(wa.fingerprint));
    if (!get_string(a, "generatorURL", path, wa.generator_url, err, false)) return *err;
    std::string starts, ends;
    if (!get_string(a, "startsAt", path, starts, err)) return *err;
    auto st = parse_rfc3339(starts);
    if (!st) return schema_error(path + "startsAt", st.error().message);
    wa.starts_at = *st;
    if (!get_string(a, "endsAt", path, ends, err, false)) return *err;
    if (!ends.empty() && !ends.starts_with("0001-01-01")) {
      auto en = parse_rfc3339(ends);
      if (!en) return schema_error(path + "endsAt", en.error().message);
      wa.ends_at = *en;
    }
    m.alerts.push_back(std::move(wa));
  }
  return m;
}

IncidentBatch to_incidents(const WebhookMessage& msg, const LabelMapping& mapping) {
  IncidentBatch out;
  auto first_label = [](const Labels& labels, const std::vector<std::string>& names,
                        std::string& used) -> std::optional<std::string> {
    for (const auto& n : names) {
      if (auto it = labels.find(n); it != labels.end() && !it->second.empty()) {
        used = n;
        return it->second;
      }
    }
    return std::nullopt;
  };
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v)
      s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  for (const auto& a : msg.alerts) {
    auto reject = [&](std::string why) { out.rejected.push_back({a.fingerprint, std::move(why)}); };
    std::string svc_label, ns_label;
    auto svc = first_label(a.labels, mapping.service, svc_label);
    if (!svc) {
      reject("no service label (looked for: " + join(mapping.service) + ")");
      continue;
    }
    auto ns = first_label(a.labels, mapping.ns, ns_label);
    if (!ns) {
      reject("no namespace label (looked for: " + join(mapping.ns) + ")");
      continue;
    }
    if (auto p = dns1123_problem(*svc); !p.empty()) {
      reject("label " + log_escape(svc_label) + " " + quote_value(*svc) +
             " is not a DNS-1123 name: " + p);
      continue;
    }
    if (auto p = dns1123_problem(*ns); !p.empty()) {
      reject("label " + log_escape(ns_label) + " " + quote_value(*ns) +
             " is not a DNS-1123 name: " + p);
      continue;
    }
    if (!mapping.allowed_namespaces.empty()) {
      bool ok = false;
      for (const auto& allowed : mapping.allowed_namespaces)
        ok = ok || allowed == *ns;
      if (!ok) {
        reject("namespace " + quote_value(*ns) + " is not in allowed_namespaces (" +
               join(mapping.allowed_namespaces) + ")");
        continue;
      }
    }
    engine::Incident inc;
    inc.fingerprint = a.fingerprint;
    inc.group_key = msg.group_key;
    inc.target = {*ns, *svc};
    inc.resolved = a.status == "resolved";
    if (auto it = a.labels.find("alertname"); it != a.labels.end()) inc.alertname = it->second;
    inc.started_at = a.starts_at;
    inc.labels = a.labels;
    inc.annotations = a.annotations;
    if (auto it = a.annotations.find("incident_type");
        it != a.annotations.end() && !it->second.empty()) {
      auto c = a.annotations.find("confidence");
      if (c == a.annotations.end()) {
        reject("annotation incident_type without a confidence annotation");
        continue;
      }
      double v = 0;
      const auto& cs = c->second;
      auto [p, ec] = std::from_chars(cs.data(), cs.data() + cs.size(), v);
      if (ec != std::errc{} || p != cs.data() + cs.size() || !std::isfinite(v) || v < 0 || v > 1) {
        reject("annotation confidence " + quote_value(cs) + " is not a number in [0, 1]");
        continue;
      }
      inc.classification = engine::ExternalClassification{it->second, v};
    }
    out.incidents.push_back(std::move(inc));
  }
  return out;
}

}  // namespace selfheal::live
