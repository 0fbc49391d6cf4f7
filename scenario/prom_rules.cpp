#include "scenario/prom_rules.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "config/file_io.hpp"
#include "config/yaml_reader.hpp"

namespace selfheal::scenario {
namespace {

using config::YamlReader;

// Go's fmt switches %v of a float64 to the %e form from this decimal exponent on.
constexpr int kGoExponentFrom = 21;
constexpr int kGoExponentBelow = -4;

// The {{ ... }} actions a template may hold: `$labels.NAME`, `$value`, `$externalLabels.NAME`
// (the simulator has none: empty). nullopt for anything else.
struct Action {
  enum class Kind { kLabel, kValue, kExternal } kind;
  std::string name;
};
std::optional<Action> parse_action(std::string_view body) {
  while (!body.empty() && body.front() == ' ')
    body.remove_prefix(1);
  while (!body.empty() && body.back() == ' ')
    body.remove_suffix(1);
  if (body == "$value") return Action{Action::Kind::kValue, ""};
  for (const auto& [prefix, kind] :
       {std::pair{std::string_view("$labels."), Action::Kind::kLabel},
        std::pair{std::string_view("$externalLabels."), Action::Kind::kExternal}}) {
    if (body.substr(0, prefix.size()) != prefix) continue;
    const std::string_view name = body.substr(prefix.size());
    if (name.empty()) return std::nullopt;
    for (const char c : name)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return std::nullopt;
    return Action{kind, std::string(name)};
  }
  return std::nullopt;
}

// The first unsupported action of `tmpl`, or "" when every one is supported.
std::string unsupported_action(const std::string& tmpl) {
  for (std::size_t i = tmpl.find("{{"); i != std::string::npos; i = tmpl.find("{{", i + 2)) {
    const std::size_t end = tmpl.find("}}", i + 2);
    if (end == std::string::npos) return tmpl.substr(i);
    if (!parse_action(std::string_view(tmpl).substr(i + 2, end - i - 2)))
      return tmpl.substr(i, end + 2 - i);
  }
  return "";
}

class RuleFileReader {
 public:
  RuleFileReader(const std::string& path, core::Duration scrape, core::Diagnostics& d)
      : r_(path, d), scrape_(scrape) {}

  std::vector<PromAlertRule> read(const std::string& text) {
    YAML::Node root;
    try {
      root = config::load_yaml(text);
    } catch (const YAML::Exception& e) {
      r_.error_at(e.mark.line + 1, "", "not valid YAML: " + e.msg);
      return {};
    }
    if (!r_.expect_map(root, "")) return {};
    r_.check_keys(root, "", {"groups"});
    const YAML::Node groups = root["groups"];
    if (!groups.IsDefined()) r_.error_at(1, "groups", "missing: a rule file is `groups: [...]`");
    if (!groups.IsDefined() || !r_.expect_seq(groups, "groups")) return {};
    std::set<std::string> names;
    for (std::size_t g = 0; g < groups.size(); ++g)
      group(groups[g], YamlReader::index("groups", g), names);
    return std::move(out_);
  }

 private:
  void group(const YAML::Node& n, const std::string& field, std::set<std::string>& names) {
    if (!r_.expect_map(n, field)) return;
    r_.check_keys(n, field, {"name", "interval", "rules"});
    const auto name = r_.str(n["name"], field + ".name");
    if (!name || name->empty()) {
      r_.error(n, field + ".name", "a group needs a name");
    } else if (!names.insert(*name).second) {
      r_.error(n["name"], field + ".name", "two groups are named \"" + *name + "\"");
    }
    core::Duration interval = kDefaultRuleInterval;
    if (auto d = r_.duration(n["interval"], field + ".interval")) interval = *d;
    if (interval <= core::Duration{0} || interval % scrape_ != core::Duration{0}) {
      r_.error(n["interval"].IsDefined() ? n["interval"] : n, field + ".interval",
               "must be a positive multiple of the scrape interval (the simulator evaluates "
               "rules at scrape ticks)");
    }
    const YAML::Node rules = n["rules"];
    if (!rules.IsDefined() || !r_.expect_seq(rules, field + ".rules")) return;
    for (std::size_t i = 0; i < rules.size(); ++i)
      rule(rules[i], YamlReader::index(field + ".rules", i), name.value_or(""), interval);
  }

