// Progress reporting for long stages: a redrawn bar on a terminal, occasional plain lines in batch logs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace cspt {

/// Batch mode's default seconds between progress lines (30; `cspt run` sets run.progress-interval-s).
double default_progress_interval_s();
void set_default_progress_interval_s(double seconds);

/// How progress is drawn.
///  - `terminal`: one line redrawn in place ("\r", then erase-to-end-of-line "\x1b[K") at most
///    every `redraw_interval_s`, with a bar, percentage, count/total, rate and ETA.
///  - `batch`: plain lines for log files (Slurm output): no "\r", no escape codes, one line when
///    `interval_s` has passed since the last one, and always the final line.
///  - `automatic`: `terminal` if stderr is a TTY and TERM is set and not "dumb", else `batch`.
///    The environment variable CSPT_PROGRESS=plain forces `batch`. A custom sink is never a TTY,
///    so with a sink `automatic` means `batch`.
enum class ProgressMode { automatic, terminal, batch };

struct ProgressOptions {
  /// False on ranks that should stay silent: the caller passes `ctx.is_root()`. A disabled bar
  /// still counts (so `done()` is right) but never reads the clock or writes.
  bool enabled = true;
  ProgressMode mode = ProgressMode::automatic;
  /// Batch mode: minimum seconds between two progress lines.
  double interval_s = default_progress_interval_s();
  /// Terminal mode: minimum seconds between two redraws (0.2 s = at most 5 per second).
  double redraw_interval_s = 0.2;
  /// Terminal mode: line width; 0 asks the terminal (then $COLUMNS, then 80). Lines are cut to
  /// width - 1 so that they never wrap, which would break the in-place redraw.
  int columns = 0;
  /// Seconds on any monotonic scale; empty means std::chrono::steady_clock. Must be thread-safe.
  std::function<double()> clock;
  /// Receives the exact text to write (including "\r", escape codes and "\n"); empty means
  /// stderr via `write_to_stderr`. Called under the bar's lock, so never concurrently.
  std::function<void(const std::string&)> sink;
};

/// A progress reporter for one stage of `total` items of `unit` (e.g. "particles").
///
/// `advance` may be called from many threads at once (OpenMP loops): it is one atomic add and,
/// when the bar is active, one clock read; only the thread that finds a redraw due takes the lock
/// and writes, and the others never wait for it.
///
/// Verbosity (see log.hpp) is read once, at construction: `quiet` shows nothing at all, not even
/// the final line (progress and summaries are info-level); `normal` and `verbose` behave alike.
///
/// The final line is "label: 400/400 particles in 1m12s (5.6/s)". If the bar is destroyed
/// before `finish()` and before reaching `total` (an exception, a clean stop), it says
/// "label: stopped at 120/400 particles after 22s (5.5/s)" instead of claiming success.
/// A total of 0 or less means unknown: no bar, percentage or ETA, just the count and rate.
/// Before 0.1 s have passed, the rate and ETA are left out (they would be noise).
class ProgressBar {
 public:
  ProgressBar(std::string label, std::int64_t total, std::string unit, ProgressOptions options = {});
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Adds `n` finished items. Thread-safe.
  void advance(std::int64_t n = 1);
  /// Sets the number of finished items (for loops that already count). Thread-safe.
  void set(std::int64_t done);
  /// Writes the final line with the count reached. Later calls, and the destructor, do nothing.
  void finish();

  std::int64_t done() const { return done_.load(std::memory_order_relaxed); }
  std::int64_t total() const { return total_; }
  /// The mode in use: `terminal` or `batch`, never `automatic`.
  ProgressMode mode() const { return mode_; }
  /// False when nothing will be written (disabled, or quiet).
  bool active() const { return active_; }

 private:
  void maybe_render();
  void render_locked(std::int64_t done, double now);
  void finish_with(bool completed);
  void emit(const std::string& text);

  std::string label_, unit_;
  std::int64_t total_;
  ProgressOptions options_;
  ProgressMode mode_;
  bool active_;
  int columns_ = 80;
  double start_s_ = 0.0;
  std::atomic<std::int64_t> done_{0};
  std::atomic<double> next_render_s_{0.0};
  std::atomic<bool> finished_{false};
  std::mutex mutex_;
};

/// Formats a duration for humans: "42s", "3m05s", "1h02m" (seconds are rounded, and dropped
/// above one hour); "?" for a negative, non-finite or absurd (over 100000 h) value: an unknown ETA.
std::string format_duration(double seconds);

/// Formats a rate without an exponent: "1234", "56.7", "5.6", "0.042", "<0.001"; "0" if none.
std::string format_rate(double per_second);

/// Resolves `automatic` as described for ProgressMode, for a bar writing to stderr.
ProgressMode resolve_progress_mode(ProgressMode requested);

}  // namespace cspt
