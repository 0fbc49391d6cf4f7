#include "scenario/scenario.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "config/file_io.hpp"
#include "core/timestamp.hpp"
#include "scenario/scenario_loader.hpp"
#include "scenario/serve_signals.hpp"

namespace selfheal::scenario {
namespace detail {
namespace {

// "2026-01-05T09:00:00Z" or "2026-01-05T09:00Z" (UTC only), read by the strict
// core::parse_rfc3339 (the sscanf it replaces took "T-1:-1:-1Z" and "-999-01-01").
std::optional<core::TimePoint> parse_start(const std::string& s) {
  if (s.empty() || (s.back() != 'Z' && s.back() != 'z')) return std::nullopt;
  auto t = core::parse_rfc3339(s, {.optional_seconds = true});
  if (!t) return std::nullopt;
  return *t;
}

}  // namespace

std::optional<Scenario> Loader::load(const std::string& text) {
  YAML::Node root;
  try {
    root = config::load_yaml(text);
  } catch (const YAML::Exception& e) {
    r_.error_at(e.mark.line + 1, "", "not valid YAML: " + e.msg);
    return std::nullopt;
  }
  if (!root.IsMap()) {
    r_.error_at(1, "",
                "a scenario is a mapping with at least scenario, duration, cluster, "
                "policies");
    return std::nullopt;
  }
  s_.file = r_.file();
  if (policy_file(root)) return std::nullopt;
  r_.check_keys(root, "", kTopKeys);
  if (auto nm = r_.str(root["scenario"], "scenario"))
    s_.name = *nm;
  else
    r_.error_at(1, "scenario", "missing: name the scenario, e.g. scenario: db-outage");
  s_.description = r_.str(root["description"], "description").value_or("");
  if (auto d = r_.duration(root["duration"], "duration")) {
    if (d->count() <= 0)
      r_.error(root["duration"], "duration", "must be longer than 0s");
    else
      s_.duration = *d;
  } else if (!root["duration"].IsDefined()) {
    r_.error_at(1, "duration", "missing: how long the run lasts, e.g. duration: 2h");
  }
  if (auto seed = r_.integer(root["seed"], "seed")) {
    if (*seed < 0)
      r_.error(root["seed"], "seed", "must be >= 0");
    else
      s_.seed = static_cast<std::uint64_t>(*seed);
  }
  if (auto st = r_.str(root["start"], "start")) {
    if (auto tp = parse_start(*st))
      s_.cluster.start = *tp;
    else
      r_.error(root["start"], "start",
               "invalid start \"" + *st + "\"; write UTC like 2026-01-05T09:00:00Z");
  }
  cluster(root["cluster"]);
  read_metric_names(root["metric_names"], r_, s_.cluster);
  for (const auto& [node, field] : pending_service_refs_)
    if (node.IsScalar()) check_service(node, field, node.Scalar());
  policies(root["policies"], text, root);
  engine_overrides(root["engine"]);
  oncall(root["oncall"]);
  calendar(root["calendar"]);
  faults(root["faults"]);
  alert_rules(root["alert_rules"]);
  s_.signal_queries = read_signals_key(root["signals"], r_, base_dir_);
  variation(root["variation"]);
  for (const auto& f : s_.cluster.faults)
    s_.incident_ids.push_back(f.name);
  for (const auto& p : s_.cluster.planned)
    s_.incident_ids.push_back(p.name);
  check_unique_ids();
  s_.expectations = parse_expectations(root["expect"], r_, service_names_, s_.incident_ids);
  s_.invariants = parse_invariants(root["invariants"], r_, service_names_);

  if (!r_.diagnostics().empty()) {
    fill_missing_lines(root);
    return std::nullopt;
  }
  // The model's own validation (dependency cycles, capacities, ...), reported at our lines.
  const core::Diagnostics model = sim::validate(s_.cluster);  // kept alive for the loop
  for (const auto& e : model.errors()) {
    const Origin o = origin_of(e.field);
    r_.error_at(o.line, o.field, e.message);
  }
  fill_missing_lines(root);
  if (!r_.diagnostics().empty()) return std::nullopt;
  return std::move(s_);
}

// A policy file next to the scenarios (check DIR reads every *.yaml): say what it is
// instead of a list of unknown keys. The seed's single-policy form counts too.
bool Loader::policy_file(const YAML::Node& root) {
  for (const char* key : {"remediation_policies", "remediation_policy"}) {
    if (!root[key].IsDefined() || root["scenario"].IsDefined()) continue;
    policy_document_ = true;
    // The key's own line (a value's mark can sit on the next line).
    int line = 1;
    for (const auto& kv : root)
      if (kv.first.Scalar() == key) line = kv.first.Mark().line + 1;
    r_.error_at(line, key, "this is a policy file; scenarios reference it with `policies:`");
    return true;
  }
  return false;
}

// Faults and calendar events share one namespace of incident ids; a repeat is reported at
// the line of the second one.
void Loader::check_unique_ids() {
  std::vector<int> lines = fault_lines_;
  lines.insert(lines.end(), planned_lines_.begin(), planned_lines_.end());
  std::set<std::string> seen;
  for (std::size_t i = 0; i < s_.incident_ids.size(); ++i)
    if (!seen.insert(s_.incident_ids[i]).second)
      r_.error_at(lines[i], i < fault_lines_.size() ? "faults" : "calendar",
                  "two faults or calendar events are named \"" + s_.incident_ids[i] +
                      "\": give each a unique name");
}

// Every message names a line. An error reported on an absent node (a missing key) or by a
// check that has no node of its own gets the line of the closest enclosing field the loader
// saw, else of its top-level key, else line 1 (the document).
void Loader::fill_missing_lines(const YAML::Node& root) {
  std::map<std::string, int> lines;
  for (const auto& kv : root)
    lines.emplace(kv.first.Scalar(), kv.first.Mark().line + 1);
  for (const auto& [spec_path, o] : origins_)
    if (o.line > 0) lines[o.field] = o.line;
  core::Diagnostics filled;
  for (auto e : r_.diagnostics().errors()) {
    if (e.file != r_.file()) {  // a policy file's own diagnostics carry their own lines
      filled.add(std::move(e));
      continue;
    }
    std::string path = e.field;
    while (e.line <= 0 && !path.empty()) {
      if (auto it = lines.find(path); it != lines.end()) e.line = it->second;
      const auto cut = path.find_last_of(".[");
      path.resize(cut == std::string::npos ? 0 : cut);
    }
    if (e.line <= 0) e.line = 1;
    filled.add(std::move(e));
  }
  r_.diagnostics() = std::move(filled);
}

}  // namespace detail

namespace fs = std::filesystem;
using detail::Loader;

ScenarioLoad load_scenario_string(const std::string& yaml, const std::string& source_name,
                                  const std::string& base_dir) {
  ScenarioLoad out;
  Loader l{source_name, base_dir, out.diagnostics};
  auto s = l.load(yaml);
  out.policy_document = l.policy_document();
  if (out.diagnostics.empty()) out.scenario = std::move(s);
  return out;
}

ScenarioLoad load_scenario_file(const std::string& path) {
  auto text = config::read_file(path);
  if (!text) {
    ScenarioLoad out;
    out.diagnostics.add(text.error());
    return out;
  }
  const fs::path p(path);
  return load_scenario_string(*text, path, p.has_parent_path() ? p.parent_path().string() : ".");
}

std::vector<std::string> scenario_files(const std::string& path, core::Diagnostics& diags) {
  std::vector<std::string> out;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      if (!e.is_regular_file()) continue;
      const auto ext = e.path().extension().string();
      if (ext == ".yaml" || ext == ".yml") out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    if (out.empty()) diags.add(core::Error{"no *.yaml scenario in this directory", path});
    return out;
  }
  if (fs::is_regular_file(path, ec)) {
    out.push_back(path);
    return out;
  }
  diags.add(core::Error{"no such scenario file or directory", path});
  return out;
}

}  // namespace selfheal::scenario
