// Policy files are written by hand and reviewed in pull requests, so the loader's job is as
// much to explain as to parse: it walks the whole document, records every problem with its
// location and field path, and only hands out a PolicySet when there were none.
#include "engine/policy_loader.hpp"

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

namespace selfheal::engine {
namespace {

using core::Error;

using config::did_you_mean;
using config::Entry;
using config::Fields;
using config::kind_of;
using config::list_names;

/// Largest count a policy field takes (attempts, replicas, limits): a larger one is a typo,
/// and would not fit the int the policy keeps it in.
constexpr std::int64_t kMaxCount = 1'000'000'000;

// 1-based line and column of a yaml-cpp exception's mark (0 when it has none).
int mark_line(const YAML::Mark& m) {
  return m.is_null() ? 0 : m.line + 1;
}
int mark_column(const YAML::Mark& m) {
  return m.is_null() ? 0 : m.column + 1;
}

const std::vector<std::string_view> kActionNames{
    "restart", "scale", "rollback", "cache-purge", "feature-flag-disable", "traffic-shift", "page"};

// The known incident type named `t`, or nullptr (engine/classifier.hpp holds the list).
const KnownIncidentType* find_known_type(std::string_view t) {
  for (const auto& k : known_incident_types())
    if (k.name == t) return &k;
  return nullptr;
}

// "a-b-c" with its hyphen-separated words sorted, so word order does not count as typos.
std::string sorted_words(std::string_view s) {
  std::vector<std::string_view> words;
  for (std::size_t start = 0; start <= s.size();) {
    const std::size_t dash = std::min(s.find('-', start), s.size());
    words.push_back(s.substr(start, dash - start));
    start = dash + 1;
  }
  std::sort(words.begin(), words.end());
  std::string out;
  for (const auto w : words)
    out += (out.empty() ? "" : "-") + std::string(w);
  return out;
}

// did-you-mean for an unknown incident type: a typo of a known type, or its words in
// another order (`cache-poison` for `poisoned-cache`).
std::string type_suggestion(std::string_view t) {
  std::vector<std::string_view> names;
  for (const auto& k : known_incident_types())
    names.push_back(k.name);
  if (std::string hint = did_you_mean(t, names); !hint.empty()) return hint;
  std::vector<std::string> sorted;
  for (const auto n : names)
    sorted.push_back(sorted_words(n));
  const std::vector<std::string_view> sorted_views(sorted.begin(), sorted.end());
  const std::string c = config::closest(sorted_words(t), sorted_views);
  for (std::size_t i = 0; i < sorted.size() && !c.empty(); ++i)
    if (sorted[i] == c) return "; did you mean " + config::quoted(names[i]) + "?";
  return {};
}

// ---------------------------------------------------------------------------------------
// Names that reach kubectl/helm argv.

bool is_flag_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  return std::all_of(s.begin(), s.end(), ok) && s.front() != '-';
}

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
// The loader

// The policy's own structure over config::YamlReader, the one tree-walker (its typed reads,
// fields() with merge keys, and the words of every message).
class Loader : config::YamlReader {
 public:
  explicit Loader(std::string file) : config::YamlReader(std::move(file), diags_) {}

  PolicyLoad load(const std::string& yaml);

 private:
  void note(const YAML::Node& at, const std::string& field, const std::string& text) {
    notes_.push_back(Error{text, file(), config::line_of(at), 0, field}.describe());
  }

  std::optional<ActionSpec> action(const YAML::Node& n, const std::string& field);
  void check_action(const ActionSpec& a, const YAML::Node& at, const std::string& field,
                    const Fields* params);
  Policy policy(const YAML::Node& n, const std::string& path);
  void scope(const YAML::Node& n, const std::string& path, Scope& out);
  void dependency_precheck(const YAML::Node& n, const std::string& path, DependencyPrecheck& out);
  void planned_events(const YAML::Node& n, const std::string& path, PlannedEventHandling& out);
  void recurrence(const YAML::Node& n, const std::string& path, Recurrence& out);
  void verification(const YAML::Node& n, const std::string& path,
                    std::vector<VerificationCheck>& out);
  void engine_settings(const YAML::Node& n, const std::string& path, EngineSettings& out);
  void freeze(const YAML::Node& n, const std::string& path, Freeze& out);
  std::vector<std::string> service_refs(const YAML::Node& n, const std::string& field);

