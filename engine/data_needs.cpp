// The pipeline's reads, named. Each rule here mirrors one place the pipeline calls a port
// (engine/pipeline.cpp, engine/verification.cpp); tests/engine/data_needs_test.cpp runs the
// engine over recording ports and fails when a call is not named here.
#include "engine/data_needs.hpp"

#include <algorithm>

#include "engine/defaults.hpp"

namespace selfheal::engine {
namespace {

void add_window(DataNeeds& n, Duration w) {
  auto it = std::lower_bound(n.signal_windows.begin(), n.signal_windows.end(), w);
  if (it == n.signal_windows.end() || *it != w) n.signal_windows.insert(it, w);
}

void add_query(DataNeeds& n, const std::string& q) {
  if (std::find(n.queries.begin(), n.queries.end(), q) == n.queries.end()) n.queries.push_back(q);
}

// A factor scale is rendered from the current desired replicas: a signal.
bool scales_by_factor(const Policy& p) {
  return std::any_of(p.actions.begin(), p.actions.end(), [](const ActionSpec& a) {
    return a.kind == ActionKind::kScale && a.factor && !a.replicas;
  });
}

bool can_act(const Policy& p) {
  return std::any_of(p.actions.begin(), p.actions.end(),
                     [](const ActionSpec& a) { return a.kind != ActionKind::kPage; });
}

}  // namespace

bool rolls_out(ActionKind k) {
  return k == ActionKind::kRestart || k == ActionKind::kRollback || k == ActionKind::kScale ||
         k == ActionKind::kFeatureFlagDisable;
}

void DataNeeds::merge(const DataNeeds& other) {
  for (Duration w : other.signal_windows)
    add_window(*this, w);
  upstreams = upstreams || other.upstreams;
  upstream_hops = std::max(upstream_hops, other.upstream_hops);
  for (const auto& h : other.health) {
    if (std::find(health.begin(), health.end(), h) == health.end()) health.push_back(h);
  }
  for (const auto& q : other.queries)
    add_query(*this, q);
  deployment = deployment || other.deployment;
}

DataNeeds verification_needs(const PolicySet& policies, std::string_view policy) {
  const Policy* p = policies.find(policy);
  DataNeeds n;
  add_window(n, p != nullptr ? p->verification_window : defaults::kVerificationWindow);
  n.deployment = p == nullptr || std::any_of(p->actions.begin(), p->actions.end(),
                                             [](const ActionSpec& a) { return rolls_out(a.kind); });
  if (p == nullptr) return n;  // the default checks read signals only
  for (const auto& c : p->verification) {
    if (!c.promql.empty()) add_query(n, c.promql);
  }
  return n;
}

DataNeeds action_needs(const PolicySet& policies, std::string_view incident_type) {
  DataNeeds n;
  if (!incident_type.empty()) {
    if (const Policy* p = policies.find(incident_type); p != nullptr && can_act(*p))
      add_window(n, p->verification_window);
    return n;
  }
  for (const auto& p : policies.policies) {
    if (can_act(p)) add_window(n, p.verification_window);
  }
  return n;
}

DataNeeds follow_up_needs() {
  DataNeeds n;
  add_window(n, defaults::kClassificationWindow);
  n.upstreams = true;
  return n;
}

DataNeeds gate_needs(const PolicySet& policies, const ServiceRef& target) {
  DataNeeds n;
  const Freeze& f = policies.settings.freeze;
  if (f.enabled() && f.covers(target)) {
    for (const auto& entry : f.unhealthy) {
      const ServiceRef s = Freeze::resolve(entry, target.ns);
      if (std::find(n.health.begin(), n.health.end(), s) == n.health.end()) n.health.push_back(s);
    }
  }
  for (const auto& p : policies.policies) {
    if (p.dependency_precheck.enabled && p.dependency_precheck.depth() > 1) {
      n.upstreams = true;
      n.upstream_hops = std::max(n.upstream_hops, p.dependency_precheck.depth());
    }
  }
  return n;
}

DataNeeds decision_needs(const PolicySet& policies, const Incident& incident,
                         const TargetState& state, TimePoint now) {
  DataNeeds n;
  if (incident.resolved) {
    // The health check that may clear attempts; skipped while an action is in flight.
    if (!state.in_flight) add_window(n, defaults::kClassificationWindow);
    return n;
  }
  if (!incident.classification) {
    n = follow_up_needs();  // the built-in classifier reads both
    n.merge(gate_needs(policies, incident.target));
    n.merge(action_needs(policies, {}));
  } else if (const Policy* p = policies.find(incident.classification->incident_type);
             p == nullptr) {
    n.upstreams = true;  // a no-policy page names the worst failing upstream
  } else {
    if (p->dependency_precheck.enabled) {
      n.upstreams = true;
      n.upstream_hops = p->dependency_precheck.depth();
      add_window(n, defaults::kClassificationWindow);  // dependency_errors fallback
    }
    if (scales_by_factor(*p)) add_window(n, defaults::kClassificationWindow);
    n.merge(action_needs(policies, p->incident_type));
  }
  if (incident.classification) {
    DataNeeds freeze;  // the policy's own pre-check depth is named above
    freeze.health = gate_needs(policies, incident.target).health;
    n.merge(freeze);
  }
  // A held re-delivery re-runs the verification checks (the firing is matched later; an
  // upper bound here is enough).
  if (state.recovered && now < state.recovered->until) {
    n.merge(verification_needs(policies, state.recovered->policy));
  }
  return n;
}

}  // namespace selfheal::engine
