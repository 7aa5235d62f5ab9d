// Finishing a reconstruction on the z-slabs a rank owns: divide, inverse FFT, crop, gridding correction.
#pragma once

#include <array>
#include <complex>
#include <functional>
#include <vector>

#include "cspt/core/volume.hpp"
#include "cspt/parallel/context.hpp"
#include "cspt/recon/fourier_accumulator.hpp"

namespace cspt::detail {

/// The accumulator cells of the z-slabs this rank owns, after summing over ranks.
struct ReducedSlabs {
  int n_pad = 0, z0 = 0, nz = 0;
  std::vector<AccumulatorCell> half[2];
};

/// Collective: sum both halves over ranks into the slab owners. Frees the local accumulators. A rank
/// that holds no particles of a half has an empty accumulator for it and contributes zeros.
ReducedSlabs reduce_to_slabs_collective(parallel::Context& ctx, FourierAccumulator (&local)[2], int n_pad);

/// Per shell (in units of the unpadded box) sums of D over cells with radius <= r_max, for both
/// halves and their count, summed over ranks: returns {sum D1, sum D2, count} per shell.
std::vector<std::array<double, 3>> shell_weight_sums_collective(parallel::Context& ctx, const ReducedSlabs& s,
                                                               int box, double r_max_px);

/// Maps one pair of reduced cells (half 1, half 2) and its shell radius (in unpadded pixels) to the
/// Fourier value of the output map.
using CellRule = std::function<std::complex<float>(const AccumulatorCell&, const AccumulatorCell&, double)>;

/// Collective: build the map whose Fourier coefficients `rule` gives, via the distributed inverse FFT,
/// crop it to `box`, correct for trilinear interpolation, and gather it on the root.
Volume finish_map_collective(parallel::Context& ctx, const ReducedSlabs& s, int box, double pixel_size_A,
                             double r_max_px, int threads, const CellRule& rule);

}  // namespace cspt::detail
