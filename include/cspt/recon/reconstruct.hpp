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
#include "cspt/recon/volume_slab.hpp"
#include "cspt/util/memory_estimate.hpp"

namespace cspt {

/// Called with (projections done, projections total) on the root as work proceeds.
using ProgressFn = std::function<void(std::size_t, std::size_t)>;

/// How projections reach the Fourier grids (docs/performance.md compares them).
enum class InsertionMode {
  automatic,       ///< full_grids up to a padded 256^3 grid if they fit in memory, else send_to_owners
  full_grids,      ///< each rank fills whole grids of its half-sets, reduced to the slab owners at the end
  send_to_owners,  ///< each rank prepares its projections and sends every slice point to its slab's owner
  own_slab,        ///< every rank prepares every projection and keeps the points in its own slab
};

/// "auto", "full-grids", "send-to-owners", "own-slab".
const char* insertion_mode_name(InsertionMode m);
/// The mode of a name as insertion_mode_name gives it; throws ConfigError (field `field`) otherwise.
InsertionMode parse_insertion_mode(const std::string& name, const std::string& field);

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
  InsertionMode insertion = InsertionMode::automatic;
  /// Bytes one rank may use (0 = the node's free memory shared by its ranks); see
  /// plan_reconstruction_collective.
  double memory_limit_bytes = 0.0;
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
  InsertionMode insertion = InsertionMode::full_grids;  ///< the mode used
  /// Wall time of each stage on this rank, seconds, in the order the stages ran.
  std::vector<std::pair<std::string, double>> stage_seconds;
};

/// How a reconstruction will run on these ranks, decided before it starts.
struct ReconstructionPlan {
  InsertionMode insertion = InsertionMode::full_grids;  ///< never automatic
  MemoryEstimate memory;     ///< the busiest rank's peak in that mode
  double budget_bytes = 0;   ///< what a rank may use: the configured limit and the node's free memory
                             ///< shared by its ranks, the smallest over all ranks
};

/// Collective: the insertion mode (automatic: full grids while they are the faster, measured up to
/// a padded 256^3 grid, and fit the budget; else send_to_owners), the memory it needs per rank and
/// the budget it must fit.
ReconstructionPlan plan_reconstruction_collective(parallel::Context& ctx, const ParticleSet& set, int box,
                                                  const ReconstructOptions& opts);

/// The whole reconstruction, collective over `ctx`: projections are inserted (opts.insertion) so that
/// each z-slab owner ends with the sums of its slabs; owners finish their slabs with the distributed
/// inverse FFT; the FSC with `mask` (meaningful on the root only) is computed with distributed
/// transforms; the combined map is Wiener-filtered with it. Only at the end, after the grids are
/// freed, are the cropped maps gathered to the root.
ReconstructionResult reconstruct_collective(parallel::Context& ctx, const ParticleSet& set,
                                            const ImageSource& images, const ReconstructOptions& opts,
                                            const Volume& mask);

/// The same with the mask already spread over the ranks in the layout ctx.slab_layout(box)
/// (scatter_volume_collective), so that at large boxes the root need not keep a whole mask.
ReconstructionResult reconstruct_collective(parallel::Context& ctx, const ParticleSet& set,
                                            const ImageSource& images, const ReconstructOptions& opts,
                                            const VolumeSlab& mask);

}  // namespace cspt
