// Schema of the `extract` section: `cspt extract`.
#include "config/schema_sections.hpp"
#include "config/spec_builder.hpp"

namespace cspt::config {

std::vector<KeySpec> extract_keys() {
  using namespace build;
  return section("extract", {
      path_in("project", "", "project file (project.h5)").required(),
      path_out("out", "", "output folder for particles.star and particles.mrcs").required(),
      integer("box", "", "box size (output pixels)").unit("px").range(16, 1024).even().required(),
      integer("bin", "1", "binning: each box is cut as box x bin raw pixels and Fourier-cropped to box, so the "
              "output pixel is bin x the raw pixel (particles.star and the stack record it)").at_least(1),
      boolean("on-the-fly", "false", "true: no particle stack; particles.star names where each box is cut "
              "(rlnMicrographName tilt@raw stack, rlnCoordinateX/Y, csptBin) and cspt reconstruct cuts it from the "
              "raw tilt series (for cspt only: RELION cannot read a stack-less STAR)"),
      choice("geometry", "project", {"project", "truth"},
             "project: the project's tilt geometry and defocus; truth: a simulation's"),
      choice("defocus", "auto", {"auto", "tilts", "records"},
             "tilts: each tilt's CTF corrected by the particle's height; records: the stored per-projection "
             "defocus; auto: records if present, else tilts"),
      real("defocus-handedness", "0", "+1 or -1 overrides the series' defocus handedness; 0 keeps the stored one")
          .range(-1, 1),
      choice("on-unreadable-series", "stop", {"stop", "skip"},
             "a tilt series whose raw stack cannot be read (missing, truncated, a bad header, NaN or Inf "
             "pixels): stop fails naming the stack, series and section; skip leaves that series out with a "
             "warning and lists it under skipped_series in summary.json"),
  });
}

}  // namespace cspt::config
