// selfheal serve — the engine live: Alertmanager webhooks in, kubectl/helm out (docs/live.md).
#include <signal.h>

#include <cstdlib>
#include <iostream>

#include <boost/program_options.hpp>

#include "cli/command.hpp"
#include "engine/policy_loader.hpp"
#include "live/config.hpp"
#include "live/service.hpp"
#include "live/startup_warnings.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {

int cmd_serve(const Args& args, Io io) {
  po::options_description opts("usage: selfheal serve --config FILE [options]");
  opts.add_options()("help,h", "show this help")("config,c", po::value<std::string>(),
                                                 "serve configuration (YAML; docs/live.md)")(
      "execute", "run the kubectl/helm commands (default: dry-run, computed and audited only)")(
      "dry-run", "never run commands, whatever the config says")(
      "check-config", "validate the configuration and policies, then exit")(
      "port", po::value<int>(), "override listen.port (0 = any free port, printed on start)")(
      "reset-state",
      "if the state database is empty, corrupt or foreign, move it aside and start with EMPTY "
      "state (kill switch, cooldowns, in-flight actions forgotten; docs/live.md#state-safety)");
  po::variables_map vm;
  if (int rc = parse_options(args, opts, "args", vm, io); rc >= 0) return rc;
  if (vm.count("args")) {
    io.err << "selfheal serve: unexpected argument " << vm["args"].as<std::vector<std::string>>()[0]
           << "\n"
           << opts;
    return kExitBadInput;
  }
  if (!vm.count("config")) {
    io.err << "selfheal serve: --config FILE is required\n" << opts;
    return kExitBadInput;
  }
  if (vm.count("execute") && vm.count("dry-run")) {
    io.err << "selfheal serve: --execute and --dry-run contradict each other\n";
    return kExitBadInput;
  }
  auto loaded = live::load_serve_config(vm["config"].as<std::string>());
  if (!loaded.config) {
    io.err << loaded.diagnostics.describe();
    return kExitBadInput;
  }
  auto& config = *loaded.config;
  config.reset_state = vm.count("reset-state") > 0;
  if (vm.count("port")) {
    const int p = vm["port"].as<int>();
    if (p < 0 || p > 65535) {
      io.err << "selfheal serve: --port must be 0..65535\n";
      return kExitBadInput;
    }
    config.port = static_cast<std::uint16_t>(p);
  }
  auto policies = config.policies_file.empty()
                      ? engine::load_policy_string(config.policies_yaml,
                                                   config.source_file + " (inline policies)")
                      : engine::load_policy_file(config.policies_file);
  if (!policies.policies) {
    io.err << policies.diagnostics.describe();
    return kExitBadInput;
  }
  for (const auto& n : policies.notes)
    io.err << "note: " << n << "\n";
  // A policy whose channel no notifier takes would page nobody (or the wrong people).
  const auto channels = live::check_escalation_channels(
      config, *policies.policies,
      config.policies_file.empty() ? config.source_file + " (inline policies)"
                                   : config.policies_file);
  if (!channels.empty()) {
    io.err << channels.describe();
    return kExitBadInput;
  }
  // Loud, not fatal: a server that pages nobody still audits, and may be meant as a trial.
  for (const auto& w : live::escalation_warnings(config, *policies.policies))
    io.err << w << "\n";
  const bool dry_run = vm.count("dry-run") ? true : vm.count("execute") ? false : config.dry_run;
  const char* path = std::getenv("PATH");
  for (const auto& w : live::binary_warnings(config, !dry_run, path != nullptr ? path : ""))
    io.err << w << "\n";
  if (vm.count("check-config")) {
    io.out << "configuration ok: " << policies.policies->policies.size() << " polic"
           << (policies.policies->policies.size() == 1 ? "y" : "ies") << ", "
           << (dry_run ? "dry-run" : "EXECUTING commands") << "\n";
    return kExitOk;
  }

  // Block the stop signals before any thread starts (threads inherit the mask), then wait
  // for them synchronously on this thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto svc = live::LiveService::create(config, std::move(*policies.policies), dry_run);
  if (!svc) {
    io.err << svc.error().describe() << "\n";
    return kExitBadInput;
  }
  auto port = (*svc)->start();
  if (!port) {
    io.err << port.error().describe() << "\n";
    return kExitBadInput;
  }
  io.out << "selfheal serve: listening on " << config.listen_address << ":" << *port << " ("
         << (dry_run ? "dry-run: commands are computed and audited, not run"
                     : "EXECUTING kubectl/helm commands")
         << ")" << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  io.out << "selfheal serve: stopping (signal " << sig << ")" << std::endl;
  (*svc)->stop();
  return kExitOk;
}

}  // namespace selfheal::cli
