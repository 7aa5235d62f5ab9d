// Distributed gold-standard reconstruction: insert projections, reduce, finish on slabs, FSC.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cspt/core/volume.hpp"
#include "cspt/parallel/context.hpp"
#include "cspt/recon/fourier_accumulator.hpp"
#include "cspt/recon/fsc.hpp"
#include "cspt/recon/image_source.hpp"
#include "cspt/recon/particle_set.hpp"

namespace cspt {

/// Called with (projections done, projections total) on the root as work proceeds.
using ProgressFn = std::function<void(std::size_t, std::size_t)>;

struct ReconstructOptions {
  std::string symmetry = "C1";
  int pad = 2;                      ///< Fourier padding factor of the 3D grid
  double max_resolution_A = 0.0;    ///< insert frequencies up to this resolution; 0 = Nyquist
  bool apply_ctf = true;
  int threads = 1;
  /// Half-maps are N / (D + tau <D>), <D> the mean CTF^2 weight over the inserted region. A small
  /// Wiener-style constant: it only matters where a voxel got almost no CTF^2 weight.
  double half_map_tau = 1e-3;
  std::uint64_t seed = 20140101;    ///< phase randomisation in the FSC masking correction
  ProgressFn progress;
};

/// The two half-set accumulators of one rank (index 0 = half 1).
struct HalfAccumulators {
  FourierAccumulator half[2];
};

/// Insert projections `mine` of `set` into `acc` (sized for the pad and box), with OpenMP threads,
/// each symmetry mate inserted separately. Returns the number inserted into each half.
std::array<std::size_t, 2> insert_projections(const ParticleSet& set, const ImageSource& images,
                                              std::span<const std::size_t> mine, const ReconstructOptions& opts,
                                              HalfAccumulators& acc);

/// What a reconstruction returns. Volumes are filled on the root rank only.
struct ReconstructionResult {
  Volume half1, half2;
  Volume map;  ///< both halves combined, Wiener-filtered with the SSNR implied by the corrected FSC
  GoldStandardFsc fsc;
  std::size_t n_particles = 0, n_projections = 0;
  /// Wall time of each stage on this rank, seconds, in the order the stages ran.
  std::vector<std::pair<std::string, double>> stage_seconds;
};

/// The whole reconstruction, collective over `ctx`: every rank inserts its particles' projections,
/// accumulators are reduced to z-slab owners, each owner finishes its slabs and the inverse FFT is
/// distributed; the cropped maps are gathered to the root, which computes the FSC with `mask`
/// (meaningful on the root only) and broadcasts it for the combined map's Wiener filter.
ReconstructionResult reconstruct_collective(parallel::Context& ctx, const ParticleSet& set,
                                            const ImageSource& images, const ReconstructOptions& opts,
                                            const Volume& mask);

}  // namespace cspt
