// One-line log messages on stderr, filtered by a process-wide verbosity.
#include "cspt/util/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace cspt {
namespace {

std::atomic<Verbosity> g_verbosity{Verbosity::normal};

// Everything that writes to stderr through this module shares one lock, so a log line can
// never split a progress line in two, nor two log lines interleave.
struct StderrState {
  std::mutex mutex;
  LogSink sink;
  bool line_open = false;  // the last raw write left the cursor mid-line (a terminal progress bar)
};

StderrState& state() {
  static StderrState s;
  return s;
}

void put(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

void set_verbosity(Verbosity v) { g_verbosity.store(v, std::memory_order_relaxed); }

Verbosity verbosity() { return g_verbosity.load(std::memory_order_relaxed); }

bool log_enabled(LogLevel level) {
  switch (verbosity()) {
    case Verbosity::quiet: return level == LogLevel::error;
    case Verbosity::normal: return level != LogLevel::detail;
    case Verbosity::verbose: return true;
  }
  return true;
}

void log_line(LogLevel level, std::string_view text) {
  if (!log_enabled(level)) return;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  std::string line(text);
  StderrState& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  if (s.sink) {
    s.sink(line);
    return;
  }
  if (s.line_open) {
    // A progress bar is drawn on the current line: on a terminal, erase it (it is redrawn on
    // its next update); anywhere else, end the line so the message starts on its own.
    put(isatty(fileno(stderr)) ? "\r\x1b[K" : "\n");
    s.line_open = false;
  }
  line += '\n';
  put(line);
}

void set_log_sink(LogSink sink) {
  StderrState& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  s.sink = std::move(sink);
}

void write_to_stderr(std::string_view text) {
  if (text.empty()) return;
  StderrState& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  put(text);
  s.line_open = text.back() != '\n';
}

}  // namespace cspt
