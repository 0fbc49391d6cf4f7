// Actions and their parameters in a policy file (the contract is in policy_loader.hpp).
#include "engine/policy_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "config/file_io.hpp"
#include "config/messages.hpp"
#include "config/names.hpp"
#include "config/suggest.hpp"
#include "config/yaml_reader.hpp"
#include "core/duration.hpp"
#include "engine/classifier.hpp"

namespace selfheal::engine::policy_reading {
namespace {

bool is_flag_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  return std::all_of(s.begin(), s.end(), ok) && s.front() != '-';
}

}  // namespace

const std::vector<std::string_view> kActionNames{
    "restart", "scale", "rollback", "cache-purge", "feature-flag-disable", "traffic-shift", "page"};

std::string describe_action(const ActionSpec& a) {
  std::ostringstream os;
  os << to_string(a.kind);
  switch (a.kind) {
    case ActionKind::kScale:
      if (a.replicas) {
        os << " to " << *a.replicas << " replicas";
      } else if (a.factor) {
        os << " by " << *a.factor << "x";
        if (a.max_replicas) os << ", at most " << *a.max_replicas << " replicas";
        if (a.min_replicas) os << ", at least " << *a.min_replicas << " replicas";
      }
      break;
    case ActionKind::kRollback:
      if (a.revision) {
        os << " to revision " << *a.revision;
      } else {
        os << " to the previous release";
      }
      break;
    case ActionKind::kFeatureFlagDisable:
      os << " " << a.flag;
      break;
    case ActionKind::kTrafficShift:
      if (a.traffic_share) os << " " << *a.traffic_share * 100 << "% to " << a.to;
      break;
    case ActionKind::kPage:
      os << " (no automated change: escalate to a person)";
      break;
    default:
      break;
  }
  return os.str();
}

// ---------------------------------------------------------------------------------------
// Actions

std::optional<ActionSpec> Loader::action(const YAML::Node& n, const std::string& field) {
  ActionSpec a;
  if (n.IsScalar()) {
    const std::string& name = n.Scalar();
    auto kind = parse_action_kind(name);
    if (!kind) {
      error(n, field,
            "unknown action " + config::quoted(name) + did_you_mean(name, kActionNames) +
                " (actions: " + list_names(kActionNames) + ")");
      return std::nullopt;
    }
    a.kind = *kind;
    const std::size_t before = diags_.size();
    check_action(a, n, field, nullptr);
    if (diags_.size() != before) return std::nullopt;
    return a;
  }
  if (!n.IsMap()) {
    error(n, field,
          "expected an action name such as restart or a map such as {kind: scale, replicas: "
          "6}, got " +
              kind_of(n));
    return std::nullopt;
  }
  const std::size_t before = diags_.size();
  Fields f = fields(n, field,
                    {"kind", "replicas", "factor", "max_replicas", "min_replicas", "revision",
                     "flag", "share", "to"});
  const Entry* kind = f.find("kind");
  if (kind == nullptr) {
    error(n, field + ".kind", "missing `kind` (one of " + list_names(kActionNames) + ")");
    return std::nullopt;
  }
  if (auto name = str(kind->value, field + ".kind")) {
    auto k = parse_action_kind(*name);
    if (!k) {
      error(kind->value, field + ".kind",
            "unknown action " + config::quoted(*name) + did_you_mean(*name, kActionNames) +
                " (actions: " + list_names(kActionNames) + ")");
      return std::nullopt;
    }
    a.kind = *k;
  } else {
    return std::nullopt;
  }
  action_parameters(f, field, a);
  if (diags_.size() != before) return std::nullopt;
  check_action(a, n, field, &f);
  if (diags_.size() != before) return std::nullopt;
  return a;
}

