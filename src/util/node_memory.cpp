// Node memory from /proc and the cgroup v2 (or v1) limit of the job.
#include "cspt/util/node_memory.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace cspt {
namespace {

/// The value (in kB) of a "Key:   123 kB" line of a /proc file, or -1.
double proc_kb(const char* path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    double kb = -1;
    fields >> kb;
    return kb;
  }
  return -1;
}

/// A number in a file ("max" or unreadable = -1).
double read_number(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  if (!(in >> word) || word == "max") return -1;
  try {
    return std::stod(word);
  } catch (...) {
    return -1;
  }
}

/// The cgroup this process is in (v2: the "0::" line of /proc/self/cgroup).
std::string own_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return "/";
}

}  // namespace

double node_available_memory_bytes() {
  const double kb = proc_kb("/proc/meminfo", "MemAvailable");
  double available = kb > 0 ? kb * 1024.0 : 0.0;
  // Under Slurm (or any cgroup limit) the job may use less than the node has free.
  const std::string dir = "/sys/fs/cgroup" + own_cgroup();
  const double limit = read_number(dir + "/memory.max");
  const double used = read_number(dir + "/memory.current");
  if (limit > 0) {
    const double room = std::max(0.0, limit - std::max(0.0, used));
    available = available > 0 ? std::min(available, room) : room;
  }
  return available;
}

double peak_resident_bytes() {
  const double kb = proc_kb("/proc/self/status", "VmHWM");
  return kb > 0 ? kb * 1024.0 : 0.0;
}

}  // namespace cspt
