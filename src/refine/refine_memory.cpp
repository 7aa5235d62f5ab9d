// Refinement memory: the buffers refine_run keeps for a whole iteration, sized as it allocates them.
#include "cspt/refine/refine_memory.hpp"

#include <algorithm>
#include <cmath>

namespace cspt {

MemoryEstimate refine_memory_per_rank(const RefineShape& s) {
  const double box = s.box, volume = box * box * box * 4.0;
  const int n_pad = s.box * s.pad;
  // Held for the iteration: boxes (floats), per band sample the whitened value (complex), 1/sigma
  // and the CTF (floats); the two half-maps, the two filtered references, the mask and a truth map.
  const double boxes = double(s.my_projections) * box * box * 4.0;
  const double band = double(s.my_projections) * double(s.band_samples) * 16.0;
  const double maps = 6.0 * volume;
  // Each projector keeps the cube of its padded transform that the band reaches.
  const double reach = s.pad * (s.band_radius_px + 1.0) + 2.0;
  const double side = std::min(2.0 * reach + 1.0, double(n_pad));
  const double projectors = 2.0 * side * side * std::min(reach + 1.0, n_pad / 2.0 + 1.0) * 8.0;
  // Making a projector transforms the whole padded map once; the reconstruction comes later.
  const double padded_transform = double(n_pad) * n_pad * (n_pad / 2 + 1) * 8.0 + volume;
  const MemoryEstimate rec = reconstruct_memory_per_rank(s.reconstruction, InsertionMode::send_to_owners);
  // The project model, the extraction's state, HDF5 and the libraries: measured as the difference
  // between cspt refine's peak and the parts above at boxes 64-128 and 1-3 ranks (about 0.12 GB).
  const double rest = 0.12e9;
  MemoryEstimate out;
  const double rec_bytes = rec.peak_bytes();
  if (padded_transform > rec_bytes) {
    out.phase = "references";
    out.parts = {{"particle boxes", boxes}, {"band samples", band}, {"maps", maps}, {"projectors", projectors},
                 {"padded transform", padded_transform}, {"model and libraries", rest}};
  } else {
    out.phase = "reconstruction";
    out.parts = {{"particle boxes", boxes}, {"band samples", band}, {"maps", maps}, {"projectors", projectors},
                 {"reconstruction at " + rec.phase, rec_bytes}, {"model and libraries", rest}};
  }
  return out;
}

}  // namespace cspt
