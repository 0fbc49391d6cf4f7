#include "scenario/scenario_loader.hpp"

#include <map>
#include <string>

#include "engine/policy.hpp"
#include "scenario/prom_rules.hpp"

namespace selfheal::scenario::detail {

void Loader::alert_rules(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return;
  // Either a list of rules, or {defaults: false, rules: [...]}. `list` is bound once:
  // assigning a YAML::Node writes through to the node it refers to (it would overwrite
  // `n`, and throw YAML::InvalidNode when `rules` is absent).
  if (n.IsMap()) {
    r_.check_keys(n, "alert_rules", {"defaults", "rules", "prometheus_rules"});
    if (n["prometheus_rules"].IsDefined()) {
      s_.prometheus_rules = read_prometheus_rules_key(n, r_, base_dir_, s_.cluster);
      return;
    }
    if (auto d = r_.boolean(n["defaults"], "alert_rules.defaults")) s_.cluster.default_rules = *d;
  }
  const YAML::Node list = n.IsMap() ? n["rules"] : n;
  if (!list.IsDefined() || list.IsNull()) return;
  if (!r_.expect_seq(list, "alert_rules")) return;
  const auto defaults = sim::default_alert_rules();
  // A rule's name is its identity (it overrides the default of that name): a second rule of
  // the same name would silently replace the first.
  std::map<std::string, int> first_line;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string f = YamlReader::index("alert_rules", i);
    const YAML::Node name = list[i].IsMap() ? list[i]["name"] : YAML::Node();
    if (name.IsDefined() && name.IsScalar() && !name.Scalar().empty()) {
      const auto [it, fresh] = first_line.emplace(name.Scalar(), line_of(name));
      if (!fresh) {
        r_.error(name, f + ".name",
                 "two alert rules are named \"" + name.Scalar() + "\" (the first at line " +
                     std::to_string(it->second) + ")");
        continue;
      }
    }
    alert_rule(list[i], f, defaults);
  }
}

void Loader::alert_rule(const YAML::Node& x, const std::string& f,
                        const std::vector<sim::AlertRuleSpec>& defaults) {
  note(f, x, f);
  if (!r_.expect_map(x, f)) return;
  r_.check_keys(x, f,
                {"name", "signal", "op", "threshold", "for", "keep_firing_for", "window", "labels",
                 "kinds", "enabled"});
  sim::AlertRuleSpec a;
  auto name = r_.str(x["name"], f + ".name");
  if (!name) {
    r_.error(x, f + ".name", "missing: the alertname, e.g. HighErrorRate");
    return;
  }
  bool overriding = false;
  for (const auto& d : defaults)
    if (d.name == *name) {
      a = d;  // an override starts from the default rule of the same name
      overriding = true;
    }
  a.name = *name;
  if (auto sig = r_.str(x["signal"], f + ".signal")) {
    if (auto sn = engine::parse_signal_name(*sig))
      a.signal = *sn;
    else
      r_.error(x["signal"], f + ".signal",
               "unknown signal \"" + *sig +
                   "\"; one of error_rate, latency_p99_ms, cpu_utilization, "
                   "memory_utilization, oom_kills, restarts, ready_ratio, queue_lag, "
                   "queue_lag_trend, request_rate, dependency_errors");
  } else if (!overriding) {
    r_.error(x, f + ".signal", "missing: the signal the rule watches");
  }
  if (auto op = r_.str(x["op"], f + ".op")) {
    if (auto o = sim::parse_compare_op(*op))
      a.op = *o;
    else
      r_.error(x["op"], f + ".op", "unknown comparison \"" + *op + "\"; one of > >= < <=");
  }
  if (auto t = r_.number(x["threshold"], f + ".threshold"))
    a.threshold = *t;
  else if (!overriding && !x["threshold"].IsDefined())
    r_.error(x, f + ".threshold", "missing: the value the signal is compared with");
  dur(x["for"], f + ".for", a.for_);
  dur(x["keep_firing_for"], f + ".keep_firing_for", a.keep_firing_for);
  dur(x["window"], f + ".window", a.window);
  if (const YAML::Node l = x["labels"]; l.IsDefined() && r_.expect_map(l, f + ".labels")) {
    for (const config::Entry& e : r_.named_entries(l, f + ".labels", "label")) {
      if (auto v = r_.str(e.value, f + ".labels." + e.key)) a.labels[e.key] = *v;
    }
  }
  if (auto ks = r_.str_list(x["kinds"], f + ".kinds")) {
    a.kinds.clear();
    for (const auto& k : *ks) {
      if (auto sk = sim::parse_service_kind(k))
        a.kinds.push_back(*sk);
      else
        r_.error(x["kinds"], f + ".kinds",
                 "unknown service kind \"" + k + "\"; one of api, worker, database, cache");
    }
  }
  set(x["enabled"], f + ".enabled", a.enabled,
      [&](const YAML::Node& p, const std::string& q) { return r_.boolean(p, q); });
  s_.cluster.alert_rules.push_back(std::move(a));
}

}  // namespace selfheal::scenario::detail
