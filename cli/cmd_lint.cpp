// selfheal lint FILE... — validate policy files the way CI would: every problem at once,
// compiler-style `file:line:col: field: message` lines on stderr, exit 2 if any file is bad.
// A scenario document (top-level `scenario:`) is loaded as a scenario instead, and its
// baseline load table printed: offered load, capacity and headroom per service.
#include <boost/program_options.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include <yaml-cpp/yaml.h>

#include "cli/command.hpp"
#include "config/file_io.hpp"
#include "config/json_reader.hpp"
#include "config/yaml_reader.hpp"
#include "engine/classifier.hpp"
#include "engine/policy_loader.hpp"
#include "scenario/baseline_health.hpp"
#include "scenario/scenario.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {
namespace {

// ", freeze while orders-db unhealthy (scope all)"; empty without freeze_when.
std::string freeze_text(const engine::Freeze& f) {
  if (!f.enabled()) return {};
  std::string watched, scope;
  for (const auto& s : f.unhealthy)
    watched += (watched.empty() ? "" : ", ") + s;
  for (const auto& n : f.namespaces)
    scope += (scope.empty() ? "namespace " : ", namespace ") + n;
  for (const auto& n : f.services)
    scope += (scope.empty() ? "service " : ", service ") + n;
  return ", freeze while " + watched + " unhealthy (scope " + (scope.empty() ? "all" : scope) + ")";
}

std::string summary(const engine::PolicySet& set) {
  std::string types;
  for (const auto& p : set.policies) {
    if (!types.empty()) types += ", ";
    types += p.incident_type;
  }
  const std::size_t n = set.policies.size();
  return std::to_string(n) + (n == 1 ? " policy" : " policies") + " (" + types + "), mode " +
         std::string(engine::to_string(set.settings.mode)) +
         (set.settings.kill_switch ? ", kill switch ENGAGED" : "") +
         freeze_text(set.settings.freeze);
}

nlohmann::json error_json(const core::Error& e) {
  return {{"file", e.file},   {"line", e.line},       {"column", e.column},
          {"field", e.field}, {"message", e.message}, {"text", e.describe()}};
}

/// A readable YAML map with a top-level `scenario:` key. Anything else (unreadable, too
/// large, bad YAML) goes to the policy loader, which reports it as it always has.
bool is_scenario_document(const std::string& file) {
  auto text = config::read_file(file);
  if (!text) return false;
  try {
    const YAML::Node root = config::load_yaml(*text);
    return root.IsMap() && root["scenario"].IsDefined();
  } catch (const YAML::Exception&) {
    return false;
  }
}

/// Lints one scenario: load diagnostics, then the baseline table. Valid iff it loads and
/// its baseline is healthy (run and check would refuse it otherwise).
bool lint_scenario(const std::string& file, const std::string& format, nlohmann::json& report,
                   Io io) {
  const scenario::ScenarioLoad load = scenario::load_scenario_file(file);
  std::optional<sim::BaselineHealth> h;
  if (load.scenario) h = sim::check_baseline(load.scenario->cluster, load.scenario->duration);
  const bool valid = h && h->healthy();
  if (format == "json") {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : load.diagnostics.errors())
      errors.push_back(error_json(e));
    nlohmann::json services = nlohmann::json::array();
    nlohmann::json problems = nlohmann::json::array();
    if (h) {
      for (const auto& l : h->services)
        services.push_back({{"service", l.service},
                            {"offered_start_rps", l.offered_start_rps},
                            {"offered_peak_rps", l.offered_peak_rps},
                            {"replicas", l.scheduled},
                            {"capacity_rps_per_replica", l.per_replica_rps},
                            {"capacity_rps", l.capacity_rps},
                            {"headroom", l.headroom()}});
      for (const auto& p : h->problems)
        problems.push_back(p);
    }
    report.push_back({{"file", file},
                      {"kind", "scenario"},
                      {"valid", valid},
                      {"errors", errors},
                      {"baseline", services},
                      {"baseline_problems", problems}});
    return valid;
  }
  for (const auto& e : load.diagnostics.errors())
    io.err << e.describe() << '\n';
  if (!h) {
    const std::size_t n = load.diagnostics.size();
    io.err << file << ": " << n << (n == 1 ? " problem" : " problems") << '\n';
    return false;
  }
  const auto& s = *load.scenario;
  auto count = [](std::size_t n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  io.out << file << ": " << (valid ? "OK" : "UNHEALTHY") << ": scenario " << s.name << ", "
         << count(s.cluster.services.size(), "service") << ", "
         << count(s.cluster.faults.size(), "fault") << ", "
         << count(s.cluster.planned.size(), "calendar event") << "\n"
         << scenario::baseline_load_table(*h);
  if (!valid) io.err << core::Error{scenario::unhealthy_baseline_error(s), file}.describe() << '\n';
  return valid;
}

}  // namespace

