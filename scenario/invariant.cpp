// The invariants' reader and their check over a timeline. The check walks the engine's
// audit records in order, so "first" is the engine's own order of decisions.
#include "scenario/invariant.hpp"

#include <algorithm>

#include "core/duration.hpp"

namespace selfheal::scenario {
namespace {

const std::vector<std::string> kKinds{"never", "at_most_mode"};

bool known(const std::vector<std::string>& names, const std::string& s) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

// A service name that must be in the cluster; reports an unknown one with did-you-mean.
std::string service_name(const YAML::Node& n, const std::string& field, YamlReader& r,
                         const std::vector<std::string>& services) {
  auto s = r.str(n, field);
  if (!s) return {};
  if (!known(services, *s)) {
    const std::string hint = did_you_mean(*s, services);
    r.error(n, field,
            "unknown service \"" + *s + "\"" +
                (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
    return {};
  }
  return *s;
}

bool parse_never(const YAML::Node& n, const std::string& f, YamlReader& r,
                 const std::vector<std::string>& services, Invariant& x) {
  if (!r.expect_map(n, f)) return false;
  r.check_keys(n, f, {"action", "target", "while"});
  const std::size_t before = r.diagnostics().size();
  const auto action = r.str(n["action"], f + ".action");
  if (!action) {
    r.error(n, f + ".action", "missing: an action kind such as restart, or any");
  } else if (*action != "any") {
    x.action = engine::parse_action_kind(*action);
    if (!x.action) {
      r.error(n["action"], f + ".action",
              "unknown action \"" + *action + "\" (any, or an action kind: see docs/policy.md)");
    }
  }
  if (n["target"].IsDefined()) x.target = service_name(n["target"], f + ".target", r, services);
  const YAML::Node w = n["while"];
  if (w.IsDefined() && r.expect_map(w, f + ".while")) {
    r.check_keys(w, f + ".while", {"service", "unhealthy"});
    x.while_unhealthy = service_name(w["service"], f + ".while.service", r, services);
    if (!w["service"].IsDefined()) r.error(w, f + ".while.service", "missing: the service");
    const auto unhealthy = r.boolean(w["unhealthy"], f + ".while.unhealthy");
    if (!unhealthy || !*unhealthy) {
      r.error(w, f + ".while.unhealthy", "must be `unhealthy: true` (the only condition)");
    }
  }
  const std::string what = x.action ? std::string(engine::to_string(*x.action)) : "any action";
  x.describe = "never " + what + (x.target.empty() ? "" : " on " + x.target) +
               (x.while_unhealthy.empty() ? "" : " while " + x.while_unhealthy + " is unhealthy");
  return r.diagnostics().size() == before;
}

bool parse_at_most(const YAML::Node& n, const std::string& f, YamlReader& r,
                   const std::vector<std::string>& services, Invariant& x) {
  if (!r.expect_map(n, f)) return false;
  r.check_keys(n, f, {"service", "mode"});
  const std::size_t before = r.diagnostics().size();
  x.service = service_name(n["service"], f + ".service", r, services);
  if (!n["service"].IsDefined()) r.error(n, f + ".service", "missing: the service");
  const auto mode = r.str(n["mode"], f + ".mode");
  if (!mode || (*mode != "shadow" && *mode != "recommend")) {
    r.error(n["mode"].IsDefined() ? n["mode"] : n, f + ".mode",
            "must be shadow or recommend (auto allows everything)");
  } else {
    x.mode = *engine::parse_mode(*mode);
  }
  x.describe = "at most " + std::string(mode.value_or("?")) + " on " + x.service;
  return r.diagnostics().size() == before;
}

// Whether decision `rec` breaks `inv`.
bool breaks(const Invariant& inv, const engine::AuditRecord& rec, const sim::Timeline& tl) {
  if (rec.kind != engine::AuditKind::kDecision || !rec.outcome) return false;
  const bool executed = *rec.outcome == engine::Outcome::kExecuted;
  if (inv.kind == Invariant::Kind::kAtMostMode) {
    if (rec.target.name != inv.service) return false;
    return executed ||
           (inv.mode == engine::Mode::kShadow && *rec.outcome == engine::Outcome::kRecommend);
  }
  if (!executed) return false;
  if (inv.action && (!rec.action || rec.action->kind != *inv.action)) return false;
  if (!inv.target.empty() && rec.target.name != inv.target) return false;
  return inv.while_unhealthy.empty() || !tl.within_objectives(inv.while_unhealthy, rec.time);
}

std::string in_words(const engine::AuditRecord& rec) {
  std::string s = std::string(engine::to_string(*rec.outcome));
  if (rec.action) s += " " + std::string(engine::to_string(rec.action->kind));
  s += " on " + rec.target.name;
  if (!rec.policy.empty()) s += " (policy " + rec.policy + ")";
  if (!rec.reason.empty()) s += ": " + rec.reason;
  return s;
}

}  // namespace

std::vector<Invariant> parse_invariants(const YAML::Node& node, YamlReader& r,
                                        const std::vector<std::string>& services) {
  std::vector<Invariant> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!r.expect_seq(node, "invariants")) return out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node e = node[i];
    const std::string f = YamlReader::index("invariants", i);
    if (!r.expect_map(e, f)) continue;
    r.check_keys(e, f, kKinds);
    Invariant x;
    x.line = line_of(e);
    bool ok = false;
    if (e["never"].IsDefined()) {
      x.kind = Invariant::Kind::kNever;
      ok = parse_never(e["never"], f + ".never", r, services, x);
    } else if (e["at_most_mode"].IsDefined()) {
      x.kind = Invariant::Kind::kAtMostMode;
      ok = parse_at_most(e["at_most_mode"], f + ".at_most_mode", r, services, x);
    } else if (e.size() == 0) {
      r.error(e, f, "empty: write never: {...} or at_most_mode: {...}");
    }
    if (e.size() > 1) r.error(e, f, "one rule per entry: never or at_most_mode");
    if (ok && e.size() == 1) out.push_back(std::move(x));
  }
  return out;
}

InvariantResult check_invariant(const Invariant& inv, const sim::Timeline& tl) {
  InvariantResult res;
  res.describe = inv.describe;
  res.line = inv.line;
  for (const auto& rec : tl.audit) {
    if (!breaks(inv, rec, tl)) continue;
    if (res.violations++ == 0) {
      res.at = rec.time - tl.start;
      res.decision = in_words(rec);
    }
  }
  res.held = res.violations == 0;
  return res;
}

std::vector<InvariantResult> check_invariants(const std::vector<Invariant>& invs,
                                              const sim::Timeline& tl) {
  std::vector<InvariantResult> out;
  out.reserve(invs.size());
  for (const auto& i : invs)
    out.push_back(check_invariant(i, tl));
  return out;
}

}  // namespace selfheal::scenario
