// The guardrail, verification and engine sections of a policy file (the contract is in
// policy_loader.hpp).
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
#include "engine/promql_template.hpp"

namespace selfheal::engine::policy_reading {

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
    if (auto check = verification_check(c, field, signals)) out.push_back(std::move(*check));
  }
}

std::optional<VerificationCheck> Loader::verification_check(
    const YAML::Node& c, const std::string& field, const std::vector<std::string_view>& signals) {
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
      if (q->empty()) {
        error(promql->value, field + ".promql", "the query is empty");
      } else if (auto bad = promql_template_error(*q)) {
        error(promql->value, field + ".promql", "not PromQL the simulator evaluates: " + *bad);
      }
      check.promql = *q;
    }
  }
  check_bounds(f, field, promql != nullptr, check);
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
  if (diags_.size() != before) return std::nullopt;
  if (check.description.empty()) {
    std::ostringstream d;
    d << (check.signal ? std::string(to_string(*check.signal)) : check.promql);
    if (check.max) d << " <= " << *check.max;
    if (check.min) d << (check.max ? " and " : " ") << ">= " << *check.min;
    if (check.back_to_baseline) d << " back to baseline";
    check.description = d.str();
  }
  return check;
}

// `max`, `min` and `back_to_baseline`, and the bounds a signal can never meet.
void Loader::check_bounds(const Fields& f, const std::string& field, bool is_promql,
                          VerificationCheck& check) {
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
    if (check.back_to_baseline && is_promql) {
      error(e->key_node, field + ".back_to_baseline",
            "back_to_baseline needs a built-in signal with a baseline (error_rate, "
            "latency_p99_ms, request_rate); a promql check takes max or min");
    } else if (check.back_to_baseline && check.signal && *check.signal != SignalName::kErrorRate &&
               *check.signal != SignalName::kLatencyP99 &&
               *check.signal != SignalName::kRequestRate) {
      error(e->key_node, field + ".back_to_baseline",
            "`" + std::string(to_string(*check.signal)) +
                "` has no baseline; back_to_baseline works for error_rate, latency_p99_ms "
                "and request_rate");
    }
  }
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

}  // namespace selfheal::engine::policy_reading
