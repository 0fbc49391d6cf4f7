// `selfheal man`: prints the manual page (roff, section 1), built from the same texts as
// --help (cli/help_text.hpp) so it cannot drift from the binary. The build writes it to
// selfheal.1.gz and the Debian package installs it (cli/CMakeLists.txt). No date is
// written, so the page is reproducible.
#include <string>
#include <string_view>

#include "cli/command.hpp"
#include "cli/help_text.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {
namespace {

/// Text as roff shows it literally: backslashes and minus signs escaped, and a line that
/// would start with a control character ('.' or '\'') protected by a zero-width `\&`.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char ch : text) {
    if (line_start && (ch == '.' || ch == '\'')) out += "\\&";
    if (ch == '\\') {
      out += "\\e";
    } else if (ch == '-') {
      out += "\\-";
    } else {
      out += ch;
    }
    line_start = ch == '\n';
  }
  return out;
}

/// Where the Debian package puts the data and docs; `cmake --install --prefix P` puts them
/// under P/share instead, which the FILES section says.
constexpr std::string_view kDataDir = "/usr/share/selfheal";
constexpr std::string_view kDocDir = "/usr/share/doc/selfheal";

void write_page(std::ostream& os) {
  const std::string datadir = roff(kDataDir);
  const std::string docdir = roff(kDocDir);
  os << ".TH SELFHEAL 1 \"\" \"" << roff(version_line()) << "\" \"User Commands\"\n"
     << ".SH NAME\nselfheal \\- remediation engine for recurring incidents, and the "
        "deterministic simulator that tests its policies\n"
     << ".SH SYNOPSIS\n.B selfheal\n.I command\n[\\fIoptions\\fR]\n"
     << ".SH DESCRIPTION\nselfheal classifies an incident, chooses the runbook action "
        "its policy names, passes every guardrail, executes, verifies, rolls back and "
        "escalates. The simulator drives the same engine in virtual time over a modelled "
        "cluster, so a policy can be checked in CI before it runs against production.\n"
     << ".SH COMMANDS\n";
  for (const auto& c : commands()) {
    os << ".SS " << c.name << "\n"
       << roff(c.summary) << ".\n.PP\n.nf\n"
       << roff(command_help(c)) << ".fi\n";
  }
  os << ".SH EXIT STATUS\n0 ok; 1 an expectation or check failed; 2 bad input (the message "
        "names the file, line and field).\n"
     << ".SH FILES\nAs the Debian package installs them; after \\fBcmake \\-\\-install "
        "\\-\\-prefix\\fR \\fIP\\fR they are under \\fIP\\fR/share instead of /usr/share.\n"
     << ".TP\n.I " << datadir << "/scenarios\nthe scenario library\n"
     << ".TP\n.I " << datadir << "/policies/examples\nexample policies\n"
     << ".TP\n.I " << datadir
     << "/examples\nexample incident, calendar and serve "
        "configuration files\n"
     << ".TP\n.I " << docdir << "\nthe documentation (README.md, docs/)\n"
     << ".SH EXAMPLES\n.nf\nselfheal check " << datadir
     << "/scenarios \\-\\-out out/library\nselfheal run " << datadir
     << "/scenarios/db\\-outage\\-fixed.yaml \\-\\-out out/db\n"
     << "source <(selfheal completion bash)\n.fi\n";
}

}  // namespace

int cmd_man(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal man [options]\n\n"
      "Prints the manual page (roff): selfheal man | man -l -\n\noptions");
  opts.add_options()("help,h", "show this help");
  po::variables_map vm;
  if (int rc = parse_options(args, opts, {}, {}, vm, io); rc >= 0) return rc;
  write_page(io.out);
  return kExitOk;
}

}  // namespace selfheal::cli
