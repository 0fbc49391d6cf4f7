// selfheal run SCENARIO... — run scenarios in the simulator (plus the shadow-mode twin),
// print a concise summary and write report.json / report.md / report.html.
#include <boost/program_options.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "config/json_reader.hpp"
#include "reports/json_writer.hpp"
#include "reports/text_writer.hpp"
#include "reports/writers.hpp"
#include "scenario/baseline_health.hpp"
#include "scenario/overrides.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {

int cmd_run(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal run [options] SCENARIO...\n\n"
      "Run scenarios in the simulated cluster with the real engine, and again with the\n"
      "engine in shadow mode (the counterfactual twin) to measure what automation changed.\n"
      "Prints a summary and writes report.json, report.md and report.html: into --out for a\n"
      "single scenario, into --out/<scenario>/ (plus index.html) for several.\n"
      "With --seed, the scenario's `variation:` block is drawn from that seed, exactly as\n"
      "run i of `selfheal sweep` does with the seed it records in runs.csv.\n"
      "Exit 0 when every expectation holds, 1 when one fails, 2 on bad input.\n\noptions");
  opts.add_options()("help,h", "show this help")(
      "seed", po::value<std::uint64_t>(),
      "seed for every run (default: the scenario's); draws the variation block")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "PATH=VALUE: change one scenario or policy field (repeatable), e.g.\n"
      "policies.application-crash.max_attempts=3")(
      "no-variation", "with --seed: run the scenario as written, without its variation")(
      "out", po::value<std::string>(), "report directory (default out/<scenario>)")(
      "format", po::value<std::string>()->default_value("text"),
      "stdout format: text (summary) or json (the report.json document(s))")(
      "no-twin", "skip the shadow-mode twin (no made-worse / budget-saved figures)")(
      "no-counterfactuals",
      "skip the counterfactual branches (verdicts then come from the declared table;\n"
      "missed/regret/verification-accuracy expectations then fail)")(
      scenario::kAllowUnhealthyBaselineFlag,
      "run even when the modelled world misses its objectives before the first fault\n"
      "(every report then carries a warning)");
  po::variables_map vm;
  if (int rc = parse_options(args, opts, "scenarios", vm, io); rc >= 0) return rc;

  const std::string format = vm["format"].as<std::string>();
  if (format != "text" && format != "json") {
    io.err << "error: --format must be text or json, not '" << format << "'\n";
    return kExitBadInput;
  }
  if (vm.count("scenarios") == 0U) {
    io.err << "error: no scenario given\n\n" << opts;
    return kExitBadInput;
  }
  // Load everything first: a typo in the third file must not cost two runs.
  std::vector<scenario::Scenario> scenarios;
  bool bad = false;
  std::vector<scenario::Override> overrides;
  if (vm.count("set"))
    for (const auto& text : vm["set"].as<std::vector<std::string>>()) {
      auto o = scenario::parse_override(text);
      if (!o) {
        io.err << "error: --set: " << o.error().describe() << "\n";
        bad = true;
        continue;
      }
      overrides.push_back(std::move(*o));
    }
  if (bad) return kExitBadInput;
  for (const auto& f : vm["scenarios"].as<std::vector<std::string>>()) {
    auto load = scenario::load_scenario_file(f, overrides);
    if (!load.scenario) {
      io.err << load.diagnostics.describe();
      bad = true;
      continue;
    }
    if (auto why = scenario::unhealthy_baseline_error(*load.scenario);
        !why.empty() && vm.count(scenario::kAllowUnhealthyBaselineFlag) == 0U) {
      io.err << core::Error{why, f}.describe() << "\n";
      bad = true;
      continue;
    }
    scenarios.push_back(std::move(*load.scenario));
  }
  if (bad) return kExitBadInput;

  scenario::RunOptions ro;
  if (vm.count("seed")) {
    ro.seed = vm["seed"].as<std::uint64_t>();
    ro.vary = vm.count("no-variation") == 0U;
  }
  ro.twin = vm.count("no-twin") == 0U;
  ro.counterfactuals = vm.count("no-counterfactuals") == 0U;
  const bool single = scenarios.size() == 1;
  const std::string out = vm.count("out") ? vm["out"].as<std::string>() : "out";
  const bool out_given = vm.count("out") != 0U;

  std::vector<scenario::RunResult> runs;
  std::vector<std::string> subdirs;
  nlohmann::ordered_json docs = nlohmann::ordered_json::array();
  for (const auto& s : scenarios) {
    scenario::RunResult r = scenario::run_scenario(s, ro);
    const std::string dir = single && out_given ? out : out + "/" + s.name;
    if (auto st = reports::write_run_reports(r, dir); !st) {
      io.err << st.error().describe() << "\n";
      return kExitBadInput;
    }
    if (format == "json")
      docs.push_back(reports::report_json(r));
    else
      io.out << reports::text_summary(r) << "  reports: " << dir << "/report.html\n";
    subdirs.push_back(single && out_given ? "." : s.name);
    runs.push_back(std::move(r));
  }
  if (!single) {
    if (auto st = reports::write_index(runs, subdirs, out); !st) {
      io.err << st.error().describe() << "\n";
      return kExitBadInput;
    }
    if (format == "text") io.out << "index: " << out << "/index.html\n";
  }
  if (format == "json") io.out << config::json_text(single ? docs[0] : docs) << "\n";
  for (const auto& r : runs)
    if (!r.passed()) return kExitFailed;
  return kExitOk;
}

}  // namespace selfheal::cli
