// Progress reporting for long stages: a redrawn bar on a terminal, occasional plain lines in batch logs.
#include "cspt/util/progress.hpp"

#include "cspt/util/log.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cspt {
namespace {

constexpr int kBarWidth = 24;

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int terminal_columns() {
  winsize ws{};
  if (ioctl(fileno(stderr), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    const int n = std::atoi(c);
    if (n > 0) return n;
  }
  return 80;
}

// What every line is made of: one consistent reading of the counter and the clock.
struct Snapshot {
  std::int64_t done, total;
  double elapsed_s;

  // Over a fraction of a second the rate is noise (3 items in a microsecond is not 3e6/s), so
  // lines leave out the rate and ETA until this much time has passed.
  static constexpr double kMinRateWindow_s = 0.1;
  bool rate_known() const { return elapsed_s >= kMinRateWindow_s; }
  double rate() const { return rate_known() ? double(done) / elapsed_s : 0.0; }
  double eta_s() const {
    if (done >= total) return 0.0;
    const double r = rate();
    return r > 0 ? double(total - done) / r : NAN;
  }
  int percent() const { return int(std::clamp(100.0 * double(done) / double(total), 0.0, 100.0)); }
};

// Appends the pieces in order. (Chains of `"literal" + std::string` trip a false -Wrestrict
// warning in GCC 12, so lines are built with append.)
template <class... Parts>
void append(std::string& s, const Parts&... parts) {
  (s.append(parts), ...);
}

std::string count_text(const Snapshot& s, const std::string& unit) {
  std::string t = std::to_string(s.done);
  if (s.total > 0) append(t, "/", std::to_string(s.total));
  if (!unit.empty()) append(t, " ", unit);
  return t;
}

std::string bar_text(int percent) {
  const int filled = kBarWidth * percent / 100;
  std::string bar = "[";
  bar.append(std::size_t(filled), '=');
  if (filled < kBarWidth) {
    bar += '>';
    bar.append(std::size_t(kBarWidth - filled - 1), ' ');
  }
  return bar += ']';
}

std::string percent_text(int percent) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%3d%%", percent);
  return buf;
}

// "label [=====>     ]  30% 120/400 particles 5.5/s ETA 51s", cut so it never wraps.
std::string terminal_line(const std::string& label, const std::string& unit, const Snapshot& s, int columns) {
  std::string t = label;
  if (s.total > 0) append(t, " ", bar_text(s.percent()), " ", percent_text(s.percent()));
  append(t, " ", count_text(s, unit));
  if (s.rate_known()) append(t, " ", format_rate(s.rate()), "/s");
  if (s.rate_known() && s.total > 0) append(t, " ETA ", format_duration(s.eta_s()));
  if (columns > 1 && t.size() >= std::size_t(columns)) t.resize(std::size_t(columns - 1));
  std::string line = "\r";
  append(line, t, "\x1b[K");
  return line;
}

// "label: 120/400 particles (30%) after 22s, 5.5/s, ETA 51s"
std::string batch_line(const std::string& label, const std::string& unit, const Snapshot& s) {
  std::string t = label;
  append(t, ": ", count_text(s, unit));
  if (s.total > 0) append(t, " (", std::to_string(s.percent()), "%)");
  append(t, " after ", format_duration(s.elapsed_s));
  if (s.rate_known()) append(t, ", ", format_rate(s.rate()), "/s");
  if (s.rate_known() && s.total > 0) append(t, ", ETA ", format_duration(s.eta_s()));
  return t += '\n';
}

}  // namespace

ProgressBar::ProgressBar(std::string label, std::int64_t total, std::string unit, ProgressOptions options)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      options_(std::move(options)),
      mode_(options_.sink && options_.mode == ProgressMode::automatic ? ProgressMode::batch
                                                                      : resolve_progress_mode(options_.mode)),
      active_(options_.enabled && verbosity() != Verbosity::quiet) {
  if (!options_.clock) options_.clock = steady_seconds;
  if (!options_.sink) options_.sink = [](const std::string& text) { write_to_stderr(text); };
  if (!active_) return;
  columns_ = options_.columns > 0 ? options_.columns : terminal_columns();
  start_s_ = options_.clock();
  if (mode_ == ProgressMode::terminal) {
    const std::lock_guard<std::mutex> lock(mutex_);
    render_locked(0, start_s_);  // show the empty bar at once, so the user knows the stage began
  } else {
    next_render_s_.store(start_s_ + options_.interval_s);
  }
}

