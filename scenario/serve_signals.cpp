#include "scenario/serve_signals.hpp"

#include <filesystem>

#include "config/file_io.hpp"
#include "config/yaml_reader.hpp"
#include "engine/promql_template.hpp"

namespace selfheal::scenario {
namespace {

// The policy loader's and the rule file reader's words for PromQL outside the subset.
std::optional<std::string> unsupported(const std::string& tmpl) {
  if (auto e = engine::promql_template_error(tmpl))
    return "not PromQL the simulator evaluates: " + *e;
  return std::nullopt;
}

// The serve config's `prometheus.queries` over live's defaults; errors in `sr` (the serve
// config's reader). A default the simulator cannot evaluate is reported at the closest node
// the file has (`prometheus.queries`, `prometheus`, or line 1).
engine::SignalQueries serve_queries(const YAML::Node& root, YamlReader& sr) {
  const YAML::Node prom = root["prometheus"];
  // Copied, never assigned: assigning to a YAML::Node writes through to the node it refers
  // to (and throws when the right side is an absent key).
  const YAML::Node queries = prom.IsMap() ? prom["queries"] : YAML::Node();
  const auto overrides =
      engine::read_signal_queries(queries, sr, "prometheus.queries", unsupported);
  const int line = queries.IsDefined() ? line_of(queries) : prom.IsDefined() ? line_of(prom) : 1;
  for (const auto& [name, tmpl] : engine::default_signal_queries()) {
    if (overrides.count(name) != 0 || tmpl.empty()) continue;
    if (auto message = unsupported(tmpl))
      sr.error_at(line, "prometheus.queries." + name,
                  "live's default template is " + *message +
                      "; give the signal a query here (\"\" leaves it unmeasured)");
  }
  return engine::merged_signal_queries(overrides);
}

}  // namespace

std::optional<engine::SignalQueries> read_signals_key(const YAML::Node& n, YamlReader& reader,
                                                      const std::string& base_dir) {
  if (!n.IsDefined() || n.IsNull() || !reader.expect_map(n, "signals")) return std::nullopt;
  reader.check_keys(n, "signals", {"serve_config"});
  const YAML::Node file = n["serve_config"];
  if (!file.IsDefined()) {
    reader.error(n, "signals.serve_config",
                 "missing: the `selfheal serve` config whose prometheus.queries define the "
                 "signals");
    return std::nullopt;
  }
  const auto path = reader.str(file, "signals.serve_config");
  if (!path) return std::nullopt;
  std::filesystem::path p = *path;
  if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
  const std::string name = p.lexically_normal().string();
  auto text = config::read_file(name);
  if (!text) {
    reader.error(
        file, "signals.serve_config",
        "serve config \"" + *path + "\": " + text.error().message + " (looked for " + name + ")");
    return std::nullopt;
  }
  YamlReader sr{name, reader.diagnostics()};
  const std::size_t before = reader.diagnostics().size();
  YAML::Node root;
  try {
    root = config::load_yaml(*text);
  } catch (const YAML::Exception& e) {
    sr.error_at(e.mark.line + 1, "", "not valid YAML: " + e.msg);
    return std::nullopt;
  }
  if (!root.IsMap()) {
    sr.error_at(1, "", "a serve config is a mapping (docs/live.md#configuration)");
    return std::nullopt;
  }
  auto queries = serve_queries(root, sr);
  if (reader.diagnostics().size() != before) return std::nullopt;
  return queries;
}

}  // namespace selfheal::scenario
