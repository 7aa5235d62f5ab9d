// Schema of the `ctf` section: `cspt ctf` on a project or on one micrograph.
#include "config/schema_sections.hpp"
#include "config/spec_builder.hpp"

namespace cspt::config {

std::vector<KeySpec> ctf_keys() {
  using namespace build;
  return section("ctf", {
      path_in("project", "", "project file: every tilt of every tilt series; results go back into it"),
      path_in("micrograph", "", "or one image (MRC); the fit is printed as JSON"),
      real("pixel-size", "0", "micrograph mode: the pixel size; project mode: an override of /optics (0: none)")
          .unit("A").at_least(0),
      real("voltage", "300", "micrograph mode: acceleration voltage").unit("kV").range(60, 400),
      real("cs", "2.7", "micrograph mode: spherical aberration").unit("mm").at_least(0),
      real("amp-contrast", "0.07", "micrograph mode: amplitude contrast").at_least(0).below(1),
      real("tilt-angle", "0", "micrograph mode: tilt angle (project mode reads each tilt)").unit("deg")
          .above(-90).below(90),
      real("tilt-axis", "0", "micrograph mode: tilt axis, CCW from image +y").unit("deg"),
      real("nominal-defocus", "0", "micrograph mode: the underfocus aimed at; a fit more than 1.5x from it is "
           "marked low, naming the pixel size that would match (0: the FEI header's applied defocus if the file "
           "has one; negative: no check)").unit("A"),
      path_out("out", "", "micrograph mode: also write the fit as JSON here"),
      real("min-res", "30", "lowest resolution fitted").unit("A").above(0),
      real("max-res", "5", "highest resolution fitted; raised to 2.2 pixels if finer").unit("A").above(0),
      real("min-defocus", "5000", "search range start (underfocus); in project mode the tilts other than the "
           "least-tilted one search +-10000 A around its defocus").unit("A").at_least(0),
      real("max-defocus", "50000", "search range end (underfocus)").unit("A").above(0),
      integer("tile", "512", "power-spectrum tile size (halved until it fits the image)").unit("px").at_least(16),
      integer("threads", "1", "OpenMP threads per rank (0 counts as 1; MPI ranks split the tilt series)")
          .at_least(0),
      path_out("diagnostics", "", "write one PNG per fit (2D spectrum with the model, 1D profile) into this folder"),
      boolean("phase-shift", "false", "true: also fit an additional phase shift (phase-plate data), 0-180 deg"),
      boolean("no-tilt-correction", "false", "true: fit tilted images as if untilted (for comparison only)"),
  });
}

}  // namespace cspt::config
