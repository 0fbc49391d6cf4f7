#include "live/state_json.hpp"

#include "engine/audit_json.hpp"

namespace selfheal::live {
using json = nlohmann::json;

json to_json(const engine::ActionSpec& a) {
  return json(a);
}
engine::ActionSpec action_from_json(const json& j) {
  return j.get<engine::ActionSpec>();
}
json to_json(const engine::TargetState& s) {
  return json(s);
}
engine::TargetState target_state_from_json(const json& j) {
  return j.get<engine::TargetState>();
}
json to_json(const engine::BreakerState& b) {
  return json(b);
}
engine::BreakerState breaker_from_json(const json& j) {
  return j.get<engine::BreakerState>();
}
json to_json(const engine::AuditRecord& r) {
  return json(r);
}
engine::AuditRecord audit_from_json(const json& j) {
  return j.get<engine::AuditRecord>();
}

}  // namespace selfheal::live