// The parameters of a map-form action (`replicas`, `factor`, `flag`, ...), each checked
// on its own; which kinds take which is check_action's.
void Loader::action_parameters(const Fields& f, const std::string& field, ActionSpec& a) {
  if (const Entry* e = f.find("replicas")) {
    if (auto v = integer(e->value, field + ".replicas", 1, kMaxCount))
      a.replicas = static_cast<int>(*v);
  }
  if (const Entry* e = f.find("max_replicas")) {
    if (auto v = integer(e->value, field + ".max_replicas", 1, kMaxCount)) {
      a.max_replicas = static_cast<int>(*v);
    }
  }
  if (const Entry* e = f.find("min_replicas")) {
    if (auto v = integer(e->value, field + ".min_replicas", 1, kMaxCount)) {
      a.min_replicas = static_cast<int>(*v);
    }
  }
  if (const Entry* e = f.find("factor")) {
    if (auto v = number(e->value, field + ".factor")) {
      if (*v <= 0.0 || *v == 1.0) {
        error(
            e->value, field + ".factor",
            "must be above 1 (scale out) or between 0 and 1 (scale in), got " + e->value.Scalar());
      } else {
        a.factor = *v;
      }
    }
  }
  if (const Entry* e = f.find("revision")) {
    if (auto v = integer(e->value, field + ".revision", 1, kMaxCount))
      a.revision = static_cast<int>(*v);
  }
  if (const Entry* e = f.find("flag")) {
    if (auto v = str(e->value, field + ".flag")) {
      if (is_flag_name(*v)) {
        a.flag = *v;
      } else {
        error(e->value, field + ".flag",
              "\"" + *v + "\" is not a valid flag name (letters, digits, '-', '_', '.')");
      }
    }
  }
  if (const Entry* e = f.find("share")) {
    if (auto v = share(e->value, field + ".share")) {
      if (*v == 0.0) {
        error(e->value, field + ".share", "must be above 0 (a share of traffic to move)");
      } else {
        a.traffic_share = *v;
      }
    }
  }
  if (const Entry* e = f.find("to")) {
    if (auto v = str(e->value, field + ".to")) {
      if (config::is_dns1123_label(*v)) {
        a.to = *v;
      } else {
        error(e->value, field + ".to",
              "\"" + *v +
                  "\" is not a valid target name (lowercase letters, digits and '-', at most "
                  "63)");
      }
    }
  }
}

// Which parameters each kind takes, and the ones it needs.
void Loader::check_action(const ActionSpec& a, const YAML::Node& at, const std::string& field,
                          const Fields* params) {
  struct Param {
    std::string_view name;
    ActionKind kind;
  };
  static const std::vector<Param> kParams{
      {"replicas", ActionKind::kScale},     {"factor", ActionKind::kScale},
      {"max_replicas", ActionKind::kScale}, {"min_replicas", ActionKind::kScale},
      {"revision", ActionKind::kRollback},  {"flag", ActionKind::kFeatureFlagDisable},
      {"share", ActionKind::kTrafficShift}, {"to", ActionKind::kTrafficShift},
  };
  const std::string kind(to_string(a.kind));
  if (params != nullptr) {
    for (const auto& p : kParams) {
      const Entry* e = params->find(p.name);
      if (e != nullptr && p.kind != a.kind) {
        error(e->key_node, field + "." + std::string(p.name),
              "`" + std::string(p.name) + "` does not apply to " + kind + " (it belongs to " +
                  std::string(to_string(p.kind)) + ")");
      }
    }
  }
  switch (a.kind) {
    case ActionKind::kScale:
      if (a.replicas && a.factor) {
        error(at, field, "scale takes either `replicas` or `factor`, not both");
      } else if (a.replicas) {
        if (a.max_replicas || a.min_replicas) {
          error(at, field,
                "`max_replicas`/`min_replicas` bound factor scaling; with `replicas: " +
                    std::to_string(*a.replicas) + "` they have no effect, remove them");
        }
      } else if (a.factor) {
        if (*a.factor > 1.0 && !a.max_replicas) {
          error(at, field,
                "scale by a factor needs an upper bound: add `max_replicas` (e.g. {kind: "
                "scale, factor: 2, max_replicas: 10})");
        }
        if (*a.factor < 1.0 && !a.min_replicas) {
          error(at, field, "scale in by a factor needs a lower bound: add `min_replicas`");
        }
      } else {
        error(at, field,
              "scale without bounds: give `replicas` (e.g. {kind: scale, replicas: 6}) or "
              "`factor` with `max_replicas` (e.g. {kind: scale, factor: 2, max_replicas: 10})");
      }
      if (a.min_replicas && a.max_replicas && *a.min_replicas > *a.max_replicas) {
        error(at, field,
              "min_replicas (" + std::to_string(*a.min_replicas) + ") is above max_replicas (" +
                  std::to_string(*a.max_replicas) + ")");
      }
      break;
    case ActionKind::kFeatureFlagDisable:
      if (a.flag.empty()) {
        error(at, field,
              "feature-flag-disable needs the flag to turn off: {kind: feature-flag-disable, "
              "flag: NAME}");
      }
      break;
    case ActionKind::kTrafficShift:
      if (!a.traffic_share || a.to.empty()) {
        error(at, field,
              "traffic-shift needs `share` (0-1] and `to`: {kind: traffic-shift, share: 0.5, "
              "to: eu-west}");
      }
      break;
    default:
      break;
  }
}

}  // namespace selfheal::engine::policy_reading
