#include "engine/audit_json.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/duration.hpp"
#include "engine/render.hpp"
#include "engine/story.hpp"

namespace selfheal::engine {

using nlohmann::json;

namespace {

// Optional fields are omitted when unset, so a record only shows what applies to it.
template <typename T>
void put_opt(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
void put_str(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
template <typename T>
void get_opt(const json& j, const char* key, std::optional<T>& v) {
  if (j.contains(key) && !j.at(key).is_null()) {
    v = j.at(key).get<T>();
  } else {
    v.reset();
  }
}
std::string get_str(const json& j, const char* key) {
  return j.contains(key) ? j.at(key).get<std::string>() : std::string{};
}

[[noreturn]] void bad_value(const char* what, const std::string& value) {
  throw json::other_error::create(501, std::string("unknown ") + what + " \"" + value + "\"",
                                  nullptr);
}

TimePoint get_time(const json& j, const char* key) {
  const auto text = j.at(key).get<std::string>();
  auto t = parse_time(text);
  if (!t) bad_value("time (want ISO-8601 UTC, e.g. 2026-11-27T18:00:00Z)", text);
  return *t;
}

}  // namespace

// ---- ServiceRef / ActionSpec -----------------------------------------------------------

void to_json(json& j, const ServiceRef& s) {
  j = json{{"namespace", s.ns}, {"name", s.name}};
}
void from_json(const json& j, ServiceRef& s) {
  s.ns = j.at("namespace").get<std::string>();
  s.name = j.at("name").get<std::string>();
}

void to_json(json& j, const ActionSpec& a) {
  j = json{{"kind", std::string(to_string(a.kind))}};
  put_opt(j, "replicas", a.replicas);
  put_opt(j, "factor", a.factor);
  put_opt(j, "max_replicas", a.max_replicas);
  put_opt(j, "min_replicas", a.min_replicas);
  put_opt(j, "revision", a.revision);
  put_str(j, "flag", a.flag);
  put_opt(j, "traffic_share", a.traffic_share);
  put_str(j, "to", a.to);
}
void from_json(const json& j, ActionSpec& a) {
  const auto kind = j.at("kind").get<std::string>();
  auto k = parse_action_kind(kind);
  if (!k) bad_value("action kind", kind);
  a = ActionSpec{};
  a.kind = *k;
  get_opt(j, "replicas", a.replicas);
  get_opt(j, "factor", a.factor);
  get_opt(j, "max_replicas", a.max_replicas);
  get_opt(j, "min_replicas", a.min_replicas);
  get_opt(j, "revision", a.revision);
  a.flag = get_str(j, "flag");
  get_opt(j, "traffic_share", a.traffic_share);
  a.to = get_str(j, "to");
}

// ---- Classification --------------------------------------------------------------------

void to_json(json& j, const Evidence& e) {
  j = json{{"signal", e.signal},
           {"value", e.value},
           {"bucket", e.bucket},
           {"log_likelihood_ratio", e.log_likelihood_ratio}};
}
void from_json(const json& j, Evidence& e) {
  e.signal = j.at("signal").get<std::string>();
  e.value = j.value("value", 0.0);
  e.bucket = get_str(j, "bucket");
  e.log_likelihood_ratio = j.value("log_likelihood_ratio", 0.0);
}

void to_json(json& j, const Classification& c) {
  j = json{{"incident_type", c.incident_type},
           {"confidence", c.confidence},
           {"source", c.source},
           {"evidence", c.evidence}};
}
void from_json(const json& j, Classification& c) {
  c.incident_type = j.at("incident_type").get<std::string>();
  c.confidence = j.at("confidence").get<double>();
  c.source = get_str(j, "source");
  c.evidence = j.contains("evidence") ? j.at("evidence").get<std::vector<Evidence>>()
                                      : std::vector<Evidence>{};
}

// ---- AuditRecord -----------------------------------------------------------------------

void to_json(json& j, const AuditRecord& r) {
  j = json{{"seq", r.seq},
           {"time", format_time(r.time)},
           {"kind", std::string(to_string(r.kind))},
           {"incident", r.incident},
           {"target", r.target},
           {"policy", r.policy},
           {"guardrail", r.guardrail},
           {"reason", r.reason},
           {"argv", r.argv},
           {"escalate", r.escalate}};
  if (r.classification) j["classification"] = *r.classification;
  if (r.outcome) j["outcome"] = std::string(to_string(*r.outcome));
  if (r.action) j["action"] = *r.action;
  if (!r.argv.empty()) j["command"] = render_command(r.argv);
  put_opt(j, "success", r.success);
  put_str(j, "detail", r.detail);
}
void from_json(const json& j, AuditRecord& r) {
  r = AuditRecord{};
  r.seq = j.at("seq").get<std::uint64_t>();
  r.time = get_time(j, "time");
  const auto kind = j.at("kind").get<std::string>();
  auto k = parse_audit_kind(kind);
  if (!k) bad_value("audit kind", kind);
  r.kind = *k;
  r.incident = get_str(j, "incident");
  r.target = j.at("target").get<ServiceRef>();
  get_opt(j, "classification", r.classification);
  r.policy = get_str(j, "policy");
  if (j.contains("outcome")) {
    const auto o = j.at("outcome").get<std::string>();
    r.outcome = parse_outcome(o);
    if (!r.outcome) bad_value("outcome", o);
  }
  r.guardrail = get_str(j, "guardrail");
  r.reason = get_str(j, "reason");
  get_opt(j, "action", r.action);
  r.argv = j.value("argv", std::vector<std::string>{});
  r.escalate = j.value("escalate", false);
  get_opt(j, "success", r.success);
  r.detail = get_str(j, "detail");
}

// ---- Decision --------------------------------------------------------------------------

void to_json(json& j, const Decision& d) {
  j = json{{"status", std::string(to_string(d.outcome))},
           {"escalate", d.escalate},
           {"policy", d.policy},
           {"guardrail", d.guardrail},
           {"reason", d.reason},
           {"classification", d.classification},
           {"confidence", d.confidence},
           {"argv", d.argv}};
  // The command as one string under the seed's names: `action` when the engine acted (or
  // would have, in shadow), `suggested_action` when a person should.
  if (d.action) {
    j["action"] = render_command(d.argv);
    j["action_spec"] = *d.action;
  }
  if (d.suggested) {
    // No command (nothing renderable, e.g. a page): no key, rather than an empty string.
    if (!d.argv.empty()) j["suggested_action"] = render_command(d.argv);
    j["suggested_action_spec"] = *d.suggested;
  }
  if (d.action_id != 0) j["action_id"] = d.action_id;
  if (d.approval_id != 0) j["approval_id"] = d.approval_id;
  if (d.upstream) j["upstream"] = *d.upstream;
}
void from_json(const json& j, Decision& d) {
  d = Decision{};
  const auto status = j.at("status").get<std::string>();
  auto o = parse_outcome(status);
  if (!o) bad_value("status", status);
  d.outcome = *o;
  d.escalate = j.at("escalate").get<bool>();
  d.policy = get_str(j, "policy");
  d.guardrail = get_str(j, "guardrail");
  d.reason = get_str(j, "reason");
  if (j.contains("classification")) d.classification = j.at("classification").get<Classification>();
  d.confidence = j.value("confidence", d.classification.confidence);
  d.argv = j.value("argv", std::vector<std::string>{});
  get_opt(j, "action_spec", d.action);
  get_opt(j, "suggested_action_spec", d.suggested);
  d.action_id = j.value("action_id", std::uint64_t{0});
  d.approval_id = j.value("approval_id", std::uint64_t{0});
  get_opt(j, "upstream", d.upstream);
}

// ---- Escalation / state ----------------------------------------------------------------

void to_json(json& j, const Escalation& e) {
  j = json{{"incident", e.incident}, {"target", e.target},
           {"channel", e.channel},   {"severity", e.severity},
           {"summary", e.summary},   {"reason", std::string(to_string(e.reason))},
           {"history", e.history},   {"story", escalation_story(e)}};
  if (e.suggested_action) {
    j["suggested_action"] = render_command(e.suggested_argv);
    j["suggested_action_spec"] = *e.suggested_action;
    j["suggested_argv"] = e.suggested_argv;
  }
  if (e.approval_id != 0) j["approval_id"] = e.approval_id;
  if (e.upstream) j["upstream"] = *e.upstream;
  if (!e.affected.empty()) j["affected"] = e.affected;
  if (e.update) j["update"] = true;
}

// ---- ServiceSignals (an in-flight action's before-action state) -------------------------

namespace {

struct SignalField {
  const char* key;
  double ServiceSignals::*member;
};
// Every number of ServiceSignals, under its member's name (as `selfheal decide` reads them).
constexpr SignalField kSignalFields[] = {
    {"request_rate", &ServiceSignals::request_rate},
    {"request_rate_baseline", &ServiceSignals::request_rate_baseline},
    {"error_rate", &ServiceSignals::error_rate},
    {"error_rate_baseline", &ServiceSignals::error_rate_baseline},
    {"latency_p99_ms", &ServiceSignals::latency_p99_ms},
    {"latency_p99_baseline_ms", &ServiceSignals::latency_p99_baseline_ms},
    {"cpu_utilization", &ServiceSignals::cpu_utilization},
    {"memory_utilization", &ServiceSignals::memory_utilization},
    {"memory_growth_per_hour", &ServiceSignals::memory_growth_per_hour},
    {"oom_kills", &ServiceSignals::oom_kills},
    {"restarts", &ServiceSignals::restarts},
    {"ready_replicas", &ServiceSignals::ready_replicas},
    {"desired_replicas", &ServiceSignals::desired_replicas},
    {"queue_lag", &ServiceSignals::queue_lag},
    {"queue_lag_trend", &ServiceSignals::queue_lag_trend},
    {"dependency_errors", &ServiceSignals::dependency_errors},
    {"error_rate_objective", &ServiceSignals::error_rate_objective},
    {"latency_p99_objective_ms", &ServiceSignals::latency_p99_objective_ms},
    {"queue_lag_objective", &ServiceSignals::queue_lag_objective},
};

// JSON has no NaN or infinity: those are written as strings, so the value reads back exactly.
json number_json(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}
double number_from(const json& j) {
  if (!j.is_string()) return j.get<double>();
  const auto s = j.get<std::string>();
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  bad_value("number (want a number, \"nan\", \"inf\" or \"-inf\")", s);
}

}  // namespace

void to_json(json& j, const ServiceSignals& s) {
  j = json::object();
  for (const auto& f : kSignalFields)  // zeros omitted: absent reads back as 0
    if (s.*f.member != 0.0) j[f.key] = number_json(s.*f.member);
  if (s.since_last_deploy) j["since_last_deploy_ms"] = s.since_last_deploy->count();
  if (s.current_revision != 0) j["current_revision"] = s.current_revision;
  if (!s.missing.empty()) j["missing"] = s.missing;
}
void from_json(const json& j, ServiceSignals& s) {
  s = ServiceSignals{};
  for (const auto& f : kSignalFields)
    if (j.contains(f.key)) s.*f.member = number_from(j.at(f.key));
  if (j.contains("since_last_deploy_ms"))
    s.since_last_deploy = Duration{j.at("since_last_deploy_ms").get<Duration::rep>()};
  s.current_revision = j.value("current_revision", 0);
  s.missing = j.value("missing", std::vector<std::string>{});
}

void to_json(json& j, const InFlightAction& a) {
  j = json{{"action_id", a.action_id},
           {"incident", a.incident},
           {"action", a.action},
           {"started_at", format_time(a.started_at)},
           {"verify_at", format_time(a.verify_at)},
           {"executed", a.executed}};
  put_str(j, "policy", a.policy);
  put_opt(j, "undo", a.undo);
  put_str(j, "firing", a.firing);
  put_opt(j, "before", a.before);
}
void from_json(const json& j, InFlightAction& a) {
  a = InFlightAction{};
  a.action_id = j.at("action_id").get<std::uint64_t>();
  a.incident = get_str(j, "incident");
  a.action = j.at("action").get<ActionSpec>();
  a.started_at = get_time(j, "started_at");
  a.verify_at = get_time(j, "verify_at");
  a.executed = j.value("executed", false);
  a.policy = get_str(j, "policy");
  get_opt(j, "undo", a.undo);
  a.firing = get_str(j, "firing");
  get_opt(j, "before", a.before);  // absent in state written before it was persisted
}

void to_json(json& j, const TargetState& s) {
  j = json{
      {"attempts", s.attempts}, {"ladder_step", s.ladder_step}, {"escalate_only", s.escalate_only}};
  if (s.last_action_at) j["last_action_at"] = format_time(*s.last_action_at);
  if (s.in_flight) j["in_flight"] = *s.in_flight;
  if (s.recovered) {
    j["recovered"] = json{{"firing", s.recovered->firing},
                          {"policy", s.recovered->policy},
                          {"until", format_time(s.recovered->until)}};
  }
  // Only when there is history, so state without it reads (and diffs) as before.
  if (!s.remediations.empty()) {
    auto list = json::array();
    for (const auto& v : s.remediations) {
      list.push_back(json{{"at", format_time(v.at)},
                          {"policy", v.policy},
                          {"action", v.action},
                          {"action_id", v.action_id}});
    }
    j["remediations"] = std::move(list);
  }
}
void from_json(const json& j, TargetState& s) {
  s = TargetState{};
  if (j.contains("last_action_at")) s.last_action_at = get_time(j, "last_action_at");
  s.attempts = j.value("attempts", 0);
  s.ladder_step = j.value("ladder_step", std::size_t{0});
  s.escalate_only = j.value("escalate_only", false);
  get_opt(j, "in_flight", s.in_flight);
  if (j.contains("recovered")) {
    const json& r = j.at("recovered");
    s.recovered = RecoveredFiring{get_str(r, "firing"), get_str(r, "policy"), get_time(r, "until")};
  }
  if (j.contains("remediations")) {  // absent in state written before the recurrence guardrail
    for (const json& v : j.at("remediations")) {
      s.remediations.push_back(VerifiedRemediation{get_time(v, "at"), get_str(v, "policy"),
                                                   v.at("action").get<ActionSpec>(),
                                                   v.value("action_id", std::uint64_t{0})});
    }
  }
}

void to_json(json& j, const BreakerState& b) {
  j = json{{"tripped", b.tripped}};
  if (b.tripped_at) j["tripped_at"] = format_time(*b.tripped_at);
  auto recent = json::array();
  for (auto t : b.recent_actions)
    recent.push_back(format_time(t));
  j["recent_actions"] = std::move(recent);
}
void from_json(const json& j, BreakerState& b) {
  b = BreakerState{};
  b.tripped = j.value("tripped", false);
  if (j.contains("tripped_at")) b.tripped_at = get_time(j, "tripped_at");
  if (j.contains("recent_actions")) {
    for (const auto& t : j.at("recent_actions")) {
      auto tp = parse_time(t.get<std::string>());
      if (!tp) bad_value("time", t.get<std::string>());
      b.recent_actions.push_back(*tp);
    }
  }
}

}  // namespace selfheal::engine
