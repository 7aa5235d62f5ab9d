// The memory one rank of a refinement iteration needs, stated before the iteration runs.
#pragma once

#include <cstddef>

#include "cspt/recon/memory_model.hpp"
#include "cspt/util/memory_estimate.hpp"

namespace cspt {

/// What a refinement iteration's memory depends on.
struct RefineShape {
  int box = 0, pad = 2;
  std::size_t my_projections = 0;   ///< the busiest rank's projections
  std::size_t band_samples = 0;     ///< Fourier samples scored per projection this iteration
  double band_radius_px = 0.0;      ///< outer radius of the band, pixels of the box
  ReconstructShape reconstruction;  ///< the iteration's reconstruction
};

/// The busiest rank's peak: its particle boxes, their prepared band samples and CTFs, the maps, the
/// two projectors, and the larger of the references' padded transform and the reconstruction.
MemoryEstimate refine_memory_per_rank(const RefineShape& s);

}  // namespace cspt
