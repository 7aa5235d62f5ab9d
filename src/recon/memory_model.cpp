// The reconstruction's memory model: each phase's live buffers, sized exactly as the code allocates them.
#include "cspt/recon/memory_model.hpp"

#include <algorithm>

#include "cspt/core/symmetry.hpp"
#include "cspt/recon/fourier_accumulator.hpp"
#include "cspt/recon/slab_grid.hpp"
#include "recon/finish_slabs.hpp"
#include "recon/insert_slabs.hpp"

namespace cspt {
namespace {

/// What every cspt process holds besides the reconstruction's buffers: code, MPI and HDF5 state, the
/// FFTW plans (measured: about 30 MB for one process, 45 MB under mpirun).
double base_bytes(int ranks) { return ranks > 1 ? 45e6 : 30e6; }

/// FFTW-MPI's block distribution of n planes over `ranks`: the planes of rank r.
std::pair<int, int> block_of(int n, int ranks, int r) {
  const int block = (n + ranks - 1) / ranks;
  const int z0 = std::min(n, r * block);
  return {z0, std::min(block, n - z0)};
}

/// Largest slab-grid cell count (both halves) over the ranks of the balanced layout.
double busiest_slab_cells(int n_pad, int ranks, double radius) {
  const auto layout = balanced_slab_layout(n_pad, ranks, radius);
  double most = 0;
  for (int r = 0; r < ranks; ++r)
    most = std::max(most, 2.0 * double(SlabGrid::cells_for(n_pad, layout.z0[r], layout.nz[r], radius)));
  return most;
}

}  // namespace

ReconstructShape reconstruct_shape(std::size_t projections, int box, double pixel_size_A, const ReconstructOptions& opts,
                                   int ranks) {
  ReconstructShape s;
  s.box = box;
  s.pad = opts.pad;
  s.threads = std::max(1, opts.threads);
  s.ranks = std::max(1, ranks);
  s.r_max_px = box / 2.0 - 1.0;
  if (opts.max_resolution_A > 0) s.r_max_px = std::min(s.r_max_px, box * pixel_size_A / opts.max_resolution_A);
  s.projections = projections;
  s.symmetry_operators = point_group(opts.symmetry).operators.size();
  // Particles are split by half-set first: with two or more ranks a rank holds one half, unless an
  // odd rank count puts the boundary between the halves inside one rank's share.
  s.halves_per_rank = ranks == 1 || ranks % 2 == 1 ? 2 : 1;
  return s;
}

MemoryEstimate reconstruct_memory_per_rank(const ReconstructShape& s, InsertionMode mode) {
  const int n_pad = s.box * s.pad;
  const double nxh = n_pad / 2 + 1;
  const double radius = s.pad * s.r_max_px + 2.0;
  const double slab_grids = busiest_slab_cells(n_pad, s.ranks, radius) * sizeof(SlabCell);
  const int planes = block_of(n_pad, s.ranks, 0).second;  // the FFT's planes of rank 0
  const double plane_bytes = double(n_pad) * nxh * 8.0;
  const double padded_fft = planes * plane_bytes;
  // Finishing moves planes to the FFT's owners in rounds: one round's planes out, up to one round
  // from every rank in (but no more than the rank's own FFT planes).
  const double round_bytes = std::min(detail::finishing_planes_per_round(n_pad), n_pad) * plane_bytes;
  const double moving_planes = std::min(double(s.ranks) * round_bytes, padded_fft) + std::min(round_bytes, padded_fft);
  const int box_planes = block_of(s.box, s.ranks, 0).second;
  const double box_slab = double(box_planes) * s.box * s.box * 4.0;
  const double box_fft = double(box_planes) * s.box * (s.box / 2 + 1) * 8.0;
  const double volume = double(s.box) * s.box * s.box * 4.0;
  // Every rank keeps its slab of the mask for the whole run.
  const double base = base_bytes(s.ranks) + double(s.projections) * sizeof(Projection) + box_slab;
  const double full_grid = double(n_pad) * n_pad * nxh * sizeof(AccumulatorCell);

  std::vector<MemoryEstimate> phases;
  if (mode == InsertionMode::full_grids) {
    // Insertion: one grid per held half and thread (thread 0 uses the rank's own), each thread with
    // two batches of up to 2^18 + 8192 points (24 bytes) per half, twice (collected and sorted).
    const double points = double(s.threads) * 2 * 2 * ((1 << 18) + 8192) * 24.0;
    phases.push_back({"insertion", {{"full grids", s.halves_per_rank * s.threads * full_grid},
                                    {"point batches", points}, {"base", base}}});
    // Reduction: the full grids until each half is reduced, one dense slab, the compact slab grids.
    phases.push_back({"reduction", {{"full grids", s.halves_per_rank * full_grid},
                                    {"dense planes", std::min(64e6, double(n_pad) * n_pad * nxh * sizeof(AccumulatorCell))},
                                    {"slab grids", slab_grids}, {"base", base}}});
  } else {
    // Rounds of about 2^21 points of 24 bytes: thread buffers, send buffer, received, sorted copy
    // (with vector growth slack on the thread buffers), plus the brick index.
    const double round_points = double(detail::projections_per_round(s.r_max_px, s.symmetry_operators)) *
                                std::max(1.0, 1.6 * s.r_max_px * s.r_max_px * double(s.symmetry_operators));
    // Routing holds every point of a round; own-slab keeps only this rank's share of them.
    const double copies = mode == InsertionMode::send_to_owners ? 4.5 : 3.5 * (1.0 / s.ranks + 0.05);
    const double n_bricks = ((nxh + 7) / 8 + 1) * double((n_pad + 7) / 8) * double((n_pad + 7) / 8);
    phases.push_back({"insertion", {{"slab grids", slab_grids}, {"point rounds", copies * round_points * 24.0},
                                    {"brick index", 2 * 8.0 * n_bricks}, {"base", base}}});
  }
  phases.push_back({"finishing", {{"slab grids", slab_grids}, {"padded inverse FFT", padded_fft},
                                  {"planes in transit", moving_planes},
                                  {"half-map slabs", 2 * box_slab + double(planes) / s.pad * s.box * s.box * 4.0},
                                  {"base", base}}});
  phases.push_back({"FSC", {{"slab grids", slab_grids}, {"box transforms", 2 * box_fft},
                            {"half-map and mask slabs", 3 * box_slab}, {"base", base}}});
  if (s.root) phases.push_back({"gathering", {{"maps", 3 * volume}, {"map slabs", 3 * box_slab}, {"base", base}}});
  return *std::max_element(phases.begin(), phases.end(),
                           [](const MemoryEstimate& a, const MemoryEstimate& b) { return a.peak_bytes() < b.peak_bytes(); });
}

}  // namespace cspt
