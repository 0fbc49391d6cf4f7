// `selfheal completion bash`: prints a bash completion script. Subcommands and each one's
// long options come from the commands' own --help texts (cli/help_text.hpp), so the script
// matches the binary that printed it. The Debian package installs its output as
// /usr/share/bash-completion/completions/selfheal.
#include <string>

#include "cli/command.hpp"
#include "cli/help_text.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {
namespace {

/// The shells a script is written for; more can be added beside bash.
constexpr const char* kShells = "bash";

void write_bash(std::ostream& os) {
  os << "# bash completion for selfheal, written by `selfheal completion bash` (" << version_line()
     << ").\n"
     << "# Install: selfheal completion bash > ~/.local/share/bash-completion/completions/"
        "selfheal\n"
     << "_selfheal() {\n"
     << "  local cur=${COMP_WORDS[COMP_CWORD]} opts\n"
     << "  if ((COMP_CWORD == 1)); then\n"
     << "    mapfile -t COMPREPLY < <(compgen -W \"";
  for (const auto& c : commands())
    os << c.name << ' ';
  os << "--help --version\" -- \"$cur\")\n"
     << "    return\n"
     << "  fi\n"
     << "  case ${COMP_WORDS[1]} in\n";
  for (const auto& c : commands()) {
    os << "    " << c.name << ") opts=\"";
    const auto options = long_options(command_help(c));
    for (std::size_t i = 0; i < options.size(); ++i)
      os << (i ? " " : "") << options[i];
    os << "\" ;;\n";
  }
  os << "    *) return ;;\n"
     << "  esac\n"
     << "  if [[ ${COMP_WORDS[1]} == completion && $cur != -* ]]; then\n"
     << "    mapfile -t COMPREPLY < <(compgen -W \"" << kShells << "\" -- \"$cur\")\n"
     << "  elif [[ $cur == -* ]]; then\n"
     << "    mapfile -t COMPREPLY < <(compgen -W \"$opts\" -- \"$cur\")\n"
     << "  else\n"
     << "    compopt -o filenames 2>/dev/null\n"
     << "    mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
     << "  fi\n"
     << "}\n"
     << "complete -F _selfheal selfheal\n";
}

}  // namespace

int cmd_completion(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal completion SHELL\n\n"
      "Prints a shell completion script for subcommands and their options. SHELL: bash.\n"
      "  source <(selfheal completion bash)      # this shell only\n\n"
      "options");
  opts.add_options()("help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("shell", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("shell", 1);
  po::variables_map vm;
  if (int rc = parse_options(args, opts, hidden, pos, vm, io); rc >= 0) return rc;
  if (vm.count("shell") == 0U) {
    io.err << "error: completion: name a shell (" << kShells << ")\n";
    return kExitBadInput;
  }
  const std::string shell = vm["shell"].as<std::string>();
  if (shell != "bash") {
    io.err << "error: completion: unknown shell \"" << shell << "\" (known: " << kShells << ")\n";
    return kExitBadInput;
  }
  write_bash(io.out);
  return kExitOk;
}

}  // namespace selfheal::cli
