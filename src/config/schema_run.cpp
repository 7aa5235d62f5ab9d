// Schema of the `run` section: how `cspt run` drives the pipeline stage by stage.
#include "config/schema_sections.hpp"
#include "config/spec_builder.hpp"

namespace cspt::config {

std::vector<KeySpec> run_keys() {
  using namespace build;
  const std::vector<std::string> stages = {"", "track", "simulate", "ctf", "extract", "refine", "report"};
  return section("run", {
      path_out("out", "cspt-run", "the run folder"),
      path_in("project", "", "start from this existing project file instead of simulating"),
      boolean("track", "true", "run the acquisition tracker stage on the simulated pattern"),
      path_in("reference", "", "starting reference map for refine; \"\" uses the simulation's true map low-passed"),
      real("reference-lowpass-A", "30", "low-pass of the starting reference made from the true map")
          .unit("A").above(0),
      integer("threads", "0", "OpenMP threads per rank (0: SLURM_CPUS_PER_TASK, else OMP_NUM_THREADS, else 1)")
          .at_least(0),
      choice("from", "", stages, "first stage to run (\"\": the first)"),
      choice("until", "", stages, "last stage to run (\"\": the last)"),
      real("progress-interval-s", "30", "seconds between progress lines in batch logs").unit("s").above(0),
  });
}

}  // namespace cspt::config