  // Per policy in load order: its field path and incident_type value (for duplicates).
  std::vector<std::pair<std::string, YAML::Node>> type_sites_;
  core::Diagnostics diags_;
  std::vector<std::string> notes_;
};

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
  if (diags_.size() != before) return std::nullopt;
  check_action(a, n, field, &f);
  if (diags_.size() != before) return std::nullopt;
  return a;
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

// ---------------------------------------------------------------------------------------
// Policy sections

void Loader::scope(const YAML::Node& n, const std::string& path, Scope& out) {
  if (n.IsNull()) return;
  if (!n.IsMap()) {
    error(n, path, "expected a map with namespaces/services/exclude_services, got " + kind_of(n));
    return;
  }
  Fields f = fields(n, path, {"namespaces", "services", "exclude_services"});
  if (const Entry* e = f.find("namespaces")) {
    out.namespaces = name_list(e->value, path + ".namespaces", "namespace");
  }
  if (const Entry* e = f.find("services")) {
    out.services = name_list(e->value, path + ".services", "service");
  }
  if (const Entry* e = f.find("exclude_services")) {
    out.exclude_services = name_list(e->value, path + ".exclude_services", "service");
    for (const auto& s : out.exclude_services) {
      if (std::find(out.services.begin(), out.services.end(), s) != out.services.end()) {
        error(e->value, path + ".exclude_services",
              "`" + s + "` is both in services and exclude_services");
      }
    }
  }
}

void Loader::dependency_precheck(const YAML::Node& n, const std::string& path,
                                 DependencyPrecheck& out) {
  if (n.IsScalar()) {
    if (auto b = boolean(n, path)) out.enabled = *b;
    return;
  }
  if (!n.IsMap()) {
    error(
        n, path,
        "expected true/false or {enabled: true, max_upstream_error_rate: 0.05}, got " + kind_of(n));
    return;
  }
  out.enabled = true;  // a map switches it on unless it says otherwise
  Fields f = fields(n, path, {"enabled", "max_upstream_error_rate", "depth", "max_depth"});
  if (const Entry* e = f.find("enabled")) {
    if (auto b = boolean(e->value, path + ".enabled")) out.enabled = *b;
  }
  if (const Entry* e = f.find("max_upstream_error_rate")) {
    if (auto v = share(e->value, path + ".max_upstream_error_rate")) {
      out.max_upstream_error_rate = *v;
    }
  }
  if (const Entry* e = f.find("depth")) {
    if (auto d = str(e->value, path + ".depth")) {
      if (*d == "direct" || *d == "transitive") {
        out.transitive = *d == "transitive";
      } else {
        error(e->value, path + ".depth",
              "unknown depth " + config::quoted(*d) + did_you_mean(*d, {"direct", "transitive"}) +
                  " (direct: the target's own upstreams; transitive: theirs too)");
      }
    }
  }
  if (const Entry* e = f.find("max_depth")) {
    if (auto v = integer(e->value, path + ".max_depth", 1, kMaxCount)) {
      if (!out.transitive) {
        error(e->value, path + ".max_depth", "max_depth needs depth: transitive");
      } else if (*v > defaults::kPrecheckDepthLimit) {
        error(e->value, path + ".max_depth",
              "must be at most " + std::to_string(defaults::kPrecheckDepthLimit) + " hops, got " +
                  std::to_string(*v));
      } else {
        out.max_depth = static_cast<int>(*v);
      }
    }
  }
}

constexpr std::string_view kRecurrenceShape = "off or a map such as {max: 3, window: 6h}";

// `recurrence: {max: 3, window: 6h}` (either key may be left out: its default applies), or
// `recurrence: off` for max 0.
void Loader::recurrence(const YAML::Node& n, const std::string& path, Recurrence& out) {
  if (n.IsScalar() && !config::is_quoted(n)) {
    std::string s = n.Scalar();
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s == "off" || s == "false" || s == "no") {
      out.max = 0;
      return;
    }
  }
  if (!n.IsMap()) {
    error(n, path, config::wrong_type(kRecurrenceShape, kind_of(n)));
    return;
  }
  Fields f = fields(n, path, {"max", "window"});
  if (const Entry* e = f.find("max")) {
    if (auto v = integer(e->value, path + ".max", 0, kMaxCount)) out.max = static_cast<int>(*v);
  }
  if (const Entry* e = f.find("window")) {
    if (auto d = duration(e->value, path + ".window", config::DurationMin::kPositive))
      out.window = *d;
  }
}

