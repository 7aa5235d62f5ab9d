// The stages of `cspt run`: what each reads and writes, and how it runs (collectively, on all ranks).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "apps/cspt/run_settings.hpp"
#include "cspt/parallel/context.hpp"

namespace cspt::app {

struct Stage {
  std::string name;
  bool enabled = true;
  std::string disabled_because;  ///< why the stage does not apply (e.g. "run.track: false")
  std::string dir;               ///< RUN/<name>: everything the stage writes
  std::vector<std::string> inputs, outputs;
  std::string config_digest;     ///< of the config the stage depends on
  /// A started stage with the same config and inputs continues where it stopped (refine) instead
  /// of starting again from an empty folder.
  bool resumable = false;
  /// Run the stage (collective). Returns an exit code: 0, or kExitResumable when it stopped cleanly.
  std::function<int(parallel::Context&)> run;
  /// With --only STAGE --series-index I: run one tilt series' share (ctf, extract). Empty otherwise.
  std::function<int(parallel::Context&, int series)> run_part;
};

/// The stages for these settings (in pipeline order); `n_series` is filled with the number of tilt
/// series the run will have (from the project or the simulate section).
std::vector<Stage> make_stages(const RunSettings& s, int* n_series);

/// `cspt run`: returns the process exit code (0, 2 for bad input, kExitResumable (75) when stopped).
int run_pipeline(parallel::Context& ctx, std::vector<std::string> args);

/// The resolution and where things are, from a finished run folder (printed at the end).
std::string run_results_text(const RunSettings& s);

}  // namespace cspt::app
