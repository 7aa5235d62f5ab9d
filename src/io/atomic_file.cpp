// Atomic whole-file writes (temp file in the same folder, fsync, rename).
#include "cspt/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

void write_all(int fd, std::string_view bytes, const std::string& where) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw IoError(where, "write", std::strerror(errno), "a writable location with enough free space");
    done += std::size_t(n);
  }
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(tmp, "", "", std::string("cannot open for writing: ") + std::strerror(errno));
  try {
    // Errors name the file the user asked for; the temporary one is removed below.
    write_all(fd, bytes, path);
    // fsync before rename: after a crash the file is either the old one or the complete new one.
    if (::fsync(fd) != 0) throw IoError(path, "fsync", std::strerror(errno), "a writable location with enough free space");
  } catch (...) {
    ::close(fd);
    std::remove(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    throw IoError(path, "", "", "cannot replace with " + tmp + ": " + reason);
  }
}

}  // namespace cspt::io
