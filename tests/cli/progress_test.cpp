// The one progress display of `sweep`, `check` and `backtest` (issue 19): drawn only when
// asked or on a terminal, the bar's text, and the first and last states always drawn. The
// real terminal path is scripts/check-progress-tty (a pseudo-terminal).
#include <catch2/catch.hpp>

#include <sstream>

#include "cli/progress.hpp"
#include "tests/support/cli_harness.hpp"

namespace cli = selfheal::cli;

TEST_CASE("progress: auto draws only on a terminal, always and never force it", "[progress]") {
  using M = cli::ProgressMode;
  CHECK(cli::progress_enabled(M::kAuto, true));
  CHECK_FALSE(cli::progress_enabled(M::kAuto, false));
  CHECK(cli::progress_enabled(M::kAlways, false));
  CHECK_FALSE(cli::progress_enabled(M::kNever, true));
  CHECK(cli::parse_progress_mode("always") == M::kAlways);
  CHECK_FALSE(cli::parse_progress_mode("sometimes"));
}

TEST_CASE("progress: the bar, the count, the rate and the ETA", "[progress]") {
  CHECK(cli::progress_line(412, 1000, 0.5, "runs") ==
        "[#########...............] 412/1000 runs  824 runs/s  ETA 0m01s");
  CHECK(cli::progress_line(3, 3, 2.0, "scenarios") ==
        "[########################] 3/3 scenarios  2 scenarios/s");
  CHECK(cli::progress_line(0, 10, 0.0, "notifications") ==
        "[........................] 0/10 notifications  0 notifications/s");
}

TEST_CASE("progress: nothing when disabled, first and last state and a newline when enabled",
          "[progress]") {
  std::ostringstream quiet;
  {
    cli::Progress p(quiet, false, "runs");
    p.update(0, 2);
    p.update(2, 2);
  }
  CHECK(quiet.str().empty());
  std::ostringstream shown;
  {
    cli::Progress p(shown, true, "runs");
    p.update(0, 2);
    p.update(2, 2);  // the final state is drawn whatever the time since the last
    p.finish();
    p.update(2, 2);  // after finish: nothing more
  }
  const std::string s = shown.str();
  CHECK(s.rfind("\r[........................] 0/2 runs", 0) == 0);
  CHECK_THAT(s, Catch::Contains("\r[########################] 2/2 runs"));
  CHECK(s.back() == '\n');
  CHECK(s.find('\n') == s.size() - 1);
}

TEST_CASE("check and backtest take --progress like sweep, and refuse a bad value", "[progress]") {
  using selfheal::test::call;
  for (const char* cmd : {"check", "backtest", "sweep"}) {
    INFO(cmd);
    const auto r = call({cmd, "--progress", "sometimes", "x.yaml"});
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("--progress must be auto, always or never"));
  }
  // Forced on, check draws to stderr even though a test's stream is no terminal.
  const auto r = call({"check", "tests/sweep/data/db-outage-varied.yaml", "--no-counterfactuals",
                       "--progress", "always"});
  CHECK(r.rc <= 1);
  CHECK_THAT(r.err, Catch::Contains("\r[########################] 1/1 scenarios"));
  const auto q = call({"check", "tests/sweep/data/db-outage-varied.yaml", "--no-counterfactuals",
                       "--progress", "never"});
  CHECK(q.err.find('\r') == std::string::npos);
}
