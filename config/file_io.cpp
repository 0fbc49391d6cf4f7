#include "config/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace selfheal::config {
namespace {

constexpr std::size_t kChunk = 64u << 10;

std::string size_text(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// Closes the descriptor on every path out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

core::Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  const Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    const int err = errno;
    if (err == ENOENT) return core::Error("no such file", path);
    if (err == EACCES) return core::Error("permission denied: cannot read the file", path);
    return core::Error(std::string("cannot open the file: ") + std::strerror(err), path);
  }
  struct stat sb {};
  if (::fstat(f.fd, &sb) == 0 && S_ISDIR(sb.st_mode))
    return core::Error("is a directory, not a file", path);
  const std::string too_large = "the file is larger than " + size_text(max_bytes) +
                                " (the limit for this input; see docs/errors.md)";
  if (S_ISREG(sb.st_mode) && static_cast<std::size_t>(sb.st_size) > max_bytes)
    return core::Error(too_large, path);
  std::string out;
  char buf[kChunk];
  for (;;) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::Error(std::string("cannot read the file: ") + std::strerror(errno), path);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) return core::Error(too_large, path);
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

core::Status atomic_write(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    const Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (f.fd < 0) return core::Error(std::string("cannot write: ") + std::strerror(errno), tmp);
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(f.fd, text.data() + done, text.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::unlink(tmp.c_str());
        return core::Error(std::string("cannot write: ") + std::strerror(err), tmp);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(f.fd) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return core::Error(std::string("cannot sync: ") + std::strerror(err), tmp);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return core::Error(std::string("cannot replace the file: ") + std::strerror(err), path);
  }
  // Make the rename itself durable. Best effort: some file systems refuse to fsync a
  // directory, and the data is already in place.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd >= 0) ::fsync(d.fd);
  return core::Ok{};
}

}  // namespace selfheal::config