void Loader::planned_events(const YAML::Node& n, const std::string& path,
                            PlannedEventHandling& out) {
  if (!n.IsMap()) {
    error(n, path,
          "expected a map such as {confidence_penalty: 0.4, approval_required_for: [scale]}, "
          "got " +
              kind_of(n));
    return;
  }
  Fields f = fields(n, path, {"confidence_penalty", "approval_required_for", "kinds"});
  if (const Entry* e = f.find("confidence_penalty")) {
    if (auto v = share(e->value, path + ".confidence_penalty")) out.confidence_penalty = *v;
  }
  if (const Entry* e = f.find("approval_required_for")) {
    const std::string field = path + ".approval_required_for";
    if (!e->value.IsSequence()) {
      error(e->value, field,
            "expected a list of actions such as [scale], got " + kind_of(e->value));
    } else {
      out.approval_required_for.clear();
      for (std::size_t i = 0; i < e->value.size(); ++i) {
        const std::string fi = field + "[" + std::to_string(i) + "]";
        auto name = str(e->value[i], fi);
        if (!name) continue;
        auto k = parse_action_kind(*name);
        if (!k) {
          error(e->value[i], fi,
                "unknown action " + config::quoted(*name) + did_you_mean(*name, kActionNames) +
                    " (actions: " + list_names(kActionNames) + ")");
          continue;
        }
        out.approval_required_for.push_back(*k);
      }
    }
  }
  if (const Entry* e = f.find("kinds")) {
    if (auto v = str_list(e->value, path + ".kinds", false)) out.kinds = *v;
  }
}

