#include "live/alertmanager.hpp"

#include <charconv>
#include <chrono>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/timestamp.hpp"
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
      err = schema_error(path + key + "." + k,
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
  try {
    j = json::parse(body);
  } catch (const json::parse_error& e) {
    return core::Error(std::string("malformed JSON: ") + e.what());
  }
  if (!j.is_object())
    return schema_error("", std::string("payload must be a JSON object, got ") + type_name(j));

  WebhookMessage m;
  std::optional<core::Error> err;
  if (!get_string(j, "version", "", m.version, err)) return *err;
  if (m.version != "4")
    return schema_error("version", "unsupported webhook version \"" + m.version +
                                       "\" (selfheal reads Alertmanager's version 4)");
  if (!get_string(j, "groupKey", "", m.group_key, err)) return *err;
  if (!get_string(j, "status", "", m.status, err)) return *err;
  if (m.status != "firing" && m.status != "resolved")
    return schema_error("status", "must be \"firing\" or \"resolved\", got \"" + m.status + "\"");
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
                          "must be \"firing\" or \"resolved\", got \"" + wa.status + "\"");
    if (!get_labels(a, "labels", path, wa.labels, err, true)) return *err;
    if (!get_labels(a, "annotations", path, wa.annotations, err, false)) return *err;
    if (!get_string(a, "fingerprint", path, wa.fingerprint, err)) return *err;
    if (wa.fingerprint.empty()) return schema_error(path + "fingerprint", "must not be empty");
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
      reject("label " + svc_label + " \"" + *svc + "\" is not a DNS-1123 name: " + p);
      continue;
    }
    if (auto p = dns1123_problem(*ns); !p.empty()) {
      reject("label " + ns_label + " \"" + *ns + "\" is not a DNS-1123 name: " + p);
      continue;
    }
    if (!mapping.allowed_namespaces.empty()) {
      bool ok = false;
      for (const auto& allowed : mapping.allowed_namespaces)
        ok = ok || allowed == *ns;
      if (!ok) {
        reject("namespace \"" + *ns + "\" is not in allowed_namespaces (" +
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
        reject("annotation confidence \"" + cs + "\" is not a number in [0, 1]");
        continue;
      }
      inc.classification = engine::ExternalClassification{it->second, v};
    }
    out.incidents.push_back(std::move(inc));
  }
  return out;
}

}  // namespace selfheal::live
