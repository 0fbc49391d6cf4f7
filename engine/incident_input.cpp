// The incident schema lives here, not in the CLI: the command only parses its options.
#include "engine/incident_input.hpp"

#include "config/file_io.hpp"
#include "config/json_reader.hpp"
#include "config/messages.hpp"
#include "config/names.hpp"
#include "core/duration.hpp"
#include "engine/audit_json.hpp"

namespace selfheal::engine {
namespace {

using config::JsonReader;
using config::kOptional;
using config::kRequired;
using nlohmann::json;

// Bounds that catch a wrong unit or a typo, not tight physical limits.
constexpr double kMaxCount = 1e12;  // requests/s, restarts, latencies in ms
constexpr double kMaxRatio = 1e6;   // utilisations and growth (1.0 = 100%)
constexpr double kMaxLag = 1e15;    // queue messages
constexpr double kMaxRevision = 1e9;
constexpr double kMaxServices = 1e9;

constexpr const char* kIncidentTimeExample = "an ISO-8601 UTC time such as 2026-11-27T18:00:00Z";

class IncidentReader {
 public:
  explicit IncidentReader(JsonReader& r) : r_(r) {}

  std::optional<TimePoint> time(const json& obj, const std::string& path, const char* key) {
    if (!obj.contains(key)) return std::nullopt;
    const std::string f = JsonReader::join(path, key);
    if (!obj.at(key).is_string()) {
      r_.error(f, config::wrong_type(kIncidentTimeExample, JsonReader::kind_of(obj.at(key))));
      return std::nullopt;
    }
    auto t = parse_time(obj.at(key).get<std::string>());
    if (!t) {
      r_.error(f, config::wrong_type(kIncidentTimeExample, JsonReader::kind_of(obj.at(key))));
    }
    return t;
  }

  ServiceSignals signals(const json& s) {
    ServiceSignals out;
    struct Field {
      const char* name;
      double ServiceSignals::*member;
      double hi;
    };
    static const std::vector<Field> kFields{
        {"request_rate", &ServiceSignals::request_rate, kMaxCount},
        {"request_rate_baseline", &ServiceSignals::request_rate_baseline, kMaxCount},
        {"error_rate", &ServiceSignals::error_rate, 1},
        {"error_rate_baseline", &ServiceSignals::error_rate_baseline, 1},
        {"latency_p99_ms", &ServiceSignals::latency_p99_ms, kMaxCount},
        {"latency_p99_baseline_ms", &ServiceSignals::latency_p99_baseline_ms, kMaxCount},
        {"cpu_utilization", &ServiceSignals::cpu_utilization, kMaxRatio},
        {"memory_utilization", &ServiceSignals::memory_utilization, kMaxRatio},
        {"memory_growth_per_hour", &ServiceSignals::memory_growth_per_hour, kMaxRatio},
        {"oom_kills", &ServiceSignals::oom_kills, kMaxCount},
        {"restarts", &ServiceSignals::restarts, kMaxCount},
        {"ready_replicas", &ServiceSignals::ready_replicas, kMaxRatio},
        {"desired_replicas", &ServiceSignals::desired_replicas, kMaxRatio},
        {"queue_lag", &ServiceSignals::queue_lag, kMaxLag},
        {"dependency_errors", &ServiceSignals::dependency_errors, 1},
    };
    std::vector<std::string> known{"queue_lag_trend", "since_last_deploy", "current_revision",
                                   "missing"};
    for (const auto& f : kFields)
      known.emplace_back(f.name);
    r_.check_keys(s, "signals", known);
    for (const auto& f : kFields) {
      if (auto v = r_.num(s, "signals", f.name, kOptional, 0.0, f.hi)) out.*f.member = *v;
    }
    if (auto v = r_.num(s, "signals", "queue_lag_trend", kOptional, -kMaxLag, kMaxLag))
      out.queue_lag_trend = *v;
    if (auto v = r_.num(s, "signals", "current_revision", kOptional, 0, kMaxRevision))
      out.current_revision = static_cast<int>(*v);
    if (auto d = r_.str(s, "signals", "since_last_deploy", kOptional)) {
      if (auto parsed = core::parse_duration(*d)) {
        out.since_last_deploy = *parsed;
      } else {
        r_.error("signals.since_last_deploy", parsed.error().message);
      }
    }
    if (r_.is_list(s, "signals", "missing")) {
      const json& list = s.at("missing");
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i].is_string()) {
          out.missing.push_back(list[i].get<std::string>());
        } else {
          r_.error(JsonReader::index("signals.missing", i),
                   config::wrong_type("a signal name", JsonReader::kind_of(list[i])));
        }
      }
    }
    return out;
  }

  std::vector<PlannedEvent> events(const json& list) {
    std::vector<PlannedEvent> out;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = JsonReader::index("active_events", i);
      const auto& e = list[i];
      if (!e.is_object()) {
        r_.error(path,
                 config::wrong_type("an object {name, kind, start, end}", JsonReader::kind_of(e)));
        continue;
      }
      r_.check_keys(e, path, {"name", "kind", "start", "end", "traffic_multiplier"});
      PlannedEvent ev;
      ev.name = r_.str(e, path, "name", kRequired).value_or("");
      ev.kind = r_.str(e, path, "kind", kRequired).value_or("");
      // Without bounds an event listed here is active now.
      const auto start = time(e, path, "start");
      const auto end = time(e, path, "end");
      if (start && end && *end <= *start)
        r_.error(JsonReader::join(path, "end"), "must be after start");
      ev.start = start.value_or(TimePoint::min());
      ev.end = end.value_or(TimePoint::max());
      ev.traffic_multiplier =
          r_.num(e, path, "traffic_multiplier", kOptional, 0, kMaxRatio).value_or(1.0);
      out.push_back(std::move(ev));
    }
    return out;
  }

  std::vector<DependencyHealth> upstreams(const json& list, const std::string& ns) {
    std::vector<DependencyHealth> out;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = JsonReader::index("upstreams", i);
      const auto& u = list[i];
      if (!u.is_object()) {
        r_.error(path, config::wrong_type("an object {service, healthy, error_rate}",
                                          JsonReader::kind_of(u)));
        continue;
      }
      r_.check_keys(u, path, {"service", "namespace", "healthy", "error_rate", "reason"});
      DependencyHealth d;
      d.service = {r_.str(u, path, "namespace", kOptional).value_or(ns),
                   r_.str(u, path, "service", kRequired).value_or("")};
      if (auto h = r_.boolean(u, path, "healthy")) d.healthy = *h;
      d.error_rate = r_.num(u, path, "error_rate", kOptional, 0, 1).value_or(0.0);
      d.reason = r_.str(u, path, "reason", kOptional).value_or("");
      out.push_back(std::move(d));
    }
    return out;
  }

 private:
  JsonReader& r_;
};

}  // namespace

