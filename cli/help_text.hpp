// What `selfheal completion` and `selfheal man` are generated from: the subcommands' own
// `--help` texts, so the completion script and the manual page can never drift from the
// options a command really accepts.
//
//   const std::string help = command_help(commands()[0]);   // "usage: selfheal run ..."
//   long_options(help);                                      // {"--help", "--seed", ...}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/command.hpp"

namespace selfheal::cli {

/// The program's version as `--version` prints it ("selfheal 0.1.0"); the CMake project
/// version, so the package and the binary agree.
std::string_view version_line();

/// The top-level usage text (`selfheal --help`).
std::string usage_text();

/// What `selfheal <c.name> [sub] --help` prints (run in-process; nothing else happens).
std::string command_help(const Command& c, const std::string& sub = {});

/// The sub-commands a help text's usage line names, e.g. {"alerts", "cluster"} for
/// "usage: selfheal import alerts|cluster [options]"; empty for a plain command.
std::vector<std::string> subcommands(std::string_view help);

/// The long options (`--name`) a help text lists in its option column, in order, each
/// once. Options named only in descriptions are not listed.
std::vector<std::string> long_options(std::string_view help);

}  // namespace selfheal::cli
