// The one way selfheal reads an input file whole and replaces a file it owns.
//
// read_file refuses, each with its own words: a missing file, a directory, a file it may not
// read, and a file larger than `max_bytes` (read in chunks, so /dev/zero or a FIFO cannot
// exhaust memory: at most max_bytes + 1 bytes are ever held).
//
//   auto text = config::read_file("policies/prod.yaml");      // kMaxInputBytes
//   if (!text) std::cerr << text.error().describe() << "\n";
//   // -> policies/prod.yaml: no such file
//
// atomic_write writes `<file>.tmp`, fsyncs it, renames it over `file` and fsyncs the
// directory, so a reader (or a crash) sees the old content or the new, never a mix.
#pragma once

#include <cstddef>
#include <string>

#include "core/result.hpp"

namespace selfheal::config {

/// Largest config or input file read (policy, scenario, serve config, classifier model,
/// incident and state JSON): 8 MiB. The shipped scenarios are under 20 KiB; a scenario
/// past this is machine-written and belongs in several files (docs/errors.md).
inline constexpr std::size_t kMaxInputBytes = 8u << 20;
/// Largest secret file (a bearer token, a webhook URL): 64 KiB.
inline constexpr std::size_t kMaxSecretBytes = 64u << 10;

/// The whole file, or an Error (file set, message saying what is wrong).
core::Result<std::string> read_file(const std::string& path,
                                    std::size_t max_bytes = kMaxInputBytes);

/// Replaces `path` with `text` atomically (temp file + fsync + rename + directory fsync).
core::Status atomic_write(const std::string& path, const std::string& text);

}  // namespace selfheal::config