void Loader::verification(const YAML::Node& n, const std::string& path,
                          std::vector<VerificationCheck>& out) {
  if (!n.IsSequence()) {
    error(n, path,
          "expected a list of checks such as [{signal: error_rate, max: 0.02}], got " + kind_of(n));
    return;
  }
  std::vector<std::string_view> signals;
  for (int s = 0; s <= static_cast<int>(SignalName::kDependencyErrors); ++s) {
    signals.push_back(to_string(static_cast<SignalName>(s)));
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node c = n[i];
    const std::string field = path + "[" + std::to_string(i) + "]";
    if (!c.IsMap()) {
      error(c, field,
            "expected a check such as {signal: error_rate, max: 0.02}, got " + kind_of(c));
      continue;
    }
    const std::size_t before = diags_.size();
    VerificationCheck check;
    Fields f =
        fields(c, field, {"signal", "promql", "max", "min", "back_to_baseline", "description"});
    const Entry* sig = f.find("signal");
    const Entry* promql = f.find("promql");
    if (sig != nullptr && promql != nullptr) {
      error(c, field, "a check reads either `signal` or `promql`, not both");
    } else if (sig == nullptr && promql == nullptr) {
      error(c, field, "a check needs `signal` (one of " + list_names(signals) + ") or `promql`");
    }
    if (sig != nullptr) {
      if (auto name = str(sig->value, field + ".signal")) {
        auto s = parse_signal_name(*name);
        if (!s) {
          error(sig->value, field + ".signal",
                "unknown signal " + config::quoted(*name) + did_you_mean(*name, signals) +
                    " (signals: " + list_names(signals) + ")");
        }
        check.signal = s;
      }
    }
    if (promql != nullptr) {
      if (auto q = str(promql->value, field + ".promql")) {
        if (q->empty()) error(promql->value, field + ".promql", "the query is empty");
        check.promql = *q;
      }
    }
    if (const Entry* e = f.find("max")) check.max = number(e->value, field + ".max");
    if (const Entry* e = f.find("min")) check.min = number(e->value, field + ".min");
    // Every built-in signal but a trend is a count, a rate or a ratio: never below 0, so a
    // negative bound is a check that can never pass (max) or always passes (min).
    if (check.signal && *check.signal != SignalName::kQueueLagTrend) {
      for (const char* key : {"max", "min"}) {
        const std::optional<double>& b = key[1] == 'a' ? check.max : check.min;
        if (b && std::signbit(*b)) {
          error(f.find(key)->value, field + "." + key,
                "must be at least 0 (" + std::string(to_string(*check.signal)) +
                    " is never negative), got " + f.find(key)->value.Scalar());
        }
      }
    }
    if (const Entry* e = f.find("back_to_baseline")) {
      check.back_to_baseline = boolean(e->value, field + ".back_to_baseline").value_or(false);
      if (check.back_to_baseline && promql != nullptr) {
        error(e->key_node, field + ".back_to_baseline",
              "back_to_baseline needs a built-in signal with a baseline (error_rate, "
              "latency_p99_ms, request_rate); a promql check takes max or min");
      } else if (check.back_to_baseline && check.signal &&
                 *check.signal != SignalName::kErrorRate &&
                 *check.signal != SignalName::kLatencyP99 &&
                 *check.signal != SignalName::kRequestRate) {
        error(e->key_node, field + ".back_to_baseline",
              "`" + std::string(to_string(*check.signal)) +
                  "` has no baseline; back_to_baseline works for error_rate, latency_p99_ms "
                  "and request_rate");
      }
    }
    if (const Entry* e = f.find("description")) {
      if (auto d = str(e->value, field + ".description")) check.description = *d;
    }
    if (diags_.size() == before) {
      if (!check.max && !check.min && !check.back_to_baseline) {
        error(c, field, "a check needs a bound: `max`, `min` or `back_to_baseline: true`");
      } else if (check.max && check.min && *check.min > *check.max) {
        error(c, field, "min is above max, so the check can never pass");
      }
    }
    if (diags_.size() == before) {
      if (check.description.empty()) {
        std::ostringstream d;
        d << (check.signal ? std::string(to_string(*check.signal)) : check.promql);
        if (check.max) d << " <= " << *check.max;
        if (check.min) d << (check.max ? " and " : " ") << ">= " << *check.min;
        if (check.back_to_baseline) d << " back to baseline";
        check.description = d.str();
      }
      out.push_back(std::move(check));
    }
  }
}

