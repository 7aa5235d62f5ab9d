// cspt refine: constrained refinement of particles and tilt geometry with exposure weighting.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "apps/cspt/cli.hpp"
#include "apps/cspt/commands.hpp"
#include "cspt/refine/refine_run.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace {

void require(bool ok, const std::string& key, const std::string& value, const std::string& expected) {
  if (!ok) throw ConfigError("refine", key, value, expected);
}

}  // namespace

int run_refine(parallel::Context& ctx, std::vector<std::string> raw_args) {
  RefineOptions o;
  std::string weighting = "data";
  int threads = 0;
  CLI::App cli{"Constrained (CSPT) refinement of particle orientations, positions and tilt geometry, with "
               "data-driven exposure weighting and gold-standard reconstruction.",
               "cspt refine"};
  cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cli.add_option("-p,--project", o.project_path, "project file (HDF5); updated after every iteration")->required();
  cli.add_option("-o,--out", o.out_dir, "output folder (resumed if it holds a run of the same options)")->required();
  cli.add_option("--reference", o.reference_path, "starting reference map (MRC, particle box)");
  cli.add_option("--initial-resolution-A", o.initial_resolution_A, "low-pass of the starting reference, A");
  cli.add_option("--low-resolution-A", o.low_resolution_A, "scores ignore anything coarser, A");
  cli.add_option("--resolution-factor", o.resolution_factor, "scores use frequencies up to factor / resolution");
  cli.add_option("--iterations", o.iterations, "number of iterations");
  cli.add_option("--box", o.box_px, "particle box, pixels (even)");
  cli.add_option("--sym", o.symmetry, "point group: C1, Cn, Dn, T, O, I (RELION axes)");
  cli.add_option("--mask-radius-A", o.mask_radius_A, "soft spherical mask radius, A (0: the box allows)");
  cli.add_option("--mask-edge-A", o.mask_edge_A, "soft edge of the mask, A");
  cli.add_option("--mask", o.mask_path, "mask for references and FSC (MRC, values 0..1); default the soft sphere");
  cli.add_option("--constrained", o.constrained, "true: CSPT (one pose per particle); false: per projection");
  cli.add_option("--refine-particles", o.refine_particles, "refine particle orientations and positions");
  cli.add_option("--refine-tilts", o.refine_tilts, "refine per-tilt geometry (angle, axis, shift, defocus)");
  cli.add_option("--global-search", o.global_search, "first iteration: global orientation search");
  cli.add_option("--grid-iterations", o.grid_iterations, "iterations whose local search starts with a grid");
  cli.add_option("--angle-range-deg", o.particle.angle_range_deg, "local search: rotation range, degrees");
  cli.add_option("--shift-range-A", o.particle.shift_range_A, "local search: shift range, A");
  cli.add_option("--grid-range-deg", o.particle.grid_range_deg, "grid: rotation range, degrees (0: no grid)");
  cli.add_option("--grid-step-deg", o.particle.grid_step_deg, "grid: rotation step, degrees");
  cli.add_option("--max-evaluations", o.particle.max_evaluations, "continuous search: score evaluations per particle");
  cli.add_option("--max-acquisition-order", o.particle.max_acquisition_order,
                 "particles are scored on tilts exposed up to this order (-1: all)");
  cli.add_option("--global-step-deg", o.global.angle_step_deg, "global search: angular step, degrees");
  cli.add_option("--tilt-angle", o.tilt.angle, "refine tilt angles");
  cli.add_option("--tilt-axis", o.tilt.axis, "refine tilt-axis angles");
  cli.add_option("--tilt-shift", o.tilt.shift, "refine tilt shifts");
  cli.add_option("--tilt-defocus", o.tilt.defocus, "refine per-tilt defocus offsets");
  cli.add_option("--tilt-rounds", o.tilt.rounds, "tilt search rounds per iteration (steps halve each round)");
  cli.add_option("--tilt-angle-range-deg", o.tilt.angle_range_deg, "largest tilt-angle change, degrees");
  cli.add_option("--tilt-axis-range-deg", o.tilt.axis_range_deg, "largest tilt-axis change, degrees");
  cli.add_option("--tilt-shift-range-A", o.tilt.shift_range_A, "largest tilt shift change, A");
  cli.add_option("--tilt-defocus-range-A", o.tilt.defocus_range_A, "largest defocus offset, A");
  cli.add_option("--exposure-weighting", weighting, "data (self-tuning, default), dose, bfactor or none");
  cli.add_option("--weighting-fraction", o.weights.fraction, "data weighting: F (algorithms 4.1)");
  cli.add_option("--weighting-transition", o.weights.transition, "data weighting: T (algorithms 4.1)");
  cli.add_option("--pad", o.pad, "Fourier padding of the reconstruction (1-4)");
  cli.add_option("--threads", threads, "OpenMP threads per rank (0: OMP_NUM_THREADS or 1)");
  cli.add_option("--seed", o.seed, "seed of the FSC phase randomisation");
  cli.add_option("--converge-angle-deg", o.converge_angle_deg,
                 "stop when the resolution stalls and the median rotation change is below this (0: never)");
  auto args = expand_config(raw_args, "refine",
                            {"project", "out", "reference", "initial-resolution-A", "low-resolution-A",
                             "resolution-factor", "iterations", "box", "sym", "mask-radius-A", "mask-edge-A", "mask",
                             "constrained", "refine-particles", "refine-tilts", "global-search", "grid-iterations",
                             "angle-range-deg", "shift-range-A", "grid-range-deg", "grid-step-deg", "max-evaluations",
                             "max-acquisition-order", "global-step-deg", "tilt-angle", "tilt-axis", "tilt-shift",
                             "tilt-defocus", "tilt-rounds", "tilt-angle-range-deg", "tilt-axis-range-deg",
                             "tilt-shift-range-A", "tilt-defocus-range-A", "exposure-weighting", "weighting-fraction",
                             "weighting-transition", "pad", "threads", "seed", "converge-angle-deg"},
                            {});
  if (!parse_command_line(cli, args, ctx.is_root())) return 0;
  o.threads = threads > 0 ? threads : default_threads();
  o.weights.method = parse_exposure_weighting(weighting, "refine");
  require(o.box_px >= 16 && o.box_px % 2 == 0, "--box", std::to_string(o.box_px), "an even number >= 16");
  require(o.initial_resolution_A > 0, "--initial-resolution-A", std::to_string(o.initial_resolution_A), "> 0 A");
  require(o.low_resolution_A > o.initial_resolution_A, "--low-resolution-A", std::to_string(o.low_resolution_A),
          "coarser than the initial resolution");
  require(o.pad >= 1 && o.pad <= 4, "--pad", std::to_string(o.pad), "1 to 4");
  require(o.particle.angle_range_deg > 0 && o.particle.shift_range_A >= 0, "--angle-range-deg/--shift-range-A",
          std::to_string(o.particle.angle_range_deg), "positive ranges");
  require(o.particle.grid_step_deg > 0, "--grid-step-deg", std::to_string(o.particle.grid_step_deg), "> 0");
  require(o.particle.max_evaluations >= 1, "--max-evaluations", std::to_string(o.particle.max_evaluations), ">= 1");
  require(o.tilt.rounds >= 1, "--tilt-rounds", std::to_string(o.tilt.rounds), ">= 1");
  const auto log = [](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  };
  const RefineOutcome r = run_refinement_collective(ctx, o, log);
  if (ctx.is_root()) {
    std::printf("cspt refine: %d iteration(s), resolution %.2f A (FSC 0.143, masked, corrected); summary %s\n",
                r.iterations_done, r.resolution_A, r.summary_path.c_str());
  }
  return 0;
}

}  // namespace cspt::app
