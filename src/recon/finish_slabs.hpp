// Finishing a reconstruction on the z-slabs a rank owns: reduce, Friedel plane, divide, inverse FFT,
// crop, gridding correction.
#pragma once

#include <array>
#include <complex>
#include <functional>
#include <vector>

#include "cspt/parallel/context.hpp"
#include "cspt/recon/fourier_accumulator.hpp"
#include "cspt/recon/slab_grid.hpp"
#include "cspt/recon/volume_slab.hpp"

namespace cspt::detail {

/// The summed accumulator cells of the z-slabs this rank owns, both halves. The slabs follow
/// balanced_slab_layout, not the FFT's layout: finishing moves the planes to the FFT's owners.
struct ReducedSlabs {
  int n_pad = 0, z0 = 0, nz = 0;
  parallel::SlabLayout layout;  ///< every rank's planes
  SlabGrid half[2];
};

/// Empty slab grids for this rank's planes of the balanced layout, holding cells within `radius`.
ReducedSlabs make_slab_grids(const parallel::Context& ctx, int n_pad, double radius);

/// Planes of Fourier values moved to the FFT's owners per round, for a padded size (about 64 MB).
int finishing_planes_per_round(int n_pad);

/// Collective: sum both halves' full grids over ranks into the slab owners (compact grids within
/// `radius`). Frees the full grids. A rank without particles of a half has an empty grid for it and
/// contributes zeros. The Friedel plane is completed afterwards (complete_friedel_plane_collective).
ReducedSlabs reduce_full_grids_collective(parallel::Context& ctx, FourierAccumulator (&local)[2], int n_pad,
                                          double radius);

/// Collective: make the kx = 0 plane Hermitian across ranks. The half grid never receives the mirror
/// images of insertions landing within one cell of kx = 0: each cell gains the conjugate of its mirror
/// (0, -ky, -kz). Linear, so it runs once, on the summed slabs, whichever way they were filled.
void complete_friedel_plane_collective(parallel::Context& ctx, ReducedSlabs& s);

/// Per shell (in units of the unpadded box) sums of D over cells with radius <= r_max, for both
/// halves and their count, summed over ranks: returns {sum D1, sum D2, count} per shell.
std::vector<std::array<double, 3>> shell_weight_sums_collective(parallel::Context& ctx, const ReducedSlabs& s,
                                                               int box, double r_max_px);

/// Maps one pair of reduced cells (half 1, half 2) and its shell radius (in unpadded pixels) to the
/// Fourier value of the output map.
using CellRule = std::function<std::complex<float>(const SlabCell&, const SlabCell&, double)>;

/// Collective: build the map whose Fourier coefficients `rule` gives (each rank computing its own
/// planes, sent to the FFT's owners in rounds), via the distributed inverse FFT, crop it to `box` and
/// correct for trilinear interpolation. Each rank returns the planes of the
/// cropped map that its slab of the padded map covers (possibly none).
VolumeSlab finish_map_collective(parallel::Context& ctx, const ReducedSlabs& s, int box, double pixel_size_A,
                                 double r_max_px, int threads, const CellRule& rule);

}  // namespace cspt::detail