Policy Loader::policy(const YAML::Node& n, const std::string& path) {
  Policy p;
  p.source_line = config::line_of(n);
  Fields f =
      fields(n, path,
             {"incident_type", "detection_signal", "action", "actions", "auto_execute",
              "confidence_threshold", "max_attempts", "cooldown_after_action", "cooldown",
              "verification_window", "rollback_if_failed", "escalation_channel", "risk", "scope",
              "dependency_precheck", "recurrence", "planned_events", "verification"});

  if (const Entry* e = f.find("incident_type")) {
    if (auto t = str(e->value, path + ".incident_type")) {
      if (t->empty()) {
        error(e->value, path + ".incident_type", "is empty");
      } else {
        const std::string_view canonical = canonical_incident_type(*t);
        p.incident_type = std::string(canonical);
        type_sites_.emplace_back(path, e->value);
        if (canonical != *t) {
          note(e->value, path + ".incident_type",
               "incident type `" + *t + "` is read as `" + p.incident_type + "`");
        } else if (const KnownIncidentType* k = find_known_type(*t); k == nullptr || !k->builtin) {
          // Documented external-only types (poisoned-cache) get the note too: a user should
          // know the built-in classifier never sends them; unknown ones get a did-you-mean.
          note(e->value, path + ".incident_type",
               "`" + *t +
                   "` is not a type the built-in classifier produces; only an external "
                   "classification naming it will match this policy" +
                   (k == nullptr ? type_suggestion(*t) : std::string{}));
        }
      }
    }
  } else {
    error(n, path + ".incident_type",
          "missing `incident_type` (e.g. memory-leak, cpu-spike, bad-deployment)");
  }

  if (const Entry* e = f.find("detection_signal")) {
    if (auto s = str(e->value, path + ".detection_signal")) p.detection_signal = *s;
  }

  const Entry* one = f.find("action");
  const Entry* ladder = f.find("actions");
  bool actions_ok = true;
  if (one != nullptr && ladder != nullptr) {
    error(ladder->key_node, path + ".actions",
          "give either `action` (one) or `actions` (an escalating ladder), not both");
    actions_ok = false;
  } else if (one != nullptr) {
    if (one->value.IsSequence()) {
      error(one->value, path + ".action",
            "`action` takes one action; write `actions:` for an escalating ladder");
      actions_ok = false;
    } else if (auto a = action(one->value, path + ".action")) {
      p.actions.push_back(*a);
    } else {
      actions_ok = false;
    }
  } else if (ladder != nullptr) {
    const std::string field = path + ".actions";
    if (!ladder->value.IsSequence() || ladder->value.size() == 0) {
      error(ladder->value, field,
            "expected a non-empty list of actions such as [restart, rollback, page], got " +
                kind_of(ladder->value));
      actions_ok = false;
    } else {
      for (std::size_t i = 0; i < ladder->value.size(); ++i) {
        const std::string fi = field + "[" + std::to_string(i) + "]";
        if (auto a = action(ladder->value[i], fi)) {
          if (a->kind == ActionKind::kPage && i + 1 < ladder->value.size()) {
            error(ladder->value[i], fi,
                  "`page` must be the last step: the steps after it would never run");
          }
          p.actions.push_back(*a);
        } else {
          actions_ok = false;
        }
      }
    }
  }
  if (p.actions.empty() && actions_ok && !p.incident_type.empty()) {
    if (auto d = default_action_for(p.incident_type)) {
      p.actions.push_back(*d);
      p.action_defaulted = true;
      note(n, path,
           "no action named; default for " + p.incident_type + " applied: " + describe_action(*d));
    } else if (p.incident_type == incident_types::kBadFeatureFlag) {
      error(n, path + ".action",
            "bad-feature-flag has no default action: name the flag, e.g. action: {kind: "
            "feature-flag-disable, flag: new-checkout}");
    } else {
      error(n, path + ".action",
            "no action named and `" + p.incident_type +
                "` has no default action; add e.g. `action: restart`");
    }
  }

  if (const Entry* e = f.find("auto_execute")) {
    if (auto b = boolean(e->value, path + ".auto_execute")) p.auto_execute = *b;
  }
  if (const Entry* e = f.find("confidence_threshold")) {
    if (auto v = share(e->value, path + ".confidence_threshold")) p.confidence_threshold = *v;
  }
  if (const Entry* e = f.find("max_attempts")) {
    if (auto v = integer(e->value, path + ".max_attempts", 1, kMaxCount)) {
      p.max_attempts = static_cast<int>(*v);
    }
  }
  const Entry* cooldown = f.find("cooldown_after_action");
  if (const Entry* alias = f.find("cooldown")) {
    if (cooldown != nullptr) {
      error(alias->key_node, path + ".cooldown",
            "`cooldown` is another name for `cooldown_after_action`; give only one");
    } else {
      cooldown = alias;
    }
  }
  if (cooldown != nullptr) {
    if (auto d = duration(cooldown->value, path + "." + cooldown->key, config::DurationMin::kZero))
      p.cooldown = *d;
  }
  if (const Entry* e = f.find("verification_window")) {
    if (auto d =
            duration(e->value, path + ".verification_window", config::DurationMin::kPositive)) {
      p.verification_window = *d;
    }
  }
  if (const Entry* e = f.find("rollback_if_failed")) {
    if (auto b = boolean(e->value, path + ".rollback_if_failed")) p.rollback_if_failed = *b;
  }
  if (p.rollback_if_failed && !p.actions.empty()) {
    std::vector<std::string_view> final_steps;
    for (const auto& a : p.actions) {
      if (a.kind == ActionKind::kRestart || a.kind == ActionKind::kCachePurge) {
        if (std::find(final_steps.begin(), final_steps.end(), to_string(a.kind)) ==
            final_steps.end()) {
          final_steps.push_back(to_string(a.kind));
        }
      }
    }
    if (!final_steps.empty()) {
      note(f.find("rollback_if_failed")->value, path + ".rollback_if_failed",
           list_names(final_steps) +
               " cannot be undone; when its verification fails the engine escalates instead");
    }
  }
  if (const Entry* e = f.find("escalation_channel")) {
    if (auto s = str(e->value, path + ".escalation_channel")) {
      if (s->empty()) {
        error(e->value, path + ".escalation_channel", "is empty");
      } else {
        p.escalation_channel = *s;
        p.escalation_channel_line = config::line_of(e->value);
      }
    }
  }
  if (const Entry* e = f.find("risk")) {
    if (auto s = str(e->value, path + ".risk")) {
      static const std::vector<std::string_view> kRisks{"low", "medium", "high"};
      if (*s == "low") {
        p.risk = RiskClass::kLow;
      } else if (*s == "medium") {
        p.risk = RiskClass::kMedium;
      } else if (*s == "high") {
        p.risk = RiskClass::kHigh;
      } else {
        error(e->value, path + ".risk",
              "unknown risk class " + config::quoted(*s) + did_you_mean(*s, kRisks) +
                  " (low, medium, high)");
      }
    }
  }
  if (const Entry* e = f.find("scope")) scope(e->value, path + ".scope", p.scope);
  if (const Entry* e = f.find("dependency_precheck")) {
    dependency_precheck(e->value, path + ".dependency_precheck", p.dependency_precheck);
  }
  if (const Entry* e = f.find("recurrence")) {
    recurrence(e->value, path + ".recurrence", p.recurrence);
  }
  if (const Entry* e = f.find("planned_events")) {
    planned_events(e->value, path + ".planned_events", p.planned_events);
  }
  if (const Entry* e = f.find("verification")) {
    verification(e->value, path + ".verification", p.verification);
  }
  return p;
}

