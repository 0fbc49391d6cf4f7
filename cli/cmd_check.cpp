// selfheal check PATH... — the CI gate: run every scenario and its `expect:` block, print a
// table, write JUnit (and optionally the reports), compare with a baseline.
#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "cli/command.hpp"
#include "cli/progress.hpp"
#include "core/duration.hpp"
#include "reports/junit_writer.hpp"
#include "reports/text_writer.hpp"
#include "reports/writers.hpp"
#include "scenario/baseline.hpp"
#include "scenario/baseline_health.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {

int cmd_check(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal check [options] PATH...\n\n"
      "Run every scenario (a PATH may be a directory: its *.yaml files, not subfolders\n"
      "such as policies/; a policy file there is skipped with a note) with its\n"
      "counterfactual twin, evaluate each `expect:` entry, and print a table. With\n"
      "--baseline, also print the figures that changed as a table (baseline, now, delta,\n"
      "verdict) and fail when MTTR regresses (beyond 10% or 1m) or unrecovered, loops,\n"
      "wrongly-acted or made-worse incidents increase.\n"
      "Exit 0 all good, 1 an expectation failed or a regression, 2 bad input (every\n"
      "scenario that loads still runs, so the JUnit file is complete).\n\noptions");
  opts.add_options()("help,h", "show this help")("junit", po::value<std::string>(),
                                                 "write JUnit XML here")(
      "out", po::value<std::string>(),
      "write each scenario's reports to DIR/<scenario>/ and DIR/index.html")(
      "link", po::value<std::vector<std::string>>()->composing(),
      "TEXT=HREF: list this link in --out's index.html (repeatable; e.g. a sweep's\n"
      "sweep.html written under DIR: \"sweep=sweep/sweep.html\")")(
      "baseline", po::value<std::string>(), "fail on regressions against this baseline")(
      "update-baseline", po::value<std::string>(), "write the figures of this run as a baseline")(
      "seed", po::value<std::uint64_t>(), "seed for every run (default: each scenario's)")(
      "jobs,j", po::value<unsigned>()->default_value(1), "scenarios run in parallel")(
      "no-twin", "skip the shadow-mode twins (made-worse expectations then fail)")(
      "no-counterfactuals",
      "skip the counterfactual branches (verdicts then come from the declared table;\n"
      "missed/regret/verification-accuracy expectations then fail)")(
      scenario::kAllowUnhealthyBaselineFlag,
      "run scenarios whose modelled world misses its objectives before the first fault\n"
      "(their reports then carry a warning); without it they are input errors");
  add_progress_option(opts);
  po::variables_map vm;
  if (int rc = parse_options(args, opts, "paths", vm, io); rc >= 0) return rc;
  if (vm.count("paths") == 0U) {
    io.err << "error: no scenario file or directory given\n\n" << opts;
    return kExitBadInput;
  }
  std::vector<reports::IndexLink> links;
  if (vm.count("link")) {
    for (const auto& l : vm["link"].as<std::vector<std::string>>()) {
      const auto eq = l.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == l.size()) {
        io.err << "error: --link: expected TEXT=HREF, not \"" << l << "\"\n";
        return kExitBadInput;
      }
      links.push_back({l.substr(0, eq), l.substr(eq + 1)});
    }
    if (vm.count("out") == 0U) {
      io.err << "error: --link lists a link in --out's index.html: give --out\n";
      return kExitBadInput;
    }
  }
  const std::optional<bool> show_progress = progress_from_options(vm, io);
  if (!show_progress) return kExitBadInput;
  if (vm.count("baseline") && vm.count("update-baseline")) {
    io.err << "error: give --baseline or --update-baseline, not both\n";
    return kExitBadInput;
  }

  core::Diagnostics diags;
  std::vector<std::string> files;
  std::set<std::string> from_directory;  // files found by listing a directory
  for (const auto& p : vm["paths"].as<std::vector<std::string>>()) {
    std::error_code ec;
    const bool dir = std::filesystem::is_directory(p, ec);
    for (auto& f : scenario::scenario_files(p, diags)) {
      if (dir) from_directory.insert(f);
      files.push_back(std::move(f));
    }
  }

  std::optional<scenario::Baseline> baseline;
  if (vm.count("baseline")) {
    auto b = scenario::load_baseline(vm["baseline"].as<std::string>());
    if (!b) {
      diags.add(b.error());
    } else {
      baseline = std::move(*b);
    }
  }

  std::vector<reports::JunitSuite> suites;
  std::vector<scenario::Scenario> scenarios;
  std::map<std::string, std::string> names;  // scenario name -> file
  for (const auto& f : files) {
    auto load = scenario::load_scenario_file(f);
    if (load.policy_document && from_directory.count(f) != 0U) {
      // A policy file kept next to the scenarios: not an error, but not silent either.
      io.err << "note: " << load.diagnostics.describe();
      continue;
    }
    if (!load.scenario) {
      diags.append(load.diagnostics);
      suites.push_back({f, f, {}, load.diagnostics.describe()});
      continue;
    }
    auto [it, fresh] = names.emplace(load.scenario->name, f);
    if (!fresh) {
      const std::string msg = "scenario name \"" + load.scenario->name + "\" is also used by " +
                              it->second + ": names must be unique";
      diags.add(core::Error{msg, f, 1, 0, "scenario"});
      suites.push_back({load.scenario->name, f, {}, msg});
      continue;
    }
    if (auto why = scenario::unhealthy_baseline_error(*load.scenario);
        !why.empty() && vm.count(scenario::kAllowUnhealthyBaselineFlag) == 0U) {
      diags.add(core::Error{why, f});
      suites.push_back({load.scenario->name, f, {}, why});
      continue;
    }
    scenarios.push_back(std::move(*load.scenario));
  }

  scenario::RunOptions ro;
  if (vm.count("seed")) ro.seed = vm["seed"].as<std::uint64_t>();
  ro.twin = vm.count("no-twin") == 0U;
  ro.counterfactuals = vm.count("no-counterfactuals") == 0U;
  std::vector<scenario::RunResult> runs(scenarios.size());
  const unsigned jobs = std::max(1U, vm["jobs"].as<unsigned>());
  Progress progress(io.err, *show_progress, "scenarios");
  std::atomic<std::size_t> finished{0};
  auto run_one = [&](std::size_t i) {
    runs[i] = scenario::run_scenario(scenarios[i], ro);
    progress.update(++finished, scenarios.size());
  };
  progress.update(0, scenarios.size());
  if (jobs == 1 || scenarios.size() < 2) {
    for (std::size_t i = 0; i < scenarios.size(); ++i)
      run_one(i);
  } else {
    // Each run is independent and deterministic; results land in their own slot.
    std::vector<std::thread> pool;
    std::atomic<std::size_t> next{0};
    for (unsigned k = 0; k < std::min<std::size_t>(jobs, scenarios.size()); ++k)
      pool.emplace_back([&] {
        for (std::size_t i = next++; i < scenarios.size(); i = next++)
          run_one(i);
      });
    for (auto& t : pool)
      t.join();
  }
  progress.finish();
  for (const auto& r : runs) {
    suites.push_back({r.scenario, r.file, r.expectations, std::nullopt});
    for (const auto& i : r.invariants) {  // an invariant is one more test case
      scenario::ExpectationResult x;
      x.expectation.describe = "invariant " + i.describe;
      x.expectation.line = i.line;
      x.passed = i.held;
      x.expected = "holds at every moment";
      x.actual = i.held ? "held" : "broken at " + core::format_duration(*i.at) + ": " + i.decision;
      suites.back().results.push_back(std::move(x));
    }
  }

  io.out << reports::text_table(runs);
  const std::string failures = reports::text_failures(runs);
  const bool broken = std::any_of(
      runs.begin(), runs.end(), [](const scenario::RunResult& r) { return !r.invariants_held(); });
  if (!failures.empty())
    io.out << (broken ? "\nfailed expectations and broken invariants:\n"
                      : "\nfailed expectations:\n")
           << failures;

  bool regressed = false;
  if (baseline) {
    std::vector<std::string> notes;
    regressed = !scenario::compare_to_baseline(runs, *baseline, &notes).empty();
    for (const auto& n : notes)
      io.out << "baseline: " << n << "\n";
    const auto changes = scenario::baseline_changes(runs, *baseline);
    if (!changes.empty())
      io.out << "\nchanged against the baseline " << vm["baseline"].as<std::string>() << ":\n";
    io.out << reports::baseline_table(changes, runs.size() - notes.size(), notes.size());
  }

  if (vm.count("junit")) {
    if (auto st = reports::write_file(vm["junit"].as<std::string>(), reports::junit_xml(suites));
        !st)
      diags.add(st.error());
  }
  if (vm.count("out")) {
    const std::string out = vm["out"].as<std::string>();
    std::vector<std::string> subdirs;
    for (const auto& r : runs) {
      subdirs.push_back(r.scenario);
      if (auto st = reports::write_run_reports(r, out + "/" + r.scenario); !st)
        diags.add(st.error());
    }
    if (auto st = reports::write_index(runs, subdirs, out, links); !st) diags.add(st.error());
  }
  if (vm.count("update-baseline")) {
    if (auto st = reports::write_file(vm["update-baseline"].as<std::string>(),
                                      scenario::baseline_json(runs));
        !st)
      diags.add(st.error());
    else
      io.out << "baseline written: " << vm["update-baseline"].as<std::string>() << "\n";
  }

  int failed = 0;
  for (const auto& r : runs)
    failed += r.passed() ? 0 : 1;
  io.out << "\n"
         << runs.size() << " scenario(s) run, " << failed << " failed"
         << (diags.empty() ? "" : ", " + std::to_string(diags.size()) + " input error(s)") << "\n";
  if (!diags.empty()) {
    io.err << diags.describe();
    return kExitBadInput;
  }
  return failed || regressed ? kExitFailed : kExitOk;
}

}  // namespace selfheal::cli
