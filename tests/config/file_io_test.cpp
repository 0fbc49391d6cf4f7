// The one bounded file read and the one atomic write.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "config/file_io.hpp"

namespace config = selfheal::config;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    dir_ = fs::temp_directory_path() / ("selfheal-config-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~TempDir() { fs::remove_all(dir_); }
  std::string file(const std::string& name, const std::string& text) const {
    const auto p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

}  // namespace

TEST_CASE("read_file returns the whole file", "[config][file]") {
  TempDir t;
  const auto p = t.file("a.yaml", "key: value\nother: 1\n");
  auto r = config::read_file(p);
  REQUIRE(r);
  CHECK(*r == "key: value\nother: 1\n");
}

TEST_CASE("read_file names each way a file cannot be read", "[config][file]") {
  TempDir t;
  auto missing = config::read_file(t.path("nope.yaml"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().describe() == t.path("nope.yaml") + ": no such file");

  auto dir = config::read_file(t.path(""));
  REQUIRE_FALSE(dir);
  CHECK(dir.error().message == "is a directory, not a file");

  const auto big = t.file("big.yaml", std::string(2000, 'x'));
  auto large = config::read_file(big, 1000);
  REQUIRE_FALSE(large);
  CHECK(large.error().message.find("larger than 1000 bytes") != std::string::npos);
  CHECK(config::read_file(big, 2000));

  if (::geteuid() != 0) {  // root reads anything
    const auto secret = t.file("secret", "x");
    ::chmod(secret.c_str(), 0);
    auto denied = config::read_file(secret);
    REQUIRE_FALSE(denied);
    CHECK(denied.error().message.find("permission denied") != std::string::npos);
  }
}

TEST_CASE("read_file stops at the limit on an endless device", "[config][file]") {
  // /dev/zero has no size: the read must stop at the limit, not exhaust memory.
  auto r = config::read_file("/dev/zero", 4096);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("larger than 4 KiB") != std::string::npos);
}

TEST_CASE("atomic_write replaces the file and leaves no temporary behind", "[config][file]") {
  TempDir t;
  const auto p = t.file("state.json", "old");
  REQUIRE(config::atomic_write(p, "new content\n"));
  CHECK(*config::read_file(p) == "new content\n");
  CHECK_FALSE(fs::exists(p + ".tmp"));
  // Into a directory that does not exist: an error naming the temporary, nothing written.
  auto bad = config::atomic_write(t.path("no/such/dir/x.json"), "x");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().file == t.path("no/such/dir/x.json") + ".tmp");
}
