// The memory model and the slab layout: sizes against closed forms, and the automatic choice.
#include "cspt/recon/memory_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "cspt/recon/fourier_accumulator.hpp"
#include "cspt/recon/slab_grid.hpp"

namespace cspt {
namespace {

TEST(SlabGridTest, stores_the_half_ball_within_the_radius) {
  // Cells with kx >= 0 inside a ball of radius R: about (2/3) pi R^3 (plus the rows' boundary cells).
  const int n = 256;
  const double radius = 100.0;
  const double cells = double(SlabGrid::cells_for(n, 0, n, radius));
  const double ball = 2.0 / 3.0 * std::numbers::pi * radius * radius * radius;
  EXPECT_GT(cells, ball);
  EXPECT_LT(cells, 1.03 * ball);
  // A radius beyond the cube's corner keeps every cell of the half grid.
  EXPECT_EQ(SlabGrid::cells_for(32, 0, 32, 100.0), std::size_t(32) * 32 * 17);
}

TEST(SlabGridTest, balanced_layout_tiles_the_planes_with_equal_cell_counts) {
  const int n = 256;
  const double radius = 127.0;
  for (int ranks : {1, 2, 3, 4, 7, 64}) {
    const auto layout = balanced_slab_layout(n, ranks, radius);
    ASSERT_EQ(layout.owner_count(), ranks);
    int z = 0;
    double most = 0, total = 0;
    for (int r = 0; r < ranks; ++r) {
      EXPECT_EQ(layout.z0[r], z);
      z += layout.nz[r];
      const double c = double(SlabGrid::cells_for(n, layout.z0[r], layout.nz[r], radius));
      most = std::max(most, c);
      total += c;
    }
    EXPECT_EQ(z, n);
    // Whole planes: the busiest rank holds at most one plane more than an equal share.
    const double plane = double(SlabGrid::cells_for(n, 0, 1, radius));
    EXPECT_LE(most, total / ranks + plane) << ranks << " ranks";
  }
}

TEST(SlabGridTest, splats_only_into_owned_planes) {
  SlabGrid g(16, 4, 2, 20.0);  // planes 4 and 5
  // A point between planes 3 and 4 (z' = z + n_pad): only its plane-4 corners land.
  g.splat(1.0f, 16.0f + 2.0f, 16.0f + 3.25f, 1.0f, 0.0f, 1.0f);
  double sum = 0;
  for (int z = 4; z < 6; ++z)
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < g.row_length(z, y); ++x) sum += g.row(z, y)[x].weight;
  EXPECT_NEAR(sum, 0.25, 1e-6);
}

ReconstructShape shape(int box, int pad, int ranks, int threads) {
  ReconstructShape s;
  s.box = box;
  s.pad = pad;
  s.ranks = ranks;
  s.threads = threads;
  s.r_max_px = box / 2.0 - 1.0;
  s.projections = 1000;
  s.halves_per_rank = ranks % 2 == 1 ? 2 : 1;
  return s;
}

TEST(MemoryModelTest, full_grids_cost_one_dense_grid_per_half_and_thread) {
  const double grid = 256.0 * 256 * 129 * sizeof(AccumulatorCell);
  const double compact = 2.0 * double(SlabGrid::cells_for(256, 0, 256, 2 * 63.0 + 2)) * sizeof(SlabCell);
  const auto one = reconstruct_memory_per_rank(shape(128, 2, 1, 1), InsertionMode::full_grids);
  // The peak is the reduction: both dense grids, and the compact grids they are copied into.
  EXPECT_EQ(one.phase, "reduction");
  EXPECT_GE(one.peak_bytes(), 2 * grid + compact);
  EXPECT_LT(one.peak_bytes(), 2 * grid + compact + 0.15e9);
  const auto threads = reconstruct_memory_per_rank(shape(128, 2, 1, 3), InsertionMode::full_grids);
  EXPECT_EQ(threads.phase, "insertion");
  EXPECT_GE(threads.peak_bytes(), 6 * grid);
}

TEST(MemoryModelTest, slabs_make_a_box_512_pad_2_reconstruction_fit_in_4_GB_on_4_ranks) {
  const auto full = reconstruct_memory_per_rank(shape(512, 2, 4, 1), InsertionMode::full_grids);
  const auto slab = reconstruct_memory_per_rank(shape(512, 2, 4, 1), InsertionMode::send_to_owners);
  EXPECT_GT(full.peak_bytes(), 8e9);  // one 1024^3 half grid of 16-byte cells
  EXPECT_LT(slab.peak_bytes(), 4e9);
  EXPECT_EQ(slab.phase, "finishing");  // grids and the padded inverse FFT at once
  // More ranks, less per rank.
  EXPECT_LT(reconstruct_memory_per_rank(shape(512, 2, 8, 1), InsertionMode::send_to_owners).peak_bytes(),
            0.7 * slab.peak_bytes());
}

}  // namespace
}  // namespace cspt
