// Clean stops for batch jobs: a stop requested by a signal, and a wall-clock deadline.
#include "cspt/util/stop_request.hpp"

#include "cspt/util/error.hpp"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace cspt {
namespace {

constexpr int kStopSignals[] = {SIGTERM, SIGINT, SIGUSR1};
constexpr int kSignalCount = 3;

// Written only by the handler (and clear_stop_request). volatile sig_atomic_t is what a handler
// may portably write; readers poll from the main thread at checkpoint boundaries.
volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_interrupted = 0;  // a SIGINT or SIGTERM has arrived

struct Installation {
  std::mutex mutex;
  bool installed = false;
  bool replaced[kSignalCount] = {};
  struct sigaction previous[kSignalCount] = {};
};

Installation& installation() {
  static Installation i;
  return i;
}

// Async-signal-safe: touches only sig_atomic_t flags, sigaction and raise, and keeps errno.
extern "C" void on_stop_signal(int sig) {
  const int saved_errno = errno;
  if (sig == SIGINT || sig == SIGTERM) {
    if (g_interrupted) {
      // The second interrupt: the user means it. The signal is blocked while this handler runs,
      // so the re-raised one is delivered, with its default action, as soon as we return.
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      sigemptyset(&dfl.sa_mask);
      sigaction(sig, &dfl, nullptr);
      raise(sig);
      errno = saved_errno;
      return;
    }
    g_interrupted = 1;
  }
  if (g_stop_signal == 0) g_stop_signal = sig;
  errno = saved_errno;
}

void restore_locked(Installation& inst) {
  for (int i = 0; i < kSignalCount; ++i) {
    if (inst.replaced[i]) sigaction(kStopSignals[i], &inst.previous[i], nullptr);
    inst.replaced[i] = false;
  }
  inst.installed = false;
}

std::atomic<double> g_deadline_epoch_s{0.0};  // 0: no deadline

const char* signal_name(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    default: return "";
  }
}

}  // namespace

void install_stop_handlers() {
  Installation& inst = installation();
  const std::lock_guard<std::mutex> lock(inst.mutex);
  if (inst.installed) return;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : kStopSignals) sigaddset(&sa.sa_mask, s);  // one handler at a time per thread
  sa.sa_flags = SA_RESTART;  // a read or write interrupted by the signal resumes, no EINTR
  for (int i = 0; i < kSignalCount; ++i) {
    const int sig = kStopSignals[i];
    if (sigaction(sig, nullptr, &inst.previous[i]) != 0) continue;
    // A signal ignored at start stays ignored (a shell starts background jobs with SIGINT ignored).
    if (!(inst.previous[i].sa_flags & SA_SIGINFO) && inst.previous[i].sa_handler == SIG_IGN) continue;
    if (sigaction(sig, &sa, nullptr) != 0) {
      const std::string reason = std::strerror(errno);
      restore_locked(inst);
      throw Error("install_stop_handlers", "sigaction(" + std::string(signal_name(sig)) + ")", reason,
                  "the stop handler could not be installed");
    }
    inst.replaced[i] = true;
  }
  inst.installed = true;
}

void uninstall_stop_handlers() {
  Installation& inst = installation();
  const std::lock_guard<std::mutex> lock(inst.mutex);
  if (inst.installed) restore_locked(inst);
}

bool stop_requested() { return g_stop_signal != 0; }

int stop_signal() { return g_stop_signal; }

const char* stop_signal_name() { return signal_name(g_stop_signal); }

void clear_stop_request() {
  g_stop_signal = 0;
  g_interrupted = 0;
}

void set_deadline_epoch_s(double epoch_s) {
  g_deadline_epoch_s.store(std::isfinite(epoch_s) && epoch_s > 0 ? epoch_s : 0.0);
}

void clear_deadline() { g_deadline_epoch_s.store(0.0); }

std::optional<double> deadline_epoch_s() {
  const double d = g_deadline_epoch_s.load();
  if (d > 0) return d;
  return std::nullopt;
}

bool deadline_from_environment() {
  const char* text = std::getenv("CSPT_DEADLINE_EPOCH");
  if (!text || !*text) return false;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  while (end && (*end == ' ' || *end == '\n' || *end == '\t')) ++end;
  // Above 1e11 s (year 5138) the value is almost surely in milliseconds: refuse it rather than
  // run with a deadline that never comes.
  if (end == text || *end != '\0' || !std::isfinite(value) || value <= 0 || value > 1e11)
    throw ConfigError("environment", "CSPT_DEADLINE_EPOCH", text,
                      "must be a Unix time in seconds, as printed by `date +%s`");
  set_deadline_epoch_s(value);
  return true;
}

double now_epoch_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool time_left_for(double seconds_needed, double margin_s) {
  const double deadline = g_deadline_epoch_s.load();
  if (deadline <= 0) return true;
  // Written so that a NaN estimate gives false: when in doubt, stop while it is still clean.
  return now_epoch_s() + seconds_needed + margin_s < deadline;
}

}  // namespace cspt