void Loader::engine_settings(const YAML::Node& n, const std::string& path, EngineSettings& out) {
  if (!n.IsMap()) {
    error(n, path, "expected a map such as {mode: auto, kill_switch: false}, got " + kind_of(n));
    return;
  }
  Fields f =
      fields(n, path,
             {"mode", "kill_switch", "allowed_namespaces", "freeze_when", "limits", "flap_window"});
  if (const Entry* e = f.find("freeze_when")) freeze(e->value, path + ".freeze_when", out.freeze);
  if (const Entry* e = f.find("flap_window")) {
    if (auto d = duration(e->value, path + ".flap_window", config::DurationMin::kZero))
      out.flap_window = *d;
  }
  if (const Entry* e = f.find("mode")) {
    if (auto s = str(e->value, path + ".mode")) {
      if (auto m = parse_mode(*s)) {
        out.mode = *m;
      } else {
        error(e->value, path + ".mode",
              "unknown mode " + config::quoted(*s) +
                  did_you_mean(*s, {"shadow", "recommend", "auto"}) + " (shadow, recommend, auto)");
      }
    }
  }
  if (const Entry* e = f.find("kill_switch")) {
    if (auto b = boolean(e->value, path + ".kill_switch")) out.kill_switch = *b;
  }
  if (const Entry* e = f.find("allowed_namespaces")) {
    out.allowed_namespaces = name_list(e->value, path + ".allowed_namespaces", "namespace");
  }
  if (const Entry* e = f.find("limits")) {
    const std::string lp = path + ".limits";
    if (!e->value.IsMap()) {
      error(e->value, lp,
            "expected a map such as {max_concurrent_actions: 3, max_actions_per_window: 10}, "
            "got " +
                kind_of(e->value));
      return;
    }
    Fields l =
        fields(e->value, lp,
               {"max_concurrent_actions", "max_actions_per_window", "rate_window", "blast_radius"});
    if (const Entry* x = l.find("max_concurrent_actions")) {
      if (auto v = integer(x->value, lp + ".max_concurrent_actions", 0, kMaxCount)) {
        out.limits.max_concurrent_actions = static_cast<int>(*v);
      }
    }
    if (const Entry* x = l.find("max_actions_per_window")) {
      if (auto v = integer(x->value, lp + ".max_actions_per_window", 0, kMaxCount)) {
        out.limits.max_actions_per_window = static_cast<int>(*v);
      }
    }
    if (const Entry* x = l.find("rate_window")) {
      if (auto d = duration(x->value, lp + ".rate_window", config::DurationMin::kPositive))
        out.limits.rate_window = *d;
    }
    if (const Entry* x = l.find("blast_radius")) {
      if (auto v = share(x->value, lp + ".blast_radius")) {
        if (*v == 0.0) {
          error(x->value, lp + ".blast_radius",
                "must be above 0 (0 would forbid every action; use kill_switch or mode: "
                "shadow for that)");
        } else {
          out.limits.blast_radius = *v;
        }
      }
    }
  }
}

