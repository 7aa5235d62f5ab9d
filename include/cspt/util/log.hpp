// One-line log messages on stderr, filtered by a process-wide verbosity (--quiet, --verbose).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace cspt {

/// How much a program says. `quiet` keeps errors only (no progress bars, no summaries);
/// `normal` adds info lines and progress; `verbose` adds detail lines.
enum class Verbosity { quiet, normal, verbose };

/// The importance of one log line: `error` is shown at every verbosity, `info` unless quiet,
/// `detail` only when verbose.
enum class LogLevel { error, info, detail };

/// Sets the process-wide verbosity (default `normal`). Apps call this once from their flags.
void set_verbosity(Verbosity v);
Verbosity verbosity();

/// True when a line of this level would be written at the current verbosity.
bool log_enabled(LogLevel level);

/// Writes `text` as one line to stderr and flushes, if the level is enabled. Trailing newlines
/// in `text` are dropped (the line gets exactly one); inner newlines are kept. Thread-safe: lines
/// from different threads never interleave. If a progress bar's line is being redrawn on the
/// terminal, it is cleared first so the message does not land after the bar.
void log_line(LogLevel level, std::string_view text);

/// Where log lines go instead of stderr, e.g. a test's buffer or an app adding a rank prefix.
/// The sink receives the line without its newline and is called under the log lock, so it is
/// never called concurrently. An empty function restores stderr.
using LogSink = std::function<void(const std::string& line)>;
void set_log_sink(LogSink sink);

/// Writes raw text to stderr under the same lock as `log_line` and flushes. Progress bars use
/// this so that their partial lines and log lines share one writer.
void write_to_stderr(std::string_view text);

}  // namespace cspt
