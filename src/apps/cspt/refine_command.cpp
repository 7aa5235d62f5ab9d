// cspt refine: constrained refinement of particles and tilt geometry with exposure weighting.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "apps/cspt/cli.hpp"
#include "apps/cspt/commands.hpp"
#include "apps/cspt/schema_options.hpp"
#include "cspt/refine/refine_run.hpp"
#include "cspt/util/error.hpp"
#include "cspt/util/stop_request.hpp"

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
  const std::string S = "refine";
  bind_key(cli, S, "project", o.project_path, "-p");
  bind_key(cli, S, "out", o.out_dir, "-o");
  bind_key(cli, S, "reference", o.reference_path);
  bind_key(cli, S, "initial-resolution-A", o.initial_resolution_A);
  bind_key(cli, S, "low-resolution-A", o.low_resolution_A);
  bind_key(cli, S, "resolution-factor", o.resolution_factor);
  bind_key(cli, S, "iterations", o.iterations);
  bind_key(cli, S, "box", o.box_px);
  std::string extraction = "stored";
  bind_key(cli, S, "extraction", extraction);
  bind_key(cli, S, "recentre-boxes", o.recentre_boxes);
  bind_key(cli, S, "sym", o.symmetry);
  bind_key(cli, S, "mask-radius-A", o.mask_radius_A);
  bind_key(cli, S, "mask-edge-A", o.mask_edge_A);
  bind_key(cli, S, "mask", o.mask_path);
  bind_key(cli, S, "constrained", o.constrained);
  bind_key(cli, S, "refine-particles", o.refine_particles);
  bind_key(cli, S, "refine-tilts", o.refine_tilts);
  bind_key(cli, S, "global-search", o.global_search);
  bind_key(cli, S, "grid-iterations", o.grid_iterations);
  bind_key(cli, S, "angle-range-deg", o.particle.angle_range_deg);
  bind_key(cli, S, "shift-range-A", o.particle.shift_range_A);
  bind_key(cli, S, "grid-range-deg", o.particle.grid_range_deg);
  bind_key(cli, S, "grid-step-deg", o.particle.grid_step_deg);
  bind_key(cli, S, "max-evaluations", o.particle.max_evaluations);
  bind_key(cli, S, "max-acquisition-order", o.particle.max_acquisition_order);
  bind_key(cli, S, "global-step-deg", o.global.angle_step_deg);
  bind_key(cli, S, "tilt-angle", o.tilt.angle);
  bind_key(cli, S, "tilt-axis", o.tilt.axis);
  bind_key(cli, S, "tilt-shift", o.tilt.shift);
  bind_key(cli, S, "tilt-defocus", o.tilt.defocus);
  bind_key(cli, S, "tilt-rounds", o.tilt.rounds);
  bind_key(cli, S, "tilt-angle-range-deg", o.tilt.angle_range_deg);
  bind_key(cli, S, "tilt-axis-range-deg", o.tilt.axis_range_deg);
  bind_key(cli, S, "tilt-shift-range-A", o.tilt.shift_range_A);
  bind_key(cli, S, "tilt-shift-scan-iterations", o.tilt.shift_scan_iterations);
  bind_key(cli, S, "tilt-defocus-range-A", o.tilt.defocus_range_A);
  std::string tilt_regions = "1,1";
  bind_key(cli, S, "tilt-regions", tilt_regions);
  bind_key(cli, S, "tilt-region-min-particles", o.tilt.regions.min_particles);
  bind_key(cli, S, "tilt-region-shift-range-A", o.tilt.region_shift_range_A);
  bind_key(cli, S, "exposure-weighting", weighting);
  bind_key(cli, S, "weighting-fraction", o.weights.fraction);
  bind_key(cli, S, "weighting-transition", o.weights.transition);
  bind_key(cli, S, "pad", o.pad);
  bind_key(cli, S, "threads", threads);
  double max_memory_gb = 0.0;
  bind_key(cli, S, "max-memory-gb", max_memory_gb);
  bind_key(cli, S, "seed", o.seed);
  bind_key(cli, S, "converge-angle-deg", o.converge_angle_deg);
  if (!parse_with_schema(cli, S, raw_args, ctx.is_root())) return 0;
  o.threads = threads > 0 ? threads : default_threads();
  o.on_the_fly_extraction = extraction == "on-the-fly";
  o.memory_limit_bytes = max_memory_gb * 1e9;
  o.weights.method = parse_exposure_weighting(weighting, "refine");
  const int min_particles = o.tilt.regions.min_particles;
  o.tilt.regions = parse_tilt_region_grid(tilt_regions, "refine", "tilt-regions");
  o.tilt.regions.min_particles = min_particles;
  // Single values were checked against the schema; what remains relates two keys.
  require(o.low_resolution_A > o.initial_resolution_A, "--low-resolution-A", std::to_string(o.low_resolution_A),
          "coarser than the initial resolution");
  const auto log = [](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  };
  // Between iterations: stop cleanly on a signal, or when the next iteration (estimated as the last
  // one plus 20%) would not end a minute before the batch job's deadline.
  o.stop_check = [](double last_iteration_s) {
    if (stop_requested()) return true;
    return !time_left_for(1.2 * last_iteration_s, 60.0);
  };
  const RefineOutcome r = run_refinement_collective(ctx, o, log);
  if (ctx.is_root()) {
    std::printf("cspt refine: %d iteration(s), resolution %.2f A (FSC 0.143, masked, corrected); summary %s\n",
                r.iterations_done, r.resolution_A, r.summary_path.c_str());
  }
  if (r.stopped) {
    if (ctx.is_root())
      std::fprintf(stderr, "cspt refine: stopped after iteration %d (%s); run the same command again to resume\n",
                   r.iterations_done, stop_requested() ? stop_signal_name() : "time limit near");
    ctx.barrier_collective();  // every rank leaves together (mpirun stops the others at the first exit)
    return kExitResumable;
  }
  return 0;
}

}  // namespace cspt::app
