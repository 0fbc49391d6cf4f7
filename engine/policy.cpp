#include "engine/policy.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/enum_names.hpp"

namespace selfheal::engine {
namespace {

// Names other tools (and the seed document) use for a type the classifier knows. Kept
// deliberately short: an alias silently merges two policies, so only unambiguous ones.
constexpr std::array<std::pair<std::string_view, std::string_view>, 1> kAliases{{
    {"high-memory-leak", incident_types::kMemoryLeak},
}};

constexpr std::array<std::pair<Mode, std::string_view>, 3> kModes{{
    {Mode::kShadow, "shadow"},
    {Mode::kRecommend, "recommend"},
    {Mode::kAuto, "auto"},
}};

constexpr std::array<std::pair<RiskClass, std::string_view>, 3> kRisks{{
    {RiskClass::kLow, "low"},
    {RiskClass::kMedium, "medium"},
    {RiskClass::kHigh, "high"},
}};

}  // namespace

std::string_view to_string(Mode m) {
  return core::enum_name(kModes, m);
}
std::optional<Mode> parse_mode(std::string_view s) {
  return core::enum_from_name(kModes, s);
}
std::string_view to_string(RiskClass r) {
  return core::enum_name(kRisks, r);
}

std::string_view canonical_incident_type(std::string_view incident_type) {
  for (const auto& [alias, canonical] : kAliases) {
    if (alias == incident_type) return canonical;
  }
  return incident_type;
}

const Policy* PolicySet::find(std::string_view incident_type) const {
  const std::string_view wanted = canonical_incident_type(incident_type);
  for (const auto& p : policies) {
    if (p.incident_type == wanted) return &p;
  }
  return nullptr;
}

std::optional<ActionSpec> default_action_for(std::string_view incident_type) {
  namespace it = incident_types;
  const std::string_view t = canonical_incident_type(incident_type);
  ActionSpec a;
  if (t == it::kMemoryLeak || t == it::kConsumerStall) {
    // A leak or a wedged consumer is reset by fresh processes; rollout restart replaces pods
    // one at a time, so capacity stays up.
    a.kind = ActionKind::kRestart;
    return a;
  }
  if (t == it::kCpuSpike) {
    // The seed's engine: `kubectl scale ... --replicas=6`.
    a.kind = ActionKind::kScale;
    a.replicas = 6;
    return a;
  }
  if (t == it::kTrafficSpike) {
    // Load grows with traffic, so capacity should too, but never without a ceiling.
    a.kind = ActionKind::kScale;
    a.factor = 2.0;
    a.max_replicas = 20;
    return a;
  }
  if (t == it::kBadDeployment) {
    a.kind = ActionKind::kRollback;  // previous release (the seed's `helm rollback <svc>`)
    return a;
  }
  if (t == it::kPoisonedCache) {
    a.kind = ActionKind::kCachePurge;
    return a;
  }
  if (t == it::kPodLoss || t == it::kDependencyFailure || t == it::kUnknown) {
    // Pod loss: the deployment controller already works to restore the desired count; what
    // stops it (node loss, quota, eviction, image pull, crash loop) needs a person, and a
    // restart would take down the pods still serving. Dependency failure: the fix lives in
    // the upstream, not in this service. Unknown: nothing safe to guess.
    a.kind = ActionKind::kPage;
    return a;
  }
  // bad-feature-flag needs the flag's name; other types are the user's own.
  return std::nullopt;
}

}  // namespace selfheal::engine

namespace selfheal::engine {

ServiceRef Freeze::resolve(const std::string& entry, const std::string& ns) {
  const auto slash = entry.find('/');
  if (slash == std::string::npos) return ServiceRef{ns, entry};
  return ServiceRef{entry.substr(0, slash), entry.substr(slash + 1)};
}

bool Freeze::covers(const ServiceRef& target) const {
  if (namespaces.empty() && services.empty()) return true;
  return std::find(namespaces.begin(), namespaces.end(), target.ns) != namespaces.end() ||
         std::find(services.begin(), services.end(), target.name) != services.end();
}

}  // namespace selfheal::engine
