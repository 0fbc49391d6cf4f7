// selfheal sweep SCENARIO --runs N [--set PATH=V1,V2]... [--jobs J] [--shard I/N] — Monte
// Carlo runs over a parameter grid; a table on stdout, sweep.json / summary.csv / runs.csv
// in --out. Wiring only: the work is in sweep/.
#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/command.hpp"
#include "cli/progress.hpp"
#include "scenario/baseline_health.hpp"
#include "sweep/html.hpp"
#include "sweep/report.hpp"
#include "sweep/sweep.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {
int cmd_sweep(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal sweep [options] SCENARIO\n\n"
      "Run SCENARIO many times — each run draws the scenario's `variation:` block (fault start\n"
      "jitter, traffic noise, classifier noise and accuracy, responder delay) from its own\n"
      "seed — for every combination of the --set values, and aggregate every metric (mean,\n"
      "p50, p90, 95% confidence interval). Prints a table with the Pareto-optimal\n"
      "combinations (MTTR vs wrongly-acted incidents vs pages) marked, and writes\n"
      "sweep.json, summary.csv, sweep.html (charts) and runs.csv into --out. Run i of every\n"
      "combination uses the seed in runs.csv; `selfheal run SCENARIO --seed SEED --set\n"
      "PATH=V` repeats it.\n"
      "Exit 0 when the sweep ran, 2 on bad input.\n\noptions");
  opts.add_options()("help,h", "show this help")(
      "runs", po::value<std::uint64_t>()->default_value(100), "runs per combination")(
      "seed", po::value<std::uint64_t>(), "base seed (default: the scenario's)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "PATH=V1,V2,... a scenario or policy field and its values (repeatable; e.g.\n"
      "policies.application-crash.confidence_threshold=0.8,0.9)")(
      "jobs,j", po::value<unsigned>(), "worker threads (default: the machine's cores)")(
      "shard", po::value<std::string>(),
      "I/N: run only slice I (0-based) of N; combine with `selfheal merge`")(
      "out", po::value<std::string>(), "output directory (default out/sweep/<scenario>)")(
      "no-twin", "skip the shadow-mode twin (no made-worse / budget-saved figures)")(
      "counterfactuals",
      "play counterfactual branches in every run and aggregate missed, regret and\n"
      "verification accuracy (off by default: each run costs several world runs)")(
      scenario::kAllowUnhealthyBaselineFlag,
      "sweep even when a combination's modelled world misses its objectives before the\n"
      "first fault (the warning is printed with the results)")(
      "trade-off", po::value<std::string>()->default_value("mttr,wrongly_acted"),
      "X,Y: the two metrics sweep.html plots against each other, with their Pareto\n"
      "front and the best combination (docs/sweep.md)");
  add_progress_option(opts);
  po::variables_map vm;
  if (int rc = parse_options(args, opts, "scenario", vm, io); rc >= 0) return rc;

  if (vm.count("scenario") == 0U || vm["scenario"].as<std::vector<std::string>>().size() != 1) {
    io.err << "error: give exactly one scenario\n\n" << opts;
    return kExitBadInput;
  }
  sweep::SweepSpec spec;
  spec.scenario_path = vm["scenario"].as<std::vector<std::string>>()[0];
  spec.runs = vm["runs"].as<std::uint64_t>();
  if (vm.count("seed")) spec.seed = vm["seed"].as<std::uint64_t>();
  spec.twin = vm.count("no-twin") == 0U;
  spec.counterfactuals = vm.count("counterfactuals") != 0U;
  bool bad = false;
  if (vm.count("set"))
    for (const auto& s : vm["set"].as<std::vector<std::string>>()) {
      auto a = sweep::parse_axis(s);
      if (!a) {
        io.err << "error: --set: " << a.error().describe() << "\n";
        bad = true;
      } else {
        spec.axes.push_back(std::move(*a));
      }
    }
  if (vm.count("shard")) {
    auto sh = sweep::parse_shard(vm["shard"].as<std::string>());
    if (!sh) {
      io.err << "error: " << sh.error().describe() << "\n";
      bad = true;
    } else {
      spec.shard = *sh;
    }
  }
  if (auto t = sweep::parse_trade_off(vm["trade-off"].as<std::string>()); !t) {
    io.err << "error: " << t.error().describe() << "\n";
    bad = true;
  } else {
    spec.trade_off = *t;
  }
  const std::optional<bool> show_progress = progress_from_options(vm, io);
  bad = bad || !show_progress;
  unsigned jobs = std::max(1U, std::thread::hardware_concurrency());
  if (vm.count("jobs")) {
    jobs = vm["jobs"].as<unsigned>();
    if (jobs == 0 || jobs > 1024) {
      io.err << "error: --jobs must be between 1 and 1024\n";
      bad = true;
    }
  }
  if (bad) return kExitBadInput;

  sweep::PrepareLoad load = sweep::prepare(spec);
  if (!load.prepared) {
    io.err << load.diagnostics.describe();
    return kExitBadInput;
  }
  const sweep::Prepared& prepared = *load.prepared;
  // Every combination is checked (an axis may change replicas or traffic); each distinct
  // problem is named once.
  std::vector<std::string> unhealthy;
  for (const auto& sc : prepared.scenarios) {
    const auto why = scenario::unhealthy_baseline_error(sc);
    if (!why.empty() && std::find(unhealthy.begin(), unhealthy.end(), why) == unhealthy.end())
      unhealthy.push_back(why);
  }
  const bool allow_unhealthy = vm.count(scenario::kAllowUnhealthyBaselineFlag) != 0U;
  if (!allow_unhealthy && !unhealthy.empty()) {
    for (const auto& why : unhealthy)
      io.err << core::Error{why, spec.scenario_path}.describe() << "\n";
    return kExitBadInput;
  }
  const std::string out =
      vm.count("out") ? vm["out"].as<std::string>() : "out/sweep/" + prepared.result.scenario;
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  std::ofstream runs_csv(out + "/runs.csv", std::ios::binary | std::ios::trunc);
  if (ec || !runs_csv) {
    io.err << "error: cannot write " << out << "/runs.csv\n";
    return kExitBadInput;
  }
  runs_csv << sweep::runs_csv_header();

  Progress progress(io.err, *show_progress, "runs");
  sweep::ExecuteOptions eo;
  eo.jobs = jobs;
  eo.on_run = [&](const sweep::RunRow& row) { runs_csv << sweep::runs_csv_row(row); };
  eo.on_progress = [&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); };
  sweep::SweepResult result = sweep::execute(prepared, eo);
  if (allow_unhealthy) result.baseline_warnings = unhealthy;
  const double seconds = progress.elapsed();
  progress.finish();
  runs_csv.flush();
  if (!runs_csv) {
    io.err << "error: cannot write " << out << "/runs.csv\n";
    return kExitBadInput;
  }
  if (auto st = sweep::write_result(result, out); !st) {
    io.err << "error: " << st.error().describe() << "\n";
    return kExitBadInput;
  }
  io.out << sweep::table(result) << "written: " << out
         << "/sweep.json, summary.csv, sweep.html, runs.csv\n";
  for (const auto& why : unhealthy)
    io.out << "WARNING (--allow-unhealthy-baseline): " << why << "\n";
  const std::uint64_t n = result.runs_done() * result.combinations.size();
  char buf[160];
  std::snprintf(buf, sizeof buf, "%llu runs in %.2f s (%.0f runs/s, %u job%s)\n",
                static_cast<unsigned long long>(n), seconds,
                seconds > 0 ? static_cast<double>(n) / seconds : 0.0, jobs, jobs == 1 ? "" : "s");
  io.err << buf;
  return kExitOk;
}

}  // namespace selfheal::cli
