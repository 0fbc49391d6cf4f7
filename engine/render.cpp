// Rendering actions as kubectl/helm argv. Every name is validated here, at the last step
// before a command exists, so nothing a label or an alert carried can reach a command
// line unchecked (argv is never joined into a shell string except for display).
#include <cmath>
#include <string>
#include <vector>

#include "config/names.hpp"
#include "engine/render.hpp"

namespace selfheal::engine {
namespace {

using core::Error;

using config::is_dns1123_label;

constexpr std::size_t kMaxLabel = config::kDns1123LabelMax;
constexpr std::size_t kMaxRelease = 53;  // Helm release names
constexpr int kMaxReplicas = 10000;      // a scale beyond this is a typo, not a plan

Error bad_name(const std::string& field, const std::string& value, std::size_t max_len) {
  return Error("\"" + value + "\" is not a valid name: use at most " + std::to_string(max_len) +
                   " lowercase letters, digits and '-', starting and ending with a letter or "
                   "digit (DNS-1123 label)",
               "", 0, 0, field);
}

// FEATURE_<FLAG>: env var names are [A-Z0-9_]; the flag's '-' and '.' become '_'.
core::Result<std::string> flag_env_name(const std::string& flag) {
  if (flag.empty() || flag.size() > kMaxLabel) {
    return Error("feature-flag-disable needs the flag's name (1-63 characters)", "", 0, 0, "flag");
  }
  std::string out;
  for (char c : flag) {
    if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
      out += c;
    } else if (c == '-' || c == '.') {
      out += '_';
    } else {
      return Error("flag \"" + flag + "\" may only contain letters, digits, '-', '.' and '_'", "",
                   0, 0, "flag");
    }
  }
  if (out.rfind("FEATURE_", 0) != 0) out = "FEATURE_" + out;
  return out;
}

core::Result<int> resolve_replicas(const ActionSpec& a, int current) {
  int n = 0;
  if (a.replicas) {
    n = *a.replicas;
  } else if (a.factor) {
    if (!a.max_replicas) {
      return Error("scale by a factor needs max_replicas (an unbounded scale-out is refused)", "",
                   0, 0, "max_replicas");
    }
    if (current <= 0) {
      return Error("scale by factor " + std::to_string(*a.factor) +
                       " needs the current replica count, which is unknown",
                   "", 0, 0, "factor");
    }
    if (!(*a.factor > 0.0) || !std::isfinite(*a.factor)) {
      return Error("scale factor must be a positive number", "", 0, 0, "factor");
    }
    const double want = std::ceil(static_cast<double>(current) * *a.factor);
    n = want > kMaxReplicas ? kMaxReplicas + 1 : static_cast<int>(want);
    if (n > *a.max_replicas) n = *a.max_replicas;
    if (a.min_replicas && n < *a.min_replicas) n = *a.min_replicas;
  } else {
    return Error("scale needs replicas or a factor", "", 0, 0, "replicas");
  }
  if (n < 0 || n > kMaxReplicas) {
    return Error(
        "replicas " + std::to_string(n) + " outside [0, " + std::to_string(kMaxReplicas) + "]", "",
        0, 0, "replicas");
  }
  if (a.max_replicas && n > *a.max_replicas) {
    return Error(
        "replicas " + std::to_string(n) + " above max_replicas " + std::to_string(*a.max_replicas),
        "", 0, 0, "replicas");
  }
  if (a.min_replicas && n < *a.min_replicas) {
    return Error(
        "replicas " + std::to_string(n) + " below min_replicas " + std::to_string(*a.min_replicas),
        "", 0, 0, "replicas");
  }
  return n;
}

}  // namespace

core::Result<std::vector<std::string>> render_action(const ServiceRef& target,
                                                     const ActionSpec& action, int current_replicas,
                                                     std::uint64_t nonce) {
  if (!is_dns1123_label(target.ns, kMaxLabel)) return bad_name("namespace", target.ns, kMaxLabel);
  const std::size_t max_name = action.kind == ActionKind::kRollback ? kMaxRelease : kMaxLabel;
  if (!is_dns1123_label(target.name, max_name)) return bad_name("service", target.name, max_name);
  const std::string deployment = "deployment/" + target.name;
  switch (action.kind) {
    case ActionKind::kRestart:
      return std::vector<std::string>{"kubectl", "rollout", "restart", deployment, "-n", target.ns};
    case ActionKind::kScale: {
      auto n = resolve_replicas(action, current_replicas);
      if (!n) return n.error();
      return std::vector<std::string>{"kubectl", "scale",   deployment,
                                      "-n",      target.ns, "--replicas=" + std::to_string(*n)};
    }
    case ActionKind::kRollback: {
      if (action.revision) {
        if (*action.revision < 1) {
          return Error("rollback revision must be >= 1", "", 0, 0, "revision");
        }
        return std::vector<std::string>{
            "helm", "rollback", target.name, std::to_string(*action.revision), "-n", target.ns};
      }
      // Without a revision Helm rolls back to the previous release.
      return std::vector<std::string>{"helm", "rollback", target.name, "-n", target.ns};
    }
    case ActionKind::kCachePurge:
      return std::vector<std::string>{
          "kubectl",
          "annotate",
          deployment,
          "-n",
          target.ns,
          "--overwrite",
          "selfheal.io/cache-purge=" +
              (nonce != 0 ? "action-" + std::to_string(nonce) : std::string("requested"))};
    case ActionKind::kFeatureFlagDisable: {
      auto env = flag_env_name(action.flag);
      if (!env) return env.error();
      return std::vector<std::string>{"kubectl", "set",     "env",          deployment,
                                      "-n",      target.ns, *env + "=false"};
    }
    case ActionKind::kTrafficShift: {
      if (!is_dns1123_label(action.to, kMaxLabel)) return bad_name("to", action.to, kMaxLabel);
      const double share = action.traffic_share.value_or(-1.0);
      if (!(share > 0.0 && share <= 1.0)) {
        return Error("traffic-shift needs traffic_share in (0, 1]", "", 0, 0, "traffic_share");
      }
      const long percent = std::lround(share * 100.0);
      return std::vector<std::string>{"kubectl",
                                      "annotate",
                                      "service/" + target.name,
                                      "-n",
                                      target.ns,
                                      "--overwrite",
                                      "selfheal.io/traffic-shift=" + action.to + ":" +
                                          std::to_string(percent < 1 ? 1 : percent)};
    }
    case ActionKind::kPage:
      return Error("page is not a command: it escalates to a person", "", 0, 0, "action");
  }
  return Error("unknown action", "", 0, 0, "action");
}

std::vector<std::string> render_argv(const ServiceRef& target, const ActionSpec& action,
                                     int current_replicas) {
  auto r = render_action(target, action, current_replicas);
  if (!r) return {};
  return std::move(r).value();
}

std::string render_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

}  // namespace selfheal::engine
