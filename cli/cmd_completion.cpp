// `selfheal completion bash`: prints a bash completion script. Subcommands and each one's
// long options come from the commands' own --help texts (cli/help_text.hpp), so the script
// matches the binary that printed it. The Debian package installs its output as
// /usr/share/bash-completion/completions/selfheal.
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.hpp"
#include "cli/help_text.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {
namespace {

/// The shells a script is written for, as the usage line lists them ("bash|zsh" once a
/// second is added); the completion script offers them from that line.
constexpr const char* kShells = "bash";

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words)
    out += (out.empty() ? "" : " ") + w;
  return out;
}

void write_bash(std::ostream& os) {
  os << "# bash completion for selfheal, written by `selfheal completion bash` (" << version_line()
     << ").\n"
     << "# Install: selfheal completion bash > ~/.local/share/bash-completion/completions/"
        "selfheal\n"
     << "_selfheal() {\n"
     << "  local cur=${COMP_WORDS[COMP_CWORD]} opts words\n"
     << "  if ((COMP_CWORD == 1)); then\n"
     << "    mapfile -t COMPREPLY < <(compgen -W \"";
  for (const auto& c : commands())
    os << c.name << ' ';
  os << "--help --version\" -- \"$cur\")\n"
     << "    return\n"
     << "  fi\n"
     << "  case ${COMP_WORDS[1]} in\n";
  for (const auto& c : commands()) {
    const std::string help = command_help(c);
    const auto subs = subcommands(help);
    if (subs.empty()) {
      os << "    " << c.name << ") opts=\"" << joined(long_options(help)) << '"';
      os << " ;;\n";
      continue;
    }
    os << "    " << c.name << ") words=\"" << joined(subs) << "\"\n"
       << "      case ${COMP_WORDS[2]} in\n";
    for (const auto& sub : subs)
      os << "        " << sub << ") opts=\"" << joined(long_options(command_help(c, sub)))
         << "\" ;;\n";
    os << "        *) opts=\"--help\" ;;\n      esac ;;\n";
  }
  os << "    *) return ;;\n"
     << "  esac\n"
     << "  if [[ -n $words && COMP_CWORD -eq 2 && $cur != -* ]]; then\n"
     << "    mapfile -t COMPREPLY < <(compgen -W \"$words\" -- \"$cur\")\n"
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
      std::string("usage: selfheal completion ") + kShells +
      "\n\n"
      "Prints a shell completion script for subcommands and their options.\n"
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
