// `selfheal completion bash` and `selfheal man`: generated from the subcommands' --help
// texts, so every option a command accepts is completed and documented.
#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "cli/help_text.hpp"
#include "tests/support/cli_harness.hpp"

namespace cli = selfheal::cli;
using selfheal::test::call;

TEST_CASE("long_options reads the option column of the options block only", "[cli][manual]") {
  const std::string help =
      "usage: selfheal x [options]\n"
      "--baseline, a prose line that starts with an option name\n"
      "\n"
      "options:\n"
      "  -h [ --help ]         show this help\n"
      "  --seed arg            seed; see also --not-an-option\n"
      "  --set arg             PATH=VALUE\n"
      "                        --continuation-line-is-prose\n"
      "  --seed arg            listed twice\n";
  CHECK(cli::long_options(help) == std::vector<std::string>{"--help", "--seed", "--set"});
}

TEST_CASE("the bash completion lists every subcommand and each one's options", "[cli][manual]") {
  auto r = call({"completion", "bash"});
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("complete -F _selfheal selfheal"));
  const auto joined = [](const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words)
      out += (out.empty() ? "" : " ") + w;
    return out;
  };
  for (const auto& c : cli::commands()) {
    INFO(c.name);
    const std::string help = cli::command_help(c);
    const auto subs = cli::subcommands(help);
    if (subs.empty()) {
      const auto options = cli::long_options(help);
      REQUIRE(!options.empty());
      CHECK_THAT(r.out, Catch::Contains(std::string("    ") + c.name + ") opts=\"" +
                                        joined(options) + "\""));
      continue;
    }
    CHECK_THAT(r.out, Catch::Contains(std::string("    ") + c.name + ") words=\"" + joined(subs)));
    for (const auto& sub : subs) {
      INFO(sub);
      const auto options = cli::long_options(cli::command_help(c, sub));
      REQUIRE(!options.empty());
      CHECK_THAT(r.out, Catch::Contains("        " + sub + ") opts=\"" + joined(options) + "\""));
    }
  }
  const auto run_options = cli::long_options(cli::command_help(cli::commands()[0]));
  CHECK(std::find(run_options.begin(), run_options.end(), "--seed") != run_options.end());
}

TEST_CASE("subcommands reads a usage line that lists sub-commands", "[cli][manual]") {
  CHECK(cli::subcommands("usage: selfheal import alerts|cluster [options]\n  alerts ...\n") ==
        std::vector<std::string>{"alerts", "cluster"});
  CHECK(cli::subcommands("usage: selfheal run [options] SCENARIO...\n").empty());
  CHECK(cli::subcommands("usage: selfheal x --a|--b\n").empty());
}

TEST_CASE("completion needs a known shell, exit 2 otherwise", "[cli][manual]") {
  auto none = call({"completion"});
  CHECK(none.rc == 2);
  CHECK_THAT(none.err, Catch::Contains("name a shell"));
  auto zsh = call({"completion", "zsh"});
  CHECK(zsh.rc == 2);
  CHECK_THAT(zsh.err, Catch::Contains("unknown shell \"zsh\""));
  CHECK(zsh.out.empty());
}

TEST_CASE("the manual page is roff with a section per subcommand, options escaped",
          "[cli][manual]") {
  auto r = call({"man"});
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, Catch::StartsWith(".TH SELFHEAL 1 \"\" \"selfheal "));
  for (const auto& c : cli::commands()) {
    INFO(c.name);
    CHECK_THAT(r.out, Catch::Contains(std::string("\n.SS ") + c.name + "\n"));
  }
  CHECK_THAT(r.out, Catch::Contains("\\-\\-seed"));
  // Every line that starts with a control character is a macro this page writes on
  // purpose; help text never starts a line with one (it is escaped with \&).
  std::istringstream lines{r.out};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || (line[0] != '.' && line[0] != '\'')) continue;
    INFO(line);
    const std::string macro = line.substr(0, line.find(' '));
    CHECK((macro == ".TH" || macro == ".SH" || macro == ".SS" || macro == ".B" || macro == ".I" ||
           macro == ".PP" || macro == ".nf" || macro == ".fi" || macro == ".TP"));
  }
  CHECK(r.out.find(" --") == std::string::npos);
}