std::optional<IncidentInput> read_incident_string(const std::string& text, const std::string& file,
                                                  core::Diagnostics& diags) {
  auto doc = config::parse_json(text, file, diags);
  if (!doc) return std::nullopt;
  JsonReader r(*doc, diags);
  const json& j = doc->root;
  if (!j.is_object()) {
    r.error("", config::wrong_type("a JSON object (the incident)", JsonReader::kind_of(j)));
    return std::nullopt;
  }
  r.check_keys(
      j, "",
      {"incident_type", "service", "namespace", "confidence", "fingerprint", "alertname",
       "resolved", "signals", "active_events", "upstreams", "time", "services_in_namespace"});
  IncidentReader ir(r);
  IncidentInput in;
  // Neither incident_type nor confidence: the built-in classifier decides from the signals.
  const bool classify = !j.contains("incident_type") && !j.contains("confidence");
  if (classify && !j.contains("signals")) {
    r.error("incident_type",
            "missing: give incident_type and confidence (an external classification), or "
            "signals for the built-in classifier");
  }
  const auto type = r.str(j, "", "incident_type", !classify);
  const auto service = r.str(j, "", "service", kRequired);
  const auto ns = r.str(j, "", "namespace", kRequired);
  const auto confidence = r.num(j, "", "confidence", !classify, 0.0, 1.0);
  // The names reach the kubectl/helm argv: the one name check, as serve's webhook applies.
  for (const auto& [key, name] : {std::pair{"service", service}, std::pair{"namespace", ns}})
    if (const std::string p = name ? config::dns1123_problem(*name) : ""; !p.empty())
      r.error(key, config::dns1123_message(*name, p));
  in.incident.target = {ns.value_or(""), service.value_or("")};
  in.incident.alertname = r.str(j, "", "alertname", kOptional).value_or("");
  in.incident.fingerprint =
      r.str(j, "", "fingerprint", kOptional)
          .value_or("decide:" + in.incident.target.key() + "/" + type.value_or("builtin"));
  if (auto resolved = r.boolean(j, "", "resolved")) in.incident.resolved = *resolved;
  if (!classify) {
    in.incident.classification =
        ExternalClassification{type.value_or(""), confidence.value_or(0.0)};
  }
  if (r.is_object(j, "", "signals")) in.signals = ir.signals(j.at("signals"));
  if (r.is_list(j, "", "active_events")) in.events = ir.events(j.at("active_events"));
  if (r.is_list(j, "", "upstreams"))
    in.upstreams = ir.upstreams(j.at("upstreams"), ns.value_or(""));
  in.time = ir.time(j, "", "time");
  if (auto n = r.num(j, "", "services_in_namespace", kOptional, 1, kMaxServices))
    in.services_in_namespace = static_cast<std::size_t>(*n);
  if (!diags.empty()) return std::nullopt;
  return in;
}

std::optional<IncidentInput> read_incident_file(const std::string& file, core::Diagnostics& diags) {
  auto text = config::read_file(file);
  if (!text) {
    diags.add(text.error());
    return std::nullopt;
  }
  return read_incident_string(*text, file, diags);
}

}  // namespace selfheal::engine