ProgressBar::~ProgressBar() {
  try {
    finish_with(total_ > 0 && done() >= total_);
  } catch (...) {
    // Progress output is best effort; a destructor must not throw.
  }
}

void ProgressBar::advance(std::int64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  if (active_) maybe_render();
}

void ProgressBar::set(std::int64_t done) {
  done_.store(done, std::memory_order_relaxed);
  if (active_) maybe_render();
}

void ProgressBar::finish() { finish_with(true); }

// The fast path is one clock read and one relaxed load; only a thread that finds a line due
// tries the lock, and if another thread holds it (it is already drawing), it just goes on.
void ProgressBar::maybe_render() {
  const double now = options_.clock();
  if (now < next_render_s_.load(std::memory_order_relaxed)) return;
  const std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_.load() || now < next_render_s_.load()) return;
  render_locked(done_.load(), now);  // the latest count, not the caller's
}

void ProgressBar::render_locked(std::int64_t done, double now) {
  const bool terminal = mode_ == ProgressMode::terminal;
  next_render_s_.store(now + (terminal ? options_.redraw_interval_s : options_.interval_s));
  const Snapshot s{done, total_, now - start_s_};
  emit(terminal ? terminal_line(label_, unit_, s, columns_) : batch_line(label_, unit_, s));
}

void ProgressBar::finish_with(bool completed) {
  if (finished_.exchange(true) || !active_) return;
  const std::lock_guard<std::mutex> lock(mutex_);
  const Snapshot s{done(), total_, options_.clock() - start_s_};
  std::string text = label_;
  if (completed)
    append(text, ": ", count_text(s, unit_), " in ", format_duration(s.elapsed_s));
  else
    append(text, ": stopped at ", count_text(s, unit_), " after ", format_duration(s.elapsed_s));
  if (s.rate_known()) append(text, " (", format_rate(s.rate()), "/s)");
  // On a terminal the final line replaces the bar; erasing to the end removes what is left of it.
  std::string line = mode_ == ProgressMode::terminal ? "\r" : "";
  append(line, text, mode_ == ProgressMode::terminal ? "\x1b[K\n" : "\n");
  emit(line);
}

void ProgressBar::emit(const std::string& text) {
  try {
    options_.sink(text);
  } catch (...) {
    // A failing sink must not abort the computation (advance runs inside OpenMP loops).
  }
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 3.6e8) return "?";
  const long long s = std::llround(seconds);
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    const long long m = std::llround(seconds / 60.0);
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", m / 60, m % 60);
  }
  return buf;
}

std::string format_rate(double per_second) {
  if (!std::isfinite(per_second) || per_second <= 0) return "0";
  char buf[32];
  if (per_second >= 100)
    std::snprintf(buf, sizeof buf, "%.0f", per_second);
  else if (per_second >= 1)
    std::snprintf(buf, sizeof buf, "%.1f", per_second);
  else if (per_second >= 0.001)
    std::snprintf(buf, sizeof buf, "%.2g", per_second);
  else
    return "<0.001";
  return buf;
}

ProgressMode resolve_progress_mode(ProgressMode requested) {
  if (requested != ProgressMode::automatic) return requested;
  const char* forced = std::getenv("CSPT_PROGRESS");
  if (forced && std::strcmp(forced, "plain") == 0) return ProgressMode::batch;
  if (!isatty(fileno(stderr))) return ProgressMode::batch;
  const char* term = std::getenv("TERM");
  if (!term || !*term || std::strcmp(term, "dumb") == 0) return ProgressMode::batch;
  return ProgressMode::terminal;
}

namespace {
std::atomic<double> g_default_interval_s{30.0};
}  // namespace

double default_progress_interval_s() { return g_default_interval_s.load(); }
void set_default_progress_interval_s(double seconds) {
  if (seconds > 0) g_default_interval_s.store(seconds);
}

}  // namespace cspt