// Watched services: one or a list of `name` or `ns/name`, each part a DNS-1123 label.
std::vector<std::string> Loader::service_refs(const YAML::Node& n, const std::string& field) {
  std::vector<std::string> out;
  const bool one = n.IsScalar();
  if (!one && !n.IsSequence()) {
    error(n, field,
          config::wrong_type("a service such as orders-db or a list of them", kind_of(n)));
    return out;
  }
  const std::size_t count = one ? 1 : n.size();
  for (std::size_t i = 0; i < count; ++i) {
    const YAML::Node item = one ? n : n[i];
    const std::string f = one ? field : field + "[" + std::to_string(i) + "]";
    auto s = str(item, f);
    if (!s) continue;
    const auto slash = s->find('/');
    const bool ok = slash == std::string::npos ? config::is_dns1123_label(*s)
                                               : config::is_dns1123_label(s->substr(0, slash)) &&
                                                     config::is_dns1123_label(s->substr(slash + 1));
    if (!ok) {
      error(item, f,
            config::quoted(*s) +
                " is not a service name or namespace/name (lowercase letters, digits and '-', "
                "each part at most 63, starting and ending with a letter or digit)");
      continue;
    }
    out.push_back(*s);
  }
  return out;
}

// `freeze_when: {unhealthy: orders-db | [orders-db, payments/ledger-db], scope: all |
// {namespaces: [...], services: [...]}}`; scope defaults to all.
void Loader::freeze(const YAML::Node& n, const std::string& path, Freeze& out) {
  if (!n.IsMap()) {
    error(n, path,
          config::wrong_type("a map such as {unhealthy: [orders-db], scope: all}", kind_of(n)));
    return;
  }
  Fields f = fields(n, path, {"unhealthy", "scope"});
  if (const Entry* e = f.find("unhealthy")) {
    out.unhealthy = service_refs(e->value, path + ".unhealthy");
    if (out.unhealthy.empty() && e->value.IsSequence()) {
      error(e->value, path + ".unhealthy", "names no service (leave freeze_when out instead)");
    }
  } else {
    error(n, path + ".unhealthy", "is required: the services whose trouble freezes automation");
  }
  const Entry* e = f.find("scope");
  if (e == nullptr) return;
  const std::string sp = path + ".scope";
  if (e->value.IsScalar() && !config::is_quoted(e->value) && e->value.Scalar() == "all") return;
  if (!e->value.IsMap()) {
    error(
        e->value, sp,
        config::wrong_type("all or a map {namespaces: [...], services: [...]}", kind_of(e->value)));
    return;
  }
  Fields sf = fields(e->value, sp, {"namespaces", "services"});
  if (const Entry* x = sf.find("namespaces")) {
    out.namespaces = name_list(x->value, sp + ".namespaces", "namespace");
  }
  if (const Entry* x = sf.find("services")) {
    out.services = name_list(x->value, sp + ".services", "service");
  }
  if (out.namespaces.empty() && out.services.empty()) {
    error(e->value, sp, "names no namespace or service (write `scope: all` to freeze everything)");
  }
}

