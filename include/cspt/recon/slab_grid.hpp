// One rank's z-slab of the padded Fourier grid, storing only the cells a reconstruction can reach.
#pragma once

#include <cstddef>
#include <vector>

#include "cspt/parallel/context.hpp"
#include "cspt/util/huge_buffer.hpp"

namespace cspt {

/// Numerator (complex) and denominator of one grid cell. 12 bytes: at large boxes memory, not the
/// SIMD width, is what limits a run (the full-grid accumulator's cells are 16 bytes).
struct SlabCell {
  float re = 0.0f, im = 0.0f, weight = 0.0f;
};
static_assert(sizeof(SlabCell) == 12);

/// Planes z0 .. z0+nz-1 (FFTW order: plane z is kz = z or z - n_pad) of the non-redundant half
/// (kx >= 0) of an n_pad^3 grid, holding only the cells with kx^2 + ky^2 + kz^2 <= radius^2 (padded
/// grid units): row (z, y) keeps kx = 0 .. row_length(z, y) - 1. A trilinear splat of a point within
/// radius - 2 of the origin lands only in stored cells; inserted radii are pad * r_max + 2 or more.
class SlabGrid {
 public:
  SlabGrid() = default;
  SlabGrid(int n_pad, int z0, int nz, double radius);

  /// Cells such a grid stores, without making it (for the memory model).
  static std::size_t cells_for(int n_pad, int z0, int nz, double radius);

  int n_pad() const { return n_pad_; }
  int z0() const { return z0_; }
  int nz() const { return nz_; }
  double radius() const { return radius_; }
  bool owns(int z) const { return z >= z0_ && z < z0_ + nz_; }
  std::size_t size() const { return cells_.size(); }

  /// Row (z, y) of an owned plane: its first cell and length (0 when the row lies outside the radius).
  SlabCell* row(int z, int y) { return cells_.data() + start_[index(z, y)]; }
  const SlabCell* row(int z, int y) const { return cells_.data() + start_[index(z, y)]; }
  int row_length(int z, int y) const { return int(start_[index(z, y) + 1] - start_[index(z, y)]); }

  /// Trilinear splat of one point, coordinates as detail::for_each_slice_point gives them (x >= 0,
  /// y' = y + n_pad, z' = z + n_pad). Only corners in owned planes are added.
  void splat(float x, float yp, float zp, float re, float im, float weight);

  /// Free the cells.
  void release();

 private:
  std::size_t index(int z, int y) const { return std::size_t(z - z0_) * std::size_t(n_pad_) + std::size_t(y); }
  int n_pad_ = 0, z0_ = 0, nz_ = 0;
  double radius_ = 0.0;
  std::vector<std::size_t> start_;  ///< nz * n_pad + 1 row offsets
  HugeBuffer<SlabCell> cells_;
};

/// Contiguous z-ranges of an n_pad grid for `ranks` ranks holding nearly equal numbers of cells within
/// `radius`. The planes near kz = 0 hold the most cells, so equal plane counts (FFTW's layout) would
/// give the ranks owning them about twice the average memory.
parallel::SlabLayout balanced_slab_layout(int n_pad, int ranks, double radius);

/// Row length of row (kz, ky) (signed frequencies) for a radius: floor(sqrt(r^2 - ky^2 - kz^2)) + 1,
/// at most n_pad/2 + 1, or 0 beyond the radius.
int slab_row_length(int n_pad, int kz, int ky, double radius);

}  // namespace cspt
