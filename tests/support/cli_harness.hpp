// What the CLI tests share: run `selfheal ARGS...` in-process (cli::dispatch, stdout and
// stderr captured), a temporary directory removed at scope exit, and a whole-file read.
// Header-only; include it from a test that links selfheal_cli_lib.
//
//   selfheal::test::TempDir t("sweep");
//   auto r = selfheal::test::call({"sweep", "s.yaml", "--out", t / "out"});
//   CHECK(r.rc == 0);
//   CHECK_THAT(selfheal::test::slurp(t.path / "out/summary.csv"), Catch::Contains("mttr"));
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.hpp"

namespace selfheal::test {

/// Exit code and captured output of one CLI call.
struct CliResult {
  int rc = 0;
  std::string out;
  std::string err;
};

/// Runs `selfheal args...` through cli::dispatch in this process.
inline CliResult call(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"selfheal"};
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int rc = cli::dispatch(static_cast<int>(argv.size()), argv.data(), cli::Io{out, err});
  return {rc, out.str(), err.str()};
}

/// The whole file (empty when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A fresh directory under the system temp dir, unique per process and object; removed with
/// everything in it when the object goes out of scope.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag = "test") {
    path = std::filesystem::temp_directory_path() /
           ("selfheal-" + tag + "-" + std::to_string(::getpid()) + "-" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// path / s, as a string (for argv).
  std::string operator/(const std::string& s) const { return (path / s).string(); }
};

}  // namespace selfheal::test
