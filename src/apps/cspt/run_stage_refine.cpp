// `cspt run` stage refine: CSPT refinement in RUN/refine, from its own copy of the CTF stage's
// project and a starting reference (the user's, or the simulation's map low-passed). Resumable:
// an interrupted stage continues from its last complete iteration.
#include <filesystem>
#include <string>

#include "apps/cspt/commands.hpp"
#include "apps/cspt/run_parts.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/parallel/guarded.hpp"
#include "cspt/project/project_subset.hpp"
#include "cspt/refine/reference.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace fs = std::filesystem;

int run_refine_stage(parallel::Context& ctx, const RunSettings& s, int threads) {
  const fs::path dir = fs::path(s.out) / "refine";
  const fs::path project = dir / "project.h5";
  std::string reference = s.reference;
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    fs::create_directories(dir);
    // The copy is made once: refinement updates it after every iteration, and a resumed stage
    // must not start again from the CTF stage's geometry.
    if (!fs::exists(project)) copy_project((fs::path(s.out) / "ctf" / "project.h5").string(), project.string());
    if (!reference.empty()) return;
    reference = (dir / "reference.mrc").string();
    if (fs::exists(reference)) return;
    const Project p = io::read_project(project.string());
    if (!p.truth || p.truth->map_path.empty())
      throw ConfigError(s.config_path, "run.reference", "", "a starting reference map (MRC) for a project without a simulated truth");
    const Volume truth = io::read_mrc_volume((dir / p.truth->map_path).string());
    io::write_mrc_volume(reference, filtered_reference(truth, {}, s.reference_lowpass_A, Volume{}, threads));
    std::fprintf(stderr, "cspt run: refine: starting reference = the simulation's map low-passed to %.0f A (%s)\n",
                 s.reference_lowpass_A, reference.c_str());
  });
  ctx.broadcast_collective(reference);
  return run_refine(ctx, {"-c", s.config_path, "-p", project.string(), "-o", dir.string(), "--reference", reference,
                          "--threads", std::to_string(threads)});
}

}  // namespace cspt::app
