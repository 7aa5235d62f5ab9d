// Insertion straight into slab-distributed grids: no rank ever holds a whole Fourier grid.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "cspt/parallel/context.hpp"
#include "cspt/recon/reconstruct.hpp"
#include "recon/finish_slabs.hpp"

namespace cspt::detail {

/// Collective. With InsertionMode::send_to_owners every rank prepares the projections `mine` and
/// sends each slice point to the rank(s) owning the z-planes it touches; with own_slab every rank
/// prepares all projections in `mine` (the caller passes all of them) and keeps only its own points.
/// Points are gathered in rounds of a fixed number of projections, sorted by grid brick and splatted
/// by threads on interleaved z-ranges. Returns the projections this rank prepared per half.
std::array<std::size_t, 2> insert_into_slabs_collective(parallel::Context& ctx, const ParticleSet& set,
                                                        const ImageSource& images, std::span<const std::size_t> mine,
                                                        const ReconstructOptions& opts, ReducedSlabs& grids);

/// Projections per round, from the points one projection gives (about 2^21 points per round).
std::size_t projections_per_round(double r_max_px, std::size_t symmetry_operators);

}  // namespace cspt::detail
