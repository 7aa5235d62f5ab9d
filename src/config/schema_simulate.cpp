// Schema of the `simulate` section: `cspt simulate`. Every key but out and threads is a field of
// SimulationConfig (include/cspt/sim/simulation_config.hpp); a unit test keeps the two the same.
#include "config/schema_sections.hpp"
#include "config/spec_builder.hpp"

namespace cspt::config {
namespace {

std::vector<KeySpec> specimen() {
  using namespace build;
  return {
      integer("seed", "1", "the whole dataset is a function of the seed (and of nothing else)").at_least(0),
      text("model", "builtin:gltph-d3", "builtin:gltph-d3 (synthetic D3 hexamer of the GltPh trimer), "
           "builtin:phantom (pseudo-atomic D3 phantom), or a PDB/mmCIF path"),
      path_in("model-dir", "", "where builtin:gltph-d3 finds its trimer (\"\": data/models of this tree)"),
      integer("particle-box-px", "128", "box of the true map and of each particle's projection").unit("px")
          .range(16, 1024).even(),
      real("extra-b-factor-A2", "20", "added to every atom's B factor").unit("A^2"),
      real("ice-thickness-A", "900", "ice slab thickness; particles are placed inside it").unit("A").above(0),
      integer("particles-per-series", "25", "particles per tilt series, random positions without overlaps")
          .at_least(0),
      integer("gold-per-series", "0", "gold fiducials per tilt series").at_least(0),
      real("gold-diameter-A", "50", "diameter of the gold fiducials").unit("A").above(0),
      real("ice-background-rms-rad", "0.15", "RMS phase of the amorphous-ice background, at 0 degrees")
          .unit("rad").at_least(0),
  };
}

std::vector<KeySpec> acquisition() {
  using namespace build;
  return {
      integer("n-tilt-series", "8", "tilt series, one per beam-image-shift target of the hole pattern").at_least(1),
      integer("pattern-holes", "5", "a pattern-holes x pattern-holes pattern of targets").at_least(1),
      real("hole-spacing-um", "2.5", "hole spacing; sets each series' image shift").unit("um").at_least(0),
      choice("tilt-scheme", "bisect60", {"bisect60", "bisect36", "hagen"},
             "bisect60 (41 tilts, +-60/3), bisect36 (25 tilts, +-36/3) or hagen"),
      real("dose-per-tilt-e-per-A2", "3", "exposure per tilt").unit("e/A^2").above(0),
      boolean("radiation-damage", "true", "apply the Grant-Grigorieff exposure filter to every image"),
      real("unrecorded-dose-e-per-A2", "0",
           "exposure before every tilt image that the metadata do not record (tracking, focusing, neighbouring "
           "targets): it damages the specimen only")
          .unit("e/A^2").at_least(0),
      real("inelastic-mean-free-path-A", "3800",
           "zero-loss imaging: counts fall as exp(-thickness / (cos(tilt) * this)); 0: no loss").unit("A").at_least(0),
      real("pixel-size-A", "1.5", "pixel size").unit("A").above(0),
      integer("image-nx-px", "1024", "detector readout width (at least twice the particle box)").unit("px")
          .at_least(32),
      integer("image-ny-px", "1024", "detector readout height (at least twice the particle box)").unit("px")
          .at_least(32),
      text("camera", "K2 Summit, centred 1024 x 1024 readout", "camera description written to the project"),
      real("voltage-kV", "300", "acceleration voltage").unit("kV").range(60, 400),
      real("cs-mm", "2.7", "spherical aberration").unit("mm").at_least(0),
      real("amplitude-contrast", "0.07", "amplitude contrast").at_least(0).below(1),
      real("target-defocus-A", "25000", "target defocus, positive = underfocus").unit("A").above(0),
      real("defocus-spread-A", "5000", "each series' target is drawn within +-spread/2").unit("A").at_least(0),
      real("astigmatism-A", "400", "each series' |dU - dV| is drawn in [0, this]").unit("A").at_least(0),
      real("tilt-axis-deg", "85", "nominal tilt-axis angle, CCW from image +y (IMOD convention)").unit("deg"),
  };
}

std::vector<KeySpec> errors_and_outputs() {
  using namespace build;
  return {
      real("tilt-offset-sd-deg", "0.3", "error SD per series: true tilt = nominal + offset + jitter").unit("deg")
          .at_least(0),
      real("tilt-jitter-sd-deg", "0.1", "error SD per tilt of the tilt angle").unit("deg").at_least(0),
      real("axis-error-sd-deg", "0.5", "error SD per series of the tilt axis").unit("deg").at_least(0),
      real("inplane-jitter-sd-deg", "0.1", "error SD per tilt of the in-plane rotation").unit("deg").at_least(0),
      real("shift-sd-A", "40", "error SD per tilt of the shift (tracking residual)").unit("A").at_least(0),
      real("deformation-A", "0", "local sample deformation: per tilt a random linear gradient of the particles' "
           "in-plane shift, each component within +-this at the field's edge (0: off)").unit("A").at_least(0),
      real("defocus-error-sd-A", "300", "error SD per tilt of the defocus (focus residual)").unit("A").at_least(0),
      real("defocus-handedness", "1", "+1: higher along the beam = less underfocus (physics); -1 flips it")
          .range(-1, 1),
      boolean("write-particle-picks", "true", "put the particles' true 3D positions into /particles as picks"),
      real("pick-orientation-error-deg", "-1",
           "picks' orientations: < 0 unknown (refine searches globally), else the truth turned by this angle "
           "about a random axis, as a prior sub-tomogram alignment gives them")
          .unit("deg").range(-1, 180),
      path_in("acquisition", "",
              "bisect-track truth.json: tilt series i takes ROI i's achieved focus error at every tilt instead of "
              "drawing it with defocus-error-sd-A (\"\" = draw)"),
      path_out("out", "", "output folder (project.h5, tilt_series/, truth/, summary.json)").required(),
      integer("threads", "0", "OpenMP threads per rank (0: OMP_NUM_THREADS, or 1)").at_least(0),
  };
}

}  // namespace

std::vector<KeySpec> simulate_keys() {
  std::vector<KeySpec> keys = specimen();
  for (auto part : {acquisition(), errors_and_outputs()}) keys.insert(keys.end(), part.begin(), part.end());
  return build::section("simulate", keys);
}

}  // namespace cspt::config