int cmd_lint(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal lint [options] FILE...\n"
      "       selfheal lint SCENARIO.yaml\n"
      "       selfheal lint --classifier-model MODEL [FILE...]\n\n"
      "Validate remediation policy files. Prints every problem as\n"
      "`file:line:col: field: message` on stderr, notes (e.g. which default action\n"
      "applied) and one OK line per valid file on stdout.\n"
      "A scenario (top-level `scenario:`) is loaded as one, and each service's offered\n"
      "load, capacity and headroom before the first fault printed; an unhealthy baseline\n"
      "is an error (docs/scenario.md \"Baseline health\").\n"
      "Exit 0 when every file is valid, 2 when any is not.\n\noptions");
  opts.add_options()("help,h", "show this help")(
      "format", po::value<std::string>()->default_value("text"),
      "output format: text, or json (one document on stdout, nothing on stderr)")(
      "classifier-model", po::value<std::vector<std::string>>()->composing(),
      "also validate a classifier model file (docs/classifier.md); repeatable");
  po::variables_map vm;
  if (int rc = parse_options(args, opts, "files", vm, io); rc >= 0) return rc;

  const std::string format = vm["format"].as<std::string>();
  if (format != "text" && format != "json") {
    io.err << "error: --format must be text or json, not '" << format << "'\n";
    return kExitBadInput;
  }
  const auto files = vm.count("files") != 0U ? vm["files"].as<std::vector<std::string>>() : Args{};
  const auto models = vm.count("classifier-model") != 0U
                          ? vm["classifier-model"].as<std::vector<std::string>>()
                          : Args{};
  if (files.empty() && models.empty()) {
    io.err << "error: no policy files given\n\n" << opts;
    return kExitBadInput;
  }

  bool all_valid = true;
  nlohmann::json report = nlohmann::json::array();
  nlohmann::json model_report = nlohmann::json::array();
  for (const auto& file : models) {
    auto model = engine::ClassifierModel::load_file(file);
    all_valid = all_valid && model.ok();
    if (format == "json") {
      nlohmann::json errors = nlohmann::json::array();
      if (!model.ok()) errors.push_back(error_json(model.error()));
      model_report.push_back({{"file", file}, {"valid", model.ok()}, {"errors", errors}});
    } else if (model.ok()) {
      io.out << file << ": OK: classifier model, " << model->types.size() << " types, "
             << model->features.size() << " features\n";
    } else {
      io.err << model.error().describe() << '\n';
    }
  }
  for (const auto& file : files) {
    if (is_scenario_document(file)) {
      all_valid = lint_scenario(file, format, report, io) && all_valid;
      continue;
    }
    const engine::PolicyLoad load = engine::load_policy_file(file);
    const bool valid = load.policies.has_value();
    all_valid = all_valid && valid;
    if (format == "json") {
      nlohmann::json errors = nlohmann::json::array();
      for (const auto& e : load.diagnostics.errors())
        errors.push_back(error_json(e));
      nlohmann::json policies = nlohmann::json::array();
      if (valid) {
        for (const auto& p : load.policies->policies)
          policies.push_back(p.incident_type);
      }
      report.push_back({{"file", file},
                        {"valid", valid},
                        {"errors", errors},
                        {"notes", load.notes},
                        {"policies", policies}});
      continue;
    }
    for (const auto& e : load.diagnostics.errors())
      io.err << e.describe() << '\n';
    for (const auto& n : load.notes)
      io.out << "note: " << n << '\n';
    if (valid) {
      io.out << file << ": OK: " << summary(*load.policies) << '\n';
    } else {
      const std::size_t n = load.diagnostics.size();
      io.err << file << ": " << n << (n == 1 ? " problem" : " problems") << '\n';
    }
  }
  if (format == "json") {
    nlohmann::json doc{{"valid", all_valid}, {"files", report}};
    if (!models.empty()) doc["classifier_models"] = model_report;
    io.out << config::json_text(doc) << '\n';
  }
  return all_valid ? kExitOk : kExitBadInput;
}

}  // namespace selfheal::cli
