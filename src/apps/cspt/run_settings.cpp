// Reading the pipeline config of `cspt run` through the schema.
#include "apps/cspt/run_settings.hpp"

#include <cstdlib>

#include "cspt/config/schema.hpp"

namespace cspt::app {

void load_run_config(const std::string& path, const std::vector<std::string>& overrides, RunSettings& s) {
  s.config_path = path;
  // Every file the config names must exist now, before any job time is spent (the files the stages
  // pass to each other are flags of `cspt run`, not keys of the file).
  const config::ConfigFile file = config::read_config_file(path, {"run", config::FileScope::every_section});
  s.effective = config::EffectiveConfig();
  s.effective.apply(file);
  for (const auto& o : overrides) s.effective.apply_override(o, "run");
  const auto v = [&](const char* key) { return s.effective.value("run", key); };
  s.out = v("out");
  s.project = v("project");
  s.reference = v("reference");
  s.from = v("from");
  s.until = v("until");
  s.track = config::bool_from_text(v("track")).value_or(true);
  s.reference_lowpass_A = std::stod(v("reference-lowpass-A"));
  s.progress_interval_s = std::stod(v("progress-interval-s"));
  s.threads = std::stoi(v("threads"));
}

std::string config_value(const RunSettings& s, const std::string& section, const std::string& key) {
  return s.effective.value(section, key);
}

int threads_per_rank(int setting) {
  if (setting > 0) return setting;
  for (const char* name : {"SLURM_CPUS_PER_TASK", "OMP_NUM_THREADS"}) {
    const char* v = std::getenv(name);
    if (v && std::atoi(v) > 0) return std::atoi(v);
  }
  return 1;
}

}  // namespace cspt::app
