// Settings of `cspt run`: the effective pipeline config (schema defaults, the file, the flags).
#pragma once

#include <string>
#include <vector>

#include "cspt/config/effective_config.hpp"

namespace cspt::app {

/// The stages of the pipeline, in order.
inline const std::vector<std::string>& pipeline_stages() {
  static const std::vector<std::string> names{"track", "simulate", "ctf", "extract", "refine", "report"};
  return names;
}

struct RunSettings {
  std::string config_path;  ///< the pipeline YAML (every section is passed to its stage)
  config::EffectiveConfig effective;  ///< every key of every section in effect
  // The `run` section, read from `effective`.
  std::string out, project, reference, from, until;
  bool track = true;
  double reference_lowpass_A = 30.0, progress_interval_s = 30.0;
  int threads = 0;
  // Command line only.
  std::string only;       ///< run just this stage
  int series_index = -1;  ///< with --only ctf|extract: this tilt series only (a job-array task)
  bool force = false;     ///< rerun the stages in range from scratch
  bool verbose = false, quiet = false;
};

/// Read and check every section of `path` (unknown keys refused with a suggestion, values checked
/// against the schema, file and line named), apply `overrides` ("section.key=value", from flags) and
/// fill the run fields of `s`.
void load_run_config(const std::string& path, const std::vector<std::string>& overrides, RunSettings& s);

/// One value in effect ("" when unset).
std::string config_value(const RunSettings& s, const std::string& section, const std::string& key);

/// Threads per rank: the setting, else SLURM_CPUS_PER_TASK, else OMP_NUM_THREADS, else 1.
int threads_per_rank(int setting);

}  // namespace cspt::app
