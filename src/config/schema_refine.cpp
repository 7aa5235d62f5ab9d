// Schema of the `refine` section: `cspt refine` (docs/refinement.md explains the options).
#include "config/schema_sections.hpp"
#include "config/spec_builder.hpp"

namespace cspt::config {

std::vector<KeySpec> refine_keys() {
  using namespace build;
  return section("refine", {
      path_in("project", "", "the HDF5 project; updated after every iteration").required(),
      path_out("out", "", "output folder; a run of the same options there is resumed").required(),
      path_in("reference", "", "starting reference (MRC, particle box; not needed when resuming)"),
      real("initial-resolution-A", "20", "the starting reference is low-passed here").unit("A").above(0),
      real("low-resolution-A", "300", "scores ignore anything coarser").unit("A").above(0),
      real("resolution-factor", "1", "scores use frequencies up to factor / current resolution").above(0),
      integer("iterations", "5", "number of iterations (0: extract into the output folder and stop)").at_least(0),
      integer("box", "128", "particle box (raw pixels: refinement does not bin)").unit("px").range(16, 1024).even(),
      choice("extraction", "stored", {"stored", "on-the-fly"},
             "stored: the root cuts every box into OUT/particles.mrcs once and each rank reads its own; on-the-fly: "
             "no stack, each rank cuts its projections from the raw tilt series (same pixels)"),
      boolean("recentre-boxes", "true", "before every iteration after the first, cut again from the raw tilt series "
              "each box whose particle the refined geometry puts 2 or more pixels from its centre"),
      text("sym", "C1", "point group: C1, Cn, Dn, T, O, I (RELION axes)"),
      real("mask-radius-A", "0", "soft spherical mask radius (0: as large as the box allows)").unit("A").at_least(0),
      real("mask-edge-A", "10", "soft edge of the mask").unit("A").at_least(0),
      path_in("mask", "", "a mask (MRC, values 0..1) for references and FSC instead of the sphere"),
      boolean("constrained", "true", "true: CSPT, one pose per particle; false: every projection on its own"),
      boolean("refine-particles", "true", "refine particle orientations and 3D positions"),
      boolean("refine-tilts", "true", "refine per-tilt angle, axis, shift and defocus offset"),
      boolean("global-search", "false", "first iteration: global orientation search (particles without a prior)"),
      real("global-step-deg", "15", "global search: angular step").unit("deg").above(0),
      integer("grid-iterations", "1", "iterations whose local search starts with a rotation grid").at_least(0),
      real("grid-range-deg", "0", "rotation grid range (0: no grid)").unit("deg").at_least(0),
      real("grid-step-deg", "3", "rotation grid step").unit("deg").above(0),
      real("angle-range-deg", "10", "local search: largest rotation per iteration, per axis").unit("deg").above(0),
      real("shift-range-A", "10", "local search: largest 3D shift per iteration, per axis").unit("A").at_least(0),
      integer("max-evaluations", "200", "continuous search: score evaluations per particle").at_least(1),
      integer("max-acquisition-order", "-1", "particles are scored on tilts exposed up to this order (-1: all)")
          .at_least(-1),
      boolean("tilt-angle", "true", "refine tilt angles"),
      boolean("tilt-axis", "true", "refine tilt-axis angles"),
      boolean("tilt-shift", "true", "refine per-tilt shifts"),
      boolean("tilt-defocus", "true", "refine per-tilt defocus offsets"),
      integer("tilt-rounds", "3", "tilt search rounds per iteration (candidate steps halve each round)").at_least(1),
      real("tilt-angle-range-deg", "1.5", "largest tilt-angle change from the start").unit("deg").at_least(0),
      real("tilt-axis-range-deg", "1", "largest tilt-axis change from the start").unit("deg").at_least(0),
      real("tilt-shift-range-A", "100", "largest tilt shift change from the start").unit("A").at_least(0),
      integer("tilt-shift-scan-iterations", "1", "iterations whose tilt search starts by scanning every tilt's shift "
              "over the whole range (whole pixels; for tracking errors beyond the local search; 0: never)").at_least(0),
      real("tilt-defocus-range-A", "500", "largest per-tilt defocus offset").unit("A").at_least(0),
      text("tilt-regions", "1,1", "NX,NY or NX,NY,NZ: regions of each tomogram (by its particles' extent) whose "
           "tilts get their own shift on top of the tilt's (1,1: off)"),
      integer("tilt-region-min-particles", "5", "a region with fewer particles keeps the tilt's shift").at_least(1),
      real("tilt-region-shift-range-A", "30", "largest per-region shift correction").unit("A").at_least(0),
      choice("exposure-weighting", "data", {"data", "dose", "bfactor", "fitted-exposure", "none"},
             "data: self-tuning (BISECT); dose: Grant-Grigorieff from the recorded dose; bfactor; fitted-exposure: "
             "Grant-Grigorieff with each tilt's exposure fitted to the data; none"),
      integer("weighting-fraction", "4", "data weighting: F (algorithms.md 4.1)").at_least(1),
      real("weighting-transition", "0.75", "data weighting: T (algorithms.md 4.1)").above(0),
      integer("pad", "2", "Fourier padding of the reconstruction").range(1, 4),
      integer("threads", "0", "OpenMP threads per rank (0: OMP_NUM_THREADS, or 1)").at_least(0),
      real("max-memory-gb", "0", "stop before an iteration one rank would need more for (0: the node's free "
           "memory shared by its ranks)").unit("GB").at_least(0),
      integer("seed", "20140101", "seed of the FSC phase randomisation").at_least(0),
      real("converge-angle-deg", "0", "stop when the resolution stalls and rotations are below this (0: never)")
          .unit("deg").at_least(0),
  });
}

}  // namespace cspt::config