  void rule(const YAML::Node& n, const std::string& field, const std::string& group,
            core::Duration interval) {
    if (!r_.expect_map(n, field)) return;
    if (n["record"].IsDefined()) {
      r_.error(n["record"], field + ".record",
               "recording rules are not supported by the simulator; inline the expression "
               "into the alerts that use it");
      return;
    }
    r_.check_keys(n, field, {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"});
    PromAlertRule a;
    a.group = group;
    a.interval = interval;
    a.line = config::line_of(n);
    a.alert = r_.str(n["alert"], field + ".alert").value_or("");
    if (a.alert.empty()) r_.error(n, field + ".alert", "an alerting rule needs `alert: NAME`");
    const std::string who = field + " (alert " + a.alert + ")";
    const auto expr = r_.str(n["expr"], field + ".expr");
    if (!expr) {
      r_.error(n, who + ".expr", "missing: the PromQL condition");
    } else if (auto e = promql::parse(*expr)) {
      a.expr.emplace(*e);
    } else {
      r_.error(n["expr"], who + ".expr",
               "not PromQL the simulator evaluates: " + e.error().message);
    }
    if (auto d = r_.duration(n["for"], field + ".for")) a.for_ = *d;
    if (auto d = r_.duration(n["keep_firing_for"], field + ".keep_firing_for"))
      a.keep_firing_for = *d;
    a.labels = templates(n["labels"], who + ".labels");
    a.annotations = templates(n["annotations"], who + ".annotations");
    if (a.expr) out_.push_back(std::move(a));
  }

  std::map<std::string, std::string> templates(const YAML::Node& n, const std::string& field) {
    std::map<std::string, std::string> out;
    if (!n.IsDefined() || n.IsNull() || !r_.expect_map(n, field)) return out;
    // A key given twice is an error, as in Prometheus (mapping key already defined).
    for (const config::Entry& e : r_.named_entries(n, field, "")) {
      const std::string& key = e.key;
      const auto value = r_.str(e.value, field + "." + key);
      if (!value) continue;
      if (const std::string bad = unsupported_action(*value); !bad.empty()) {
        r_.error(e.value, field + "." + key,
                 "unsupported template " + bad +
                     " (the simulator renders {{ $labels.NAME }} and {{ $value }})");
      }
      out[key] = *value;
    }
    return out;
  }

  YamlReader r_;
  core::Duration scrape_;
  std::vector<PromAlertRule> out_;
};

}  // namespace

std::vector<PromAlertRule> load_prometheus_rules(const std::string& path,
                                                 core::Duration scrape_interval,
                                                 core::Diagnostics& diags) {
  auto text = config::read_file(path);
  if (!text) {
    diags.add(text.error());
    return {};
  }
  RuleFileReader reader{path, scrape_interval, diags};
  return reader.read(*text);
}

std::vector<PromAlertRule> read_prometheus_rules_key(const YAML::Node& n,
                                                     config::YamlReader& reader,
                                                     const std::string& base_dir,
                                                     sim::ClusterSpec& spec) {
  const YAML::Node file = n["prometheus_rules"];
  const auto path = reader.str(file, "alert_rules.prometheus_rules");
  if (!path) return {};
  for (const char* other : {"rules", "defaults"}) {
    if (n[other].IsDefined()) {
      reader.error(n[other], std::string("alert_rules.") + other,
                   "a scenario's alerts come either from a Prometheus rule file "
                   "(prometheus_rules) or from selfheal's rules, not both");
    }
  }
  std::filesystem::path p = *path;
  if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
  const std::size_t before = reader.diagnostics().size();
  auto rules = load_prometheus_rules(p.string(), spec.scrape_interval, reader.diagnostics());
  if (reader.diagnostics().size() == before && rules.empty()) {
    reader.error(file, "alert_rules.prometheus_rules",
                 "the rule file " + p.string() + " has no alerting rule");
  }
  spec.default_rules = false;
  spec.alert_rules = to_alert_rule_specs(rules);
  return rules;
}

void read_metric_names(const YAML::Node& n, config::YamlReader& reader, sim::ClusterSpec& spec) {
  if (!n.IsDefined() || n.IsNull() || !reader.expect_map(n, "metric_names")) return;
  std::vector<std::string> known(sim::kDefaultMetricNames.begin(), sim::kDefaultMetricNames.end());
  reader.check_keys(n, "metric_names", known);
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    if (auto v = reader.str(kv.second, "metric_names." + key)) spec.metric_names[key] = *v;
  }
  // Unknown keys were reported by check_keys; what is left are bad names.
  for (const auto& [key, message] : sim::check_metric_names(spec.metric_names)) {
    if (std::find(known.begin(), known.end(), key) != known.end())
      reader.error(n[key], "metric_names." + key, message);
  }
}

std::vector<sim::AlertRuleSpec> to_alert_rule_specs(const std::vector<PromAlertRule>& rules) {
  std::vector<sim::AlertRuleSpec> out;
  for (const auto& r : rules) {
    sim::AlertRuleSpec s;
    s.name = r.alert;
    s.expr = r.expr->text();
    s.interval = r.interval;
    s.for_ = r.for_;
    s.keep_firing_for = r.keep_firing_for;
    s.labels = r.labels;
    out.push_back(std::move(s));
  }
  return out;
}

std::string go_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  // Shortest round-trip digits in %e form: "d.ddde[+-]xx".
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  const std::size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  const int exp = std::atoi(sci.c_str() + e + 1);
  const bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (const char c : mant)
    if (c != '.') digits += c;
  std::string out = neg ? "-" : "";
  if (exp < kGoExponentBelow || exp >= kGoExponentFrom) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return out + eb;
  }
  if (exp < 0) return out + "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
  const auto point = static_cast<std::size_t>(exp) + 1;
  if (digits.size() <= point) return out + digits + std::string(point - digits.size(), '0');
  return out + digits.substr(0, point) + "." + digits.substr(point);
}