PolicyLoad Loader::load(const std::string& yaml) {
  PolicyLoad result;
  PolicySet set;
  set.source_file = file();
  try {
    const YAML::Node root = YAML::Load(yaml);
    if (root.IsNull()) {
      diags_.add(
          Error{"the file is empty; expected `remediation_policy:` (one policy) or "
                "`remediation_policies:` (a list)",
                file(), 1, 1, ""});
    } else if (!root.IsMap()) {
      error(root, "",
            "expected a map with `remediation_policy:` or `remediation_policies:` at the top, "
            "got " +
                kind_of(root));
    } else {
      Fields top = fields(root, "", {"remediation_policy", "remediation_policies", "engine"});
      const Entry* single = top.find("remediation_policy");
      const Entry* list = top.find("remediation_policies");
      if (single == nullptr && list == nullptr) {
        error(root, "",
              "no policies: expected `remediation_policy:` (one policy) or "
              "`remediation_policies:` (a list)");
      }
      if (single != nullptr) {
        if (single->value.IsMap()) {
          set.policies.push_back(policy(single->value, "remediation_policy"));
        } else {
          error(
              single->value, "remediation_policy",
              "expected one policy (a map with incident_type, ...), got " + kind_of(single->value) +
                  (single->value.IsSequence() ? "; for a list write `remediation_policies:`" : ""));
        }
      }
      if (list != nullptr) {
        const YAML::Node seq = list->value;
        if (!seq.IsSequence() || seq.size() == 0) {
          error(seq, "remediation_policies",
                "expected a non-empty list of policies, got " + kind_of(seq));
        } else {
          for (std::size_t i = 0; i < seq.size(); ++i) {
            const std::string path = "remediation_policies[" + std::to_string(i) + "]";
            if (!seq[i].IsMap()) {
              error(seq[i], path,
                    "expected a policy (a map with incident_type, ...), got " + kind_of(seq[i]));
              continue;
            }
            set.policies.push_back(policy(seq[i], path));
          }
        }
      }
      if (const Entry* e = top.find("engine")) engine_settings(e->value, "engine", set.settings);

      // One policy per incident type: the engine looks policies up by type.
      std::map<std::string, std::size_t> seen;  // canonical type -> index in type_sites_
      for (std::size_t i = 0; i < type_sites_.size(); ++i) {
        const auto& [path, node] = type_sites_[i];
        const std::string type(canonical_incident_type(node.Scalar()));
        auto [it, inserted] = seen.emplace(type, i);
        if (!inserted) {
          const auto& [first_path, first_node] = type_sites_[it->second];
          error(node, path + ".incident_type",
                "duplicate incident type `" + type + "`: " + first_path + " at line " +
                    std::to_string(config::line_of(first_node)) +
                    " already covers it; one policy per incident type (use `actions:` for an "
                    "escalating ladder)");
        }
      }
    }
  } catch (const YAML::ParserException& e) {
    std::string hint;
    if (!e.mark.is_null()) {
      // yaml-cpp's message for a tab in the indentation ("illegal map value") hides the cause.
      std::istringstream lines(yaml);
      std::string text;
      for (int i = 0; i <= e.mark.line && std::getline(lines, text); ++i) {
      }
      const auto indent_end = text.find_first_not_of(" \t");
      if (text.substr(0, indent_end).find('\t') != std::string::npos) {
        hint = " (this line is indented with a tab; YAML indentation must use spaces)";
      }
    }
    diags_.add(Error{"YAML syntax error: " + e.msg + hint, file(), mark_line(e.mark),
                     mark_column(e.mark), ""});
  } catch (const YAML::Exception& e) {
    diags_.add(
        Error{"cannot read YAML: " + e.msg, file(), mark_line(e.mark), mark_column(e.mark), ""});
  }
  // Report in file order, however the sections were walked.
  std::vector<Error> errors = diags_.errors();
  std::stable_sort(errors.begin(), errors.end(), [](const Error& a, const Error& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  for (auto& e : errors)
    result.diagnostics.add(std::move(e));
  result.notes = notes_;
  if (diags_.empty()) result.policies = std::move(set);
  return result;
}

}  // namespace

PolicyLoad load_policy_string(const std::string& yaml, const std::string& source_name) {
  return Loader(source_name).load(yaml);
}

PolicyLoad load_policy_file(const std::string& path) {
  auto text = config::read_file(path);
  if (!text) {
    PolicyLoad r;
    r.diagnostics.add(text.error());
    return r;
  }
  return load_policy_string(*text, path);
}

}  // namespace selfheal::engine
