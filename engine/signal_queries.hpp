// The engine's Telemetry signals as PromQL templates: the names a serve config's
// `prometheus.queries` may set, the default template of each, the one reader of such a
// `queries:` mapping, and how the templates' answers make a ServiceSignals. `selfheal serve`
// (live/prometheus.hpp) sends them to Prometheus; a scenario given the serve config
// (`signals: {serve_config: FILE}`, docs/scenario.md) evaluates the same templates over the
// simulated series — one definition of every signal in both places.
//
//   auto t = merged_signal_queries(
//       read_signal_queries(node["queries"], reader, "prometheus.queries"));
//   ServiceSignals s = signals_from_queries(
//       [&](const std::string& name) -> std::optional<double> {  // nullopt = no data
//         return run(expand_promql_template(t.at(name), service, window));
//       });
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/yaml_reader.hpp"
#include "engine/types.hpp"

namespace selfheal::engine {

/// Signal name -> PromQL template ({namespace}, {service}, {window} placeholders).
using SignalQueries = std::map<std::string, std::string>;

/// Every name a template may be given for, in the order signals_from_queries() asks them:
/// the SignalName spellings plus the *_baseline, replica-count, growth, deploy-age and
/// revision names (docs/live.md#signals).
const std::vector<std::string>& signal_query_names();

/// The default template per name. Empty for the signals no common exporter publishes
/// (queue lag, dependency errors, deploy age, revision): those are missing unless given.
const SignalQueries& default_signal_queries();

/// The defaults with `overrides` laid over them (an override of "" leaves the signal
/// unmeasured), as `selfheal serve` uses them.
SignalQueries merged_signal_queries(const SignalQueries& overrides);

/// Reads a `queries:` mapping of signal name -> PromQL template at `field` (e.g.
/// "prometheus.queries"). An unknown name (with did-you-mean), a value that is not a string
/// and a non-mapping are errors in `r`. When `check` is given, each template is passed to it
/// and a message it returns is an error at the template's line ("<field>.<name>: <message>").
/// An absent node reads as no override.
SignalQueries read_signal_queries(
    const YAML::Node& n, config::YamlReader& r, const std::string& field,
    const std::function<std::optional<std::string>(const std::string& tmpl)>& check = {});

/// The ServiceSignals made from each name's answer (`value(name)`; nullopt = the template is
/// empty or returned no data, and the name is listed in `missing`). The deploy age is read
/// from `seconds_since_last_deploy` (negative = unknown), the revision from
/// `current_revision`. Objectives are left at 0: Prometheus does not state them.
ServiceSignals signals_from_queries(
    const std::function<std::optional<double>(const std::string& name)>& value);

}  // namespace selfheal::engine
