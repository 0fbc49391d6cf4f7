// selfheal backtest --policy P HISTORY — replay a real alert history through the engine,
// open loop (docs/backtest.md). Wiring only: the replay is backtest/.
#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>

#include "backtest/backtest.hpp"
#include "backtest/report.hpp"
#include "cli/command.hpp"
#include "cli/progress.hpp"
#include "config/file_io.hpp"
#include "config/json_reader.hpp"
#include "core/duration.hpp"
#include "engine/policy_loader.hpp"
#include "history/history.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {
namespace {

void print_backtest_errors(const core::Diagnostics& d, Io io) {
  for (const auto& e : d.errors())
    io.err << e.describe() << "\n";
}

std::optional<engine::PolicySet> load_policies(const std::string& file, Io io) {
  engine::PolicyLoad load = engine::load_policy_file(file);
  if (!load.policies) {
    print_backtest_errors(load.diagnostics, io);
    return std::nullopt;
  }
  return std::move(*load.policies);
}

// --repeat-interval, --services-in-namespace, --mode into `o`; false after an error.
bool replay_options(const po::variables_map& vm, backtest::Options& o, Io io) {
  auto repeat = core::parse_duration(vm["repeat-interval"].as<std::string>());
  if (!repeat || repeat.value() <= core::Duration{0}) {
    io.err << "error: --repeat-interval: \"" << vm["repeat-interval"].as<std::string>()
           << "\" is not a positive duration (e.g. 4h, 30m)\n";
    return false;
  }
  o.repeat_interval = repeat.value();
  if (vm.count("services-in-namespace") != 0U)
    o.services_in_namespace = vm["services-in-namespace"].as<std::size_t>();
  if (vm.count("mode") != 0U) {
    o.mode = engine::parse_mode(vm["mode"].as<std::string>());
    if (!o.mode) {
      io.err << "error: --mode: \"" << vm["mode"].as<std::string>()
             << "\" is not shadow, recommend or auto\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int cmd_backtest(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal backtest --policy FILE [--against OLD] [options] HISTORY.json\n\n"
      "Replay an alert history (from `selfheal import alerts`) through the real engine on a\n"
      "virtual clock, open loop: every guardrail runs, actions are recorded and never run,\n"
      "verification cannot be known and is reported as such (docs/backtest.md).\n"
      "Exit 0, 1 when --max-actions-per-target-hour is exceeded, 2 on bad input.\n\noptions");
  opts.add_options()("help,h", "show this help")("policy", po::value<std::string>(),
                                                 "policy file (YAML)")(
      "against", po::value<std::string>(), "old policy: also print what changes")(
      "format", po::value<std::string>()->default_value("text"), "text | json | markdown")(
      "repeat-interval", po::value<std::string>()->default_value("4h"),
      "how often a firing alert is re-sent (Alertmanager's repeat_interval)")(
      "services-in-namespace", po::value<std::size_t>(),
      "blast-radius denominator (default: services the history names per namespace)")(
      "mode", po::value<std::string>(), "override the policy's mode: shadow | recommend | auto")(
      "max-actions-per-target-hour", po::value<std::size_t>(),
      "CI bound: exit 1 when a target gets more actions in some hour")(
      "junit", po::value<std::string>(), "also write JUnit XML (a case per alert and per bound)");
  add_progress_option(opts);
  po::variables_map vm;
  if (int rc = parse_options(args, opts, "args", vm, io); rc >= 0) return rc;
  const std::optional<bool> show_progress = progress_from_options(vm, io);
  if (!show_progress) return kExitBadInput;
  if (vm.count("policy") == 0U || vm.count("args") == 0U ||
      vm["args"].as<std::vector<std::string>>().size() != 1) {
    io.err << "error: --policy and exactly one history file are required\n\n" << opts;
    return kExitBadInput;
  }
  const std::string format = vm["format"].as<std::string>();
  if (format != "text" && format != "json" && format != "markdown") {
    io.err << "error: --format: \"" << format << "\" is not text, json or markdown\n";
    return kExitBadInput;
  }
  backtest::Options o;
  if (!replay_options(vm, o, io)) return kExitBadInput;
  auto policies = load_policies(vm["policy"].as<std::string>(), io);
  if (!policies) return kExitBadInput;
  std::optional<engine::PolicySet> old;
  if (vm.count("against") != 0U) {
    old = load_policies(vm["against"].as<std::string>(), io);
    if (!old) return kExitBadInput;
  }
  core::Diagnostics diags;
  auto h = history::read_history_file(vm["args"].as<std::vector<std::string>>()[0], diags);
  if (!h) {
    print_backtest_errors(diags, io);
    return kExitBadInput;
  }

  // One bar over both replays when --against is given: the new policy's, then the old's.
  Progress progress(io.err, *show_progress, "notifications");
  const std::size_t passes = old ? 2 : 1;
  std::size_t pass = 0;
  o.on_progress = [&](std::size_t done, std::size_t total) {
    progress.update(pass * total + done, passes * total);
  };
  const backtest::Result r = backtest::run(*h, *policies, o);
  std::optional<std::vector<backtest::AlertChange>> changes;
  pass = 1;
  if (old) changes = backtest::compare(backtest::run(*h, *old, o), r);
  progress.finish();
  const auto* c = changes ? &*changes : nullptr;
  if (format == "json") {
    io.out << config::json_text(backtest::to_json(r, c)) << "\n";
  } else if (format == "markdown") {
    backtest::write_markdown(io.out, r, c);
  } else {
    backtest::write_text(io.out, r, c);
  }
  std::optional<std::size_t> bound_opt;
  if (vm.count("max-actions-per-target-hour") != 0U)
    bound_opt = vm["max-actions-per-target-hour"].as<std::size_t>();
  if (vm.count("junit") != 0U) {
    std::ostringstream x;
    backtest::write_junit(x, r, bound_opt);
    if (auto w = config::atomic_write(vm["junit"].as<std::string>(), x.str()); !w) {
      io.err << "error: --junit: " << w.error().describe() << "\n";
      return kExitBadInput;
    }
  }
  if (vm.count("max-actions-per-target-hour") != 0U) {
    const std::size_t bound = vm["max-actions-per-target-hour"].as<std::size_t>();
    if (r.totals.max_actions_per_target_hour > bound) {
      io.err << "bound failed: " << r.totals.max_actions_per_target_hour << " actions on "
             << r.totals.max_actions_target << " within an hour > --max-actions-per-target-hour "
             << bound << "\n";
      return kExitFailed;
    }
  }
  return kExitOk;
}

}  // namespace selfheal::cli
