#include "cli/help_text.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#ifndef SELFHEAL_VERSION
#error "SELFHEAL_VERSION is set by cli/CMakeLists.txt from the project version"
#endif

namespace selfheal::cli {

std::string_view version_line() {
  return "selfheal " SELFHEAL_VERSION;
}

std::string usage_text() {
  std::ostringstream os;
  os << "usage: selfheal <command> [options]\n\n"
     << "Validate remediation policies in a simulated cluster, gate CI on what automation\n"
     << "does, and run the same engine live.\n\ncommands:\n";
  for (const auto& c : commands()) {
    std::string name = c.name;
    name.resize(11, ' ');
    os << "  " << name << c.summary << '\n';
  }
  os << "\nRun `selfheal <command> --help` for a command's options.\n"
     << "Exit codes: 0 ok, 1 an expectation or check failed, 2 bad input.\n";
  return os.str();
}

std::string command_help(const Command& c, const std::string& sub) {
  std::ostringstream out;
  std::ostringstream err;
  c.run(sub.empty() ? Args{"--help"} : Args{sub, "--help"}, Io{out, err});
  return out.str();
}

std::vector<std::string> subcommands(std::string_view help) {
  // "usage: selfheal NAME a|b|c ...": the word after the command name, when it is written
  // in lower case (a literal word to type: "import alerts|cluster", "completion bash"), not an
  // option ("--policy"), an optional part ("[options]") or a placeholder ("SCENARIO").
  std::istringstream first{std::string(help.substr(0, help.find('\n')))};
  std::string usage, program, name, word;
  first >> usage >> program >> name >> word;
  std::vector<std::string> out;
  const bool literal = !word.empty() && std::all_of(word.begin(), word.end(), [](char ch) {
    return std::islower(static_cast<unsigned char>(ch)) || ch == '|' || ch == '-';
  });
  if (usage != "usage:" || !literal || word.front() == '-') return out;
  std::istringstream parts{word};
  for (std::string p; std::getline(parts, p, '|');)
    if (!p.empty()) out.push_back(p);
  return out;
}

std::vector<std::string> long_options(std::string_view help) {
  // Boost.Program_options prints an option as "  -h [ --help ]   text" or
  // "  --seed arg   text", indented, in the "options:" block; the option column ends at the
  // first run of two spaces. Prose before the block may start a line with an option name
  // ("--baseline, also fail ..."), so only lines indented by two spaces after a line
  // ending in ':' count.
  // Boost indents an option by two spaces; a wrapped description line is indented deeper.
  constexpr std::size_t kOptionIndent = 2;
  std::vector<std::string> out;
  std::istringstream lines{std::string(help)};
  std::string line;
  bool in_block = false;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == ':' && line.front() != ' ') {
      in_block = true;
      continue;
    }
    const auto first = line.find_first_not_of(' ');
    if (!in_block || first != kOptionIndent || line[first] != '-') continue;
    const auto gap = line.find("  ", first);
    const std::string column = line.substr(first, gap == std::string::npos ? gap : gap - first);
    std::istringstream words{column};
    std::string w;
    while (words >> w) {
      const bool name =
          w.size() > 2 && w.starts_with("--") && std::all_of(w.begin() + 2, w.end(), [](char ch) {
            return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-';
          });
      if (name && std::find(out.begin(), out.end(), w) == out.end()) {
        out.push_back(w);
      }
    }
  }
  return out;
}

}  // namespace selfheal::cli
