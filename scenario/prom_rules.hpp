// Prometheus rule files in scenarios: `alert_rules: {prometheus_rules: rules.yaml}` loads a
// rule file as Prometheus reads it (groups, interval, alert, expr, for, keep_firing_for,
// labels, annotations with {{ $labels.x }} / {{ $value }} templating) and the simulator's
// alerts come from it, closed loop (docs/prometheus-series.md, "Rule files").
//
//   core::Diagnostics d;
//   auto rules = load_prometheus_rules("scenarios/rules/shop.yaml", 15s, d);  // file:line errors
//   spec.alert_rules = to_alert_rule_specs(rules); spec.default_rules = false;
//   ... sim::World world{spec, seed, options_with_prometheus_series};
//   WorldSeriesSource source{world};
//   PromRuleEvaluator eval{rules, source, spec};
//   world.set_external_rule_evaluator(std::ref(eval));
//
// An alert's result elements are mapped to a service by their `service` label, else
// `deployment`, else a `pod` named `<service>-...`; elements naming no declared service do
// not alert (the engine's incidents are per service), and several elements of one service
// are one alert (the first, in label order).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/yaml_reader.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "promql/promql.hpp"
#include "sim/cluster_spec.hpp"
#include "sim/world.hpp"

namespace selfheal::scenario {

/// Prometheus's default `evaluation_interval` (a group without `interval`).
inline constexpr core::Duration kDefaultRuleInterval = std::chrono::minutes(1);

struct PromAlertRule {
  std::string group;
  std::string alert;
  std::optional<promql::Expr> expr;  ///< set on every rule load_prometheus_rules returns
  core::Duration interval{kDefaultRuleInterval};
  core::Duration for_{0};
  core::Duration keep_firing_for{0};
  std::map<std::string, std::string> labels;       ///< templates, rendered per alert
  std::map<std::string, std::string> annotations;  ///< templates, rendered per alert
  int line = 0;                                    ///< of `alert:` in the file
};

/// Reads the rule file at `path`. Every problem goes to `diags` at its file:line with the
/// field (`groups[0].rules[2].expr`) and the rule's name: YAML errors, unknown keys (with
/// did-you-mean), recording rules (not supported), PromQL outside the evaluator's subset,
/// templates other than {{ $labels.x }}, {{ $value }} and {{ $externalLabels.x }}, an
/// interval that is not a positive multiple of `scrape_interval`.
std::vector<PromAlertRule> load_prometheus_rules(const std::string& path,
                                                 core::Duration scrape_interval,
                                                 core::Diagnostics& diags);

/// Reads a scenario's `alert_rules: {prometheus_rules: FILE}` (relative to `base_dir`) into
/// `spec` (the rules as external rules, no built-in ones) and returns them; errors go to
/// `reader` at the key's line. `n` is the `alert_rules` mapping.
std::vector<PromAlertRule> read_prometheus_rules_key(const YAML::Node& n,
                                                     config::YamlReader& reader,
                                                     const std::string& base_dir,
                                                     sim::ClusterSpec& spec);
/// Reads a scenario's `metric_names:` mapping (exporter name -> published name) into `spec`.
void read_metric_names(const YAML::Node& n, config::YamlReader& reader, sim::ClusterSpec& spec);

/// The rules as the world's external alert rules (AlertRuleSpec::external), in file order.
std::vector<sim::AlertRuleSpec> to_alert_rule_specs(const std::vector<PromAlertRule>& rules);

/// Renders a template: {{ $labels.name }}, {{ $value }} (Go's %v of a float64), anything
/// else copied. Precondition: the template passed load_prometheus_rules.
std::string render_template(const std::string& tmpl, const promql::Labels& labels, double value);

/// Go's fmt %v of a float64 (what {{ $value }} prints): shortest round-trip digits, %e form
/// below 1e-4 or from 1e21.
std::string go_float(double v);

/// The world's external rule evaluator over the rules in `rules`, whose AlertRuleSpecs are
/// the last rules.size() of the world's effective rules (index `first` onwards).
class PromRuleEvaluator {
 public:
  PromRuleEvaluator(std::vector<PromAlertRule> rules, std::size_t first,
                    const promql::SeriesSource& source, const sim::ClusterSpec& spec);
  /// `o`'s rules and caches on `source`, a copy of o's as it is now (WorldRunner::fork):
  /// the caches are copied (EvalCache::rebound), not shared.
  PromRuleEvaluator(const PromRuleEvaluator& o, const promql::SeriesSource& source);
  void operator()(std::size_t rule, core::TimePoint now, std::vector<sim::ExternalAlert>& out);

  /// Per alert, the first result element that named no declared service (where Prometheus
  /// alerts and the simulator cannot): "alert X: ... at TIME", for the run's notes.
  const std::map<std::string, std::string>& unmapped() const { return unmapped_; }

 private:
  std::ptrdiff_t service_of(const promql::Labels& labels) const;

  std::vector<PromAlertRule> rules_;
  std::size_t first_ = 0;
  const promql::SeriesSource& source_;
  /// Per rule, what its evaluations reuse (promql::EvalCache); shared by copies, which
  /// read the same source.
  std::shared_ptr<std::vector<promql::EvalCache>> caches_;
  std::map<std::string, std::size_t> services_;
  std::map<std::string, std::string> unmapped_;
  core::TimePoint start_;
};

}  // namespace selfheal::scenario
