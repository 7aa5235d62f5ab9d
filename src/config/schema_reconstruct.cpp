// Schema of the `reconstruct` section: `cspt reconstruct`.
#include "config/schema_sections.hpp"
#include "config/spec_builder.hpp"

namespace cspt::config {

std::vector<KeySpec> reconstruct_keys() {
  using namespace build;
  return section("reconstruct", {
      path_in("star", "", "RELION 3.1 particle STAR file").required(),
      path_out("out", "", "output folder").required(),
      text("sym", "C1", "point group: C1, Cn, Dn, T, O, I (RELION axis conventions)"),
      integer("pad", "2", "Fourier padding of the 3D grid").range(1, 4),
      path_in("mask", "", "a mask (MRC, values 0..1) for the FSC instead of the soft sphere"),
      real("mask-radius-A", "0", "radius of the automatic spherical mask (0: box/2 - edge)").unit("A").at_least(0),
      real("mask-edge-A", "6", "soft edge of the automatic mask").unit("A").at_least(0),
      real("maxres", "0", "highest resolution inserted (0: Nyquist)").unit("A").at_least(0),
      integer("threads", "0", "OpenMP threads per MPI rank (0: OMP_NUM_THREADS, or 1)").at_least(0),
      real("tau", "0.001", "half-map Wiener constant, as a fraction of the mean CTF^2 weight").above(0),
      integer("seed", "20140101", "seed of the phase randomisation in the FSC masking correction").at_least(0),
      boolean("no-ctf", "false", "true: images are used without CTF correction"),
      choice("insertion", "auto", {"auto", "full-grids", "send-to-owners", "own-slab"},
             "how projections reach the Fourier grids: whole grids per rank reduced at the end, slice "
             "points sent to the ranks owning their z-slabs, or every rank inserting its own slab; auto: "
             "full grids up to a padded 256^3 grid where they fit in memory (faster there), else send-to-owners"),
      real("max-memory-gb", "0", "refuse to start if one rank would need more (0: the node's free memory "
           "shared by its ranks)").unit("GB").at_least(0),
  });
}

}  // namespace cspt::config
