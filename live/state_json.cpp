#include "live/state_json.hpp"

#include "live/alertmanager.hpp"

namespace selfheal::live {
namespace {

using json = nlohmann::json;

template <typename T>
void opt_out(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
template <typename T>
void opt_in(const json& j, const char* key, std::optional<T>& v) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) v = it->get<T>();
}
json time_ms(core::TimePoint t) {
  return core::to_unix_ms(t);
}
core::TimePoint time_from(const json& j) {
  return core::from_unix_ms(j.get<std::int64_t>());
}
template <typename E, E Last>
std::optional<E> enum_by_name(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(Last); ++i) {
    const auto e = static_cast<E>(i);
    if (to_string(e) == s) return e;
  }
  return std::nullopt;
}
using engine::to_string;

}  // namespace

json to_json(const engine::ActionSpec& a) {
  json j;
  j["kind"] = engine::to_string(a.kind);
  opt_out(j, "replicas", a.replicas);
  opt_out(j, "factor", a.factor);
  opt_out(j, "max_replicas", a.max_replicas);
  opt_out(j, "min_replicas", a.min_replicas);
  opt_out(j, "revision", a.revision);
  if (!a.flag.empty()) j["flag"] = a.flag;
  opt_out(j, "traffic_share", a.traffic_share);
  if (!a.to.empty()) j["to"] = a.to;
  return j;
}

engine::ActionSpec action_from_json(const json& j) {
  engine::ActionSpec a;
  if (auto k = engine::parse_action_kind(j.at("kind").get<std::string>())) a.kind = *k;
  opt_in(j, "replicas", a.replicas);
  opt_in(j, "factor", a.factor);
  opt_in(j, "max_replicas", a.max_replicas);
  opt_in(j, "min_replicas", a.min_replicas);
  opt_in(j, "revision", a.revision);
  a.flag = j.value("flag", "");
  opt_in(j, "traffic_share", a.traffic_share);
  a.to = j.value("to", "");
  return a;
}

json to_json(const engine::TargetState& s) {
  json j;
  if (s.last_action_at) j["last_action_at_ms"] = time_ms(*s.last_action_at);
  j["attempts"] = s.attempts;
  j["ladder_step"] = s.ladder_step;
  j["escalate_only"] = s.escalate_only;
  if (s.in_flight) {
    const auto& f = *s.in_flight;
    j["in_flight"] = {{"action_id", f.action_id},
                      {"incident", f.incident},
                      {"action", to_json(f.action)},
                      {"started_at_ms", time_ms(f.started_at)},
                      {"verify_at_ms", time_ms(f.verify_at)},
                      {"executed", f.executed}};
  }
  return j;
}

engine::TargetState target_state_from_json(const json& j) {
  engine::TargetState s;
  if (auto it = j.find("last_action_at_ms"); it != j.end()) s.last_action_at = time_from(*it);
  s.attempts = j.value("attempts", 0);
  s.ladder_step = j.value("ladder_step", std::size_t{0});
  s.escalate_only = j.value("escalate_only", false);
  if (auto it = j.find("in_flight"); it != j.end() && it->is_object()) {
    engine::InFlightAction f;
    f.action_id = it->at("action_id").get<std::uint64_t>();
    f.incident = it->value("incident", "");
    f.action = action_from_json(it->at("action"));
    f.started_at = time_from(it->at("started_at_ms"));
    f.verify_at = time_from(it->at("verify_at_ms"));
    f.executed = it->value("executed", false);
    s.in_flight = f;
  }
  return s;
}

json to_json(const engine::BreakerState& b) {
  json j;
  j["tripped"] = b.tripped;
  if (b.tripped_at) j["tripped_at_ms"] = time_ms(*b.tripped_at);
  j["recent_actions_ms"] = json::array();
  for (auto t : b.recent_actions)
    j["recent_actions_ms"].push_back(time_ms(t));
  return j;
}

engine::BreakerState breaker_from_json(const json& j) {
  engine::BreakerState b;
  b.tripped = j.value("tripped", false);
  if (auto it = j.find("tripped_at_ms"); it != j.end()) b.tripped_at = time_from(*it);
  if (auto it = j.find("recent_actions_ms"); it != j.end())
    for (const auto& t : *it)
      b.recent_actions.push_back(time_from(t));
  return b;
}

json to_json(const engine::AuditRecord& r) {
  json j;
  j["seq"] = r.seq;
  j["time"] = format_rfc3339(r.time);
  j["time_ms"] = time_ms(r.time);
  j["kind"] = engine::to_string(r.kind);
  j["incident"] = r.incident;
  j["target"] = {{"namespace", r.target.ns}, {"service", r.target.name}};
  if (r.classification) {
    const auto& c = *r.classification;
    json ev = json::array();
    for (const auto& e : c.evidence)
      ev.push_back({{"signal", e.signal},
                    {"value", e.value},
                    {"bucket", e.bucket},
                    {"log_likelihood_ratio", e.log_likelihood_ratio}});
    j["classification"] = {{"incident_type", c.incident_type},
                           {"confidence", c.confidence},
                           {"source", c.source},
                           {"evidence", ev}};
  }
  if (!r.policy.empty()) j["policy"] = r.policy;
  if (r.outcome) j["outcome"] = engine::to_string(*r.outcome);
  if (!r.guardrail.empty()) j["guardrail"] = r.guardrail;
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.action) j["action"] = to_json(*r.action);
  if (!r.argv.empty()) j["argv"] = r.argv;
  j["escalate"] = r.escalate;
  if (r.success) j["success"] = *r.success;
  if (!r.detail.empty()) j["detail"] = r.detail;
  return j;
}

engine::AuditRecord audit_from_json(const json& j) {
  engine::AuditRecord r;
  r.seq = j.value("seq", std::uint64_t{0});
  r.time = core::from_unix_ms(j.value("time_ms", std::int64_t{0}));
  if (auto k = enum_by_name<engine::AuditKind, engine::AuditKind::kOperator>(j.value("kind", "")))
    r.kind = *k;
  r.incident = j.value("incident", "");
  if (auto t = j.find("target"); t != j.end()) {
    r.target.ns = t->value("namespace", "");
    r.target.name = t->value("service", "");
  }
  if (auto c = j.find("classification"); c != j.end()) {
    engine::Classification cl;
    cl.incident_type = c->value("incident_type", "");
    cl.confidence = c->value("confidence", 0.0);
    cl.source = c->value("source", "");
    for (const auto& e : c->value("evidence", json::array()))
      cl.evidence.push_back({e.value("signal", ""), e.value("value", 0.0), e.value("bucket", ""),
                             e.value("log_likelihood_ratio", 0.0)});
    r.classification = cl;
  }
  r.policy = j.value("policy", "");
  if (auto o = j.find("outcome"); o != j.end())
    r.outcome = enum_by_name<engine::Outcome, engine::Outcome::kResolved>(o->get<std::string>());
  r.guardrail = j.value("guardrail", "");
  r.reason = j.value("reason", "");
  if (auto a = j.find("action"); a != j.end()) r.action = action_from_json(*a);
  if (auto a = j.find("argv"); a != j.end()) r.argv = a->get<std::vector<std::string>>();
  r.escalate = j.value("escalate", false);
  if (auto s = j.find("success"); s != j.end()) r.success = s->get<bool>();
  r.detail = j.value("detail", "");
  return r;
}

}  // namespace selfheal::live
