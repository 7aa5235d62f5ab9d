// The memory one rank of a reconstruction needs, stated before the run (docs/performance.md).
#pragma once

#include <cstddef>

#include "cspt/recon/reconstruct.hpp"
#include "cspt/util/memory_estimate.hpp"

namespace cspt {

/// What a reconstruction's memory depends on.
struct ReconstructShape {
  int box = 0, pad = 2, threads = 1, ranks = 1;
  double r_max_px = 0.0;             ///< inserted radius, image pixels
  std::size_t projections = 0;       ///< in the whole set
  std::size_t symmetry_operators = 1;
  int halves_per_rank = 2;           ///< full grids: how many half-set grids the busiest rank holds
  bool root = true;                  ///< the root holds the three whole maps at the end
};

/// The peak of the busiest rank (the one owning the most grid cells) in `mode` (not automatic).
MemoryEstimate reconstruct_memory_per_rank(const ReconstructShape& shape, InsertionMode mode);

/// The shape of a reconstruction of `projections` projections of `box` pixels of `pixel_size_A`
/// with `opts` on `ranks` ranks.
ReconstructShape reconstruct_shape(std::size_t projections, int box, double pixel_size_A, const ReconstructOptions& opts,
                                   int ranks);

}  // namespace cspt
