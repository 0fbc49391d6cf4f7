// reports::write_file: an output file is replaced whole or not at all.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "reports/writers.hpp"

namespace writers_test {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Lowers the process's file-size limit (a full disk, for one write), restored on exit.
struct FileSizeLimit {
  rlimit old{};
  void (*old_handler)(int) = nullptr;
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &old);
    old_handler = std::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG
    rlimit lowered = old;
    lowered.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
  }
};

TEST_CASE("a write that fails half-way leaves the old file (a baseline) intact", "[reports]") {
  // `check --update-baseline` and `--junit` truncated the file first: a full disk left half a
  // baseline, which the next `check --baseline` read as the truth.
  const auto dir = std::filesystem::temp_directory_path() /
                   ("selfheal-writers-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string path = (dir / "baseline.json").string();
  REQUIRE(selfheal::reports::write_file(path, "{\"old\": true}\n"));
  {
    const FileSizeLimit limit(4096);
    const auto st = selfheal::reports::write_file(path, std::string(64 * 1024, 'x'));
    CHECK_FALSE(st);
  }
  CHECK(slurp(path) == "{\"old\": true}\n");
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  REQUIRE(selfheal::reports::write_file(path, "new\n"));
  CHECK(slurp(path) == "new\n");
  std::filesystem::remove_all(dir);
}

}  // namespace writers_test