std::string render_template(const std::string& tmpl, const promql::Labels& labels, double value) {
  std::string out;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    const std::size_t open = tmpl.find("{{", i);
    const std::size_t close = open == std::string::npos ? open : tmpl.find("}}", open + 2);
    if (close == std::string::npos) {
      out += tmpl.substr(i);
      break;
    }
    out += tmpl.substr(i, open - i);
    const auto a = parse_action(std::string_view(tmpl).substr(open + 2, close - open - 2));
    if (a && a->kind == Action::Kind::kValue) out += go_float(value);
    if (a && a->kind == Action::Kind::kLabel) out += promql::label_value(labels, a->name);
    // Go's text/template prints a missing map key as "<no value>".
    if (a && a->kind == Action::Kind::kExternal) out += "<no value>";
    i = close + 2;
  }
  return out;
}

PromRuleEvaluator::PromRuleEvaluator(std::vector<PromAlertRule> rules, std::size_t first,
                                     const promql::SeriesSource& source,
                                     const sim::ClusterSpec& spec)
    : rules_(std::move(rules)),
      first_(first),
      source_(source),
      caches_(std::make_shared<std::vector<promql::EvalCache>>(rules_.size())),
      start_(spec.start) {
  for (std::size_t i = 0; i < spec.services.size(); ++i)
    services_[spec.services[i].name] = i;
}

PromRuleEvaluator::PromRuleEvaluator(const PromRuleEvaluator& o, const promql::SeriesSource& source)
    : rules_(o.rules_),
      first_(o.first_),
      source_(source),
      caches_(std::make_shared<std::vector<promql::EvalCache>>()),
      services_(o.services_),
      unmapped_(o.unmapped_),
      start_(o.start_) {
  caches_->reserve(o.caches_->size());
  for (const auto& c : *o.caches_)
    caches_->push_back(c.rebound(source));
}

std::ptrdiff_t PromRuleEvaluator::service_of(const promql::Labels& labels) const {
  for (const char* key : {"service", "deployment"}) {
    auto it = services_.find(std::string(promql::label_value(labels, key)));
    if (it != services_.end()) return static_cast<std::ptrdiff_t>(it->second);
  }
  const std::string_view pod = promql::label_value(labels, "pod");
  std::ptrdiff_t best = -1;
  std::size_t best_len = 0;
  for (const auto& [name, i] : services_) {
    if (pod.size() > name.size() && pod.substr(0, name.size()) == name && pod[name.size()] == '-' &&
        name.size() > best_len) {
      best = static_cast<std::ptrdiff_t>(i);
      best_len = name.size();
    }
  }
  return best;
}

void PromRuleEvaluator::operator()(std::size_t rule, core::TimePoint now,
                                   std::vector<sim::ExternalAlert>& out) {
  if (rule < first_ || rule - first_ >= rules_.size()) return;
  const PromAlertRule& r = rules_[rule - first_];
  promql::EvalOptions options;
  options.cache = &(*caches_)[rule - first_];
  auto v = promql::evaluate(*r.expr, source_, now, options);
  if (!v) return;  // an evaluation error: Prometheus logs it and the rule yields nothing
  if (v->kind == promql::Value::Kind::kScalar) {
    // A scalar condition has no labels, so it names no service: never alerts here.
    return;
  }
  for (const auto& s : v->vector) {
    const std::ptrdiff_t svc = service_of(s.labels);
    if (svc < 0) {
      if (!unmapped_.count(r.alert)) {
        const auto mins = std::chrono::duration_cast<std::chrono::minutes>(now - start_).count();
        unmapped_[r.alert] = "alert " + r.alert + ": the result element " +
                             promql::format_labels(s.labels) + " at +" + std::to_string(mins) +
                             "m names no declared service (no service, deployment or pod "
                             "label of one): Prometheus alerts on it, the simulator cannot";
      }
      continue;
    }
    sim::ExternalAlert a;
    a.service = static_cast<std::size_t>(svc);
    a.value = s.value;
    for (const auto& l : s.labels)
      if (l.name != "__name__") a.labels[l.name] = l.value;
    for (const auto& [k, t] : r.labels)
      a.labels[k] = render_template(t, s.labels, s.value);
    a.labels["alertname"] = r.alert;
    for (const auto& [k, t] : r.annotations)
      a.annotations[k] = render_template(t, s.labels, s.value);
    out.push_back(std::move(a));
  }
}

}  // namespace selfheal::scenario
