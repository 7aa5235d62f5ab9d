// Scratch files and the harness table shared by libFuzzer and the replay driver.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "fuzz_target.hpp"

namespace cspt::fuzz {

std::string scratch_file(const std::uint8_t* data, std::size_t size, const std::string& suffix) {
  // /dev/shm when there is one: the fuzzer rewrites this file tens of thousands of times a second.
  static const std::filesystem::path dir = [] {
    const char* env = std::getenv("CSPT_FUZZ_SCRATCH");
    if (env != nullptr && *env != '\0') return std::filesystem::path(env);
    if (std::filesystem::is_directory("/dev/shm")) return std::filesystem::path("/dev/shm");
    return std::filesystem::temp_directory_path();
  }();
  const std::string path = (dir / ("cspt_fuzz_" + std::to_string(::getpid()) + suffix)).string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error("fuzz scratch file " + path + ": cannot create");
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("fuzz scratch file " + path + ": short write");
    }
    done += std::size_t(n);
  }
  ::close(fd);
  return path;
}

Harness harness_named(std::string_view name) {
  if (name == "mrc") return &mrc;
  if (name == "star") return &star;
  if (name == "mdoc") return &mdoc;
  if (name == "config") return &config;
  if (name == "imod") return &imod;
  if (name == "project") return &project;
  return nullptr;
}

}  // namespace cspt::fuzz
