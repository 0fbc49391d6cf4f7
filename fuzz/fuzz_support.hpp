// Shared by the libFuzzer harnesses (fuzz/README in docs/fuzzing.md).
//
// A harness calls the library entry point the product calls on the same bytes and catches
// only what the product itself catches there: an exception that escapes, an abort, an ASan
// report or UBSan's undefined behaviour is a finding. Nothing here reads the wall clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <unistd.h>

namespace selfheal::fuzz {

/// The fuzzer's bytes as text.
inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The repository root (compiled in), for inputs that name policy files relative to it.
inline std::string source_dir() {
  return SELFHEAL_SOURCE_DIR;
}

/// A private scratch directory for harnesses that must hand the product a file path
/// (`selfheal decide --incident FILE`); one per process so parallel jobs do not collide,
/// removed when the process exits normally (a crash leaves it for inspection).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto d =
        std::filesystem::temp_directory_path() / ("selfheal-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

/// Writes `bytes` to `path`, replacing it.
inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace selfheal::fuzz
