// Clean stops for batch jobs: a stop requested by a signal, and a wall-clock deadline.
//
// Policy used by the pipeline. Long commands poll at checkpoint boundaries only (after each
// refinement iteration, after each written output), on the main thread, never inside a parallel
// loop. At a boundary, with the checkpoint written, the command stops cleanly when
//   - a stop was requested (SIGTERM, SIGINT or SIGUSR1), or
//   - the next unit of work would not fit before the deadline: !time_left_for(estimate, margin),
//     where the estimate is usually the duration of the last unit.
// It then logs why (stop_signal_name() or "deadline"), and exits with kExitResumable (75,
// EX_TEMPFAIL from <sysexits.h>): "stopped cleanly, resubmit to resume". A job script can test
// for 75 and requeue itself.
//
// With MPI, ranks may see a signal at different moments, so the pipeline combines the decision
// with a collective (a logical or over ranks) at the boundary and all ranks stop together.
//
// Slurm: `#SBATCH --signal=USR1@600` sends SIGUSR1 to the job steps (the srun tasks) about ten
// minutes before the time limit ("B:USR1@600" signals only the batch shell, which would have to
// forward it). Or the script exports the deadline itself:
//   export CSPT_DEADLINE_EPOCH=$(( $(date +%s) + limit_seconds ))
// A first SIGINT or SIGTERM only requests a stop. A second one restores the default action and
// re-raises, so the process dies at once (a user pressing Ctrl-C twice, or scancel repeating).
// SIGUSR1 is a warning and never kills: Slurm's own SIGTERM at the time limit, after an earlier
// SIGUSR1, still only requests a stop and leaves its grace period for the checkpoint.
#pragma once

#include <optional>

namespace cspt {

/// Exit code of a command that stopped cleanly at a checkpoint and can be resumed.
constexpr int kExitResumable = 75;

/// Installs the handlers for SIGTERM, SIGINT and SIGUSR1. The handlers only record the signal
/// (async-signal-safe). Installs with SA_RESTART so that interrupted reads and writes resume.
/// A signal that is ignored when this is called stays ignored (a shell starts background jobs
/// with SIGINT ignored). Idempotent. Throws cspt::Error if the system refuses.
void install_stop_handlers();

/// Restores the dispositions that were in place before install_stop_handlers (for tests, and
/// for code that hands control to something else). Does nothing if not installed.
void uninstall_stop_handlers();

/// True once any of the three signals has arrived since install (or since clear_stop_request).
bool stop_requested();

/// The first signal that requested a stop (e.g. SIGTERM), or 0.
int stop_signal();

/// "SIGTERM", "SIGINT" or "SIGUSR1" for the first signal received, or "" if none.
const char* stop_signal_name();

/// Forgets a requested stop, including the count of SIGINT/SIGTERM. For tests, and for a program
/// that has dealt with the request and carries on.
void clear_stop_request();

/// Sets the wall-clock deadline in Unix seconds. A non-finite or non-positive value clears it.
void set_deadline_epoch_s(double epoch_s);

/// Removes the deadline.
void clear_deadline();

/// The deadline in Unix seconds, if one is set.
std::optional<double> deadline_epoch_s();

/// Reads CSPT_DEADLINE_EPOCH (Unix seconds, a decimal number) and sets the deadline from it.
/// Returns false, changing nothing, when the variable is unset or empty. Throws
/// cspt::ConfigError naming the variable and its value when it is not a positive number.
bool deadline_from_environment();

/// The current wall-clock time in Unix seconds.
double now_epoch_s();

/// True when there is no deadline, or when now + seconds_needed + margin_s < deadline.
bool time_left_for(double seconds_needed, double margin_s = 0.0);

}  // namespace cspt
