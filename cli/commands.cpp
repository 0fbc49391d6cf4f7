// The subcommand table. Each entry's implementation lives in cmd_<name>.cpp.
#include "cli/command.hpp"

namespace selfheal::cli {

int cmd_run(const Args& args, Io io);
int cmd_check(const Args& args, Io io);
int cmd_sweep(const Args& args, Io io);
int cmd_merge(const Args& args, Io io);
int cmd_decide(const Args& args, Io io);
int cmd_lint(const Args& args, Io io);
int cmd_serve(const Args& args, Io io);
int cmd_import(const Args& args, Io io);
int cmd_backtest(const Args& args, Io io);
int cmd_completion(const Args& args, Io io);
int cmd_promote(const Args& args, Io io);
int cmd_man(const Args& args, Io io);

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands{
      {"run", "run scenarios in the simulator and write reports", cmd_run},
      {"check", "run scenarios and gate on their expectations (CI)", cmd_check},
      {"sweep", "Monte Carlo runs and parameter grids over a scenario", cmd_sweep},
      {"merge", "combine sweep shard outputs", cmd_merge},
      {"decide", "decide one incident against a policy (the seed's remediate())", cmd_decide},
      {"lint", "validate policy files", cmd_lint},
      {"serve", "run the engine live: Alertmanager in, kubectl/helm out", cmd_serve},
      {"import", "import alert history, a cluster, or an incident as a scenario", cmd_import},
      {"backtest", "replay an alert history through a policy, open loop", cmd_backtest},
      {"promote", "evidence from serve's audit for shadow -> recommend -> auto", cmd_promote},
      {"completion", "print a shell completion script (bash)", cmd_completion},
      {"man", "print the manual page (roff)", cmd_man},
  };
  return kCommands;
}

}  // namespace selfheal::cli
