// The padded 3D Fourier grid into which projections are inserted: numerator CTF*F and denominator CTF^2.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

#include <Eigen/Core>

#include "cspt/util/huge_buffer.hpp"

namespace cspt {

/// One cell of the accumulator: the numerator (complex) and the denominator (real) side by side, so
/// that an insertion touches one cache line per neighbour instead of two. Padded to 16 bytes so
/// that one SIMD load-add-store updates a whole cell (a third more memory, twice the speed).
struct alignas(16) AccumulatorCell {
  float re = 0.0f, im = 0.0f, weight = 0.0f, unused = 0.0f;
};
static_assert(sizeof(AccumulatorCell) == 16);

/// The non-redundant half (kx >= 0) of an n_pad^3 Fourier grid, FFTW order: cell (kx, ky, kz) is at
/// ((kz_idx * n_pad) + ky_idx) * (n_pad/2 + 1) + kx, with negative ky, kz wrapped to n_pad + k.
class FourierAccumulator {
 public:
  FourierAccumulator() = default;
  explicit FourierAccumulator(int n_pad);

  int n_pad() const { return n_pad_; }
  int nx_half() const { return n_pad_ / 2 + 1; }
  std::size_t cells_per_z() const { return std::size_t(n_pad_) * nx_half(); }
  std::size_t size() const { return cells_.size(); }
  AccumulatorCell* data() { return cells_.data(); }
  const AccumulatorCell* data() const { return cells_.data(); }
  void clear();

  /// Insert a central slice with trilinear weights. `values` and `weights` are the non-redundant half
  /// of a box x box image transform in FFTW layout (box rows, box/2+1 columns), already multiplied by
  /// CTF and frequency weight (values) and CTF^2 and frequency weight (weights). `a` is the projection
  /// matrix: the slice point k lands at pad * a^T k. Only |k| <= r_max_px (image pixels) is inserted.
  void insert_slice(const std::complex<float>* values, const float* weights, int box, const Eigen::Matrix3d& a,
                    double r_max_px);

  /// Element-wise sum.
  void add(const FourierAccumulator& other);

 private:
  int n_pad_ = 0;
  HugeBuffer<AccumulatorCell> cells_;
};

/// Inserts slices in batches: points of many slices are collected, sorted by grid brick and
/// splatted in memory order. Same sums as FourierAccumulator::insert_slice up to the order of
/// floating-point additions, and several times fewer cache misses on grids larger than the caches.
class BatchedInserter {
 public:
  /// Points go into `grid`; a batch is flushed when it holds `max_points` points.
  explicit BatchedInserter(FourierAccumulator& grid, std::size_t max_points = std::size_t(1) << 18);
  BatchedInserter(const BatchedInserter&) = delete;
  BatchedInserter& operator=(const BatchedInserter&) = delete;
  BatchedInserter(BatchedInserter&&) = default;
  BatchedInserter& operator=(BatchedInserter&&) = default;

  /// As FourierAccumulator::insert_slice; the points may reach the grid only at the next flush().
  void add_slice(const std::complex<float>* values, const float* weights, int box, const Eigen::Matrix3d& a,
                 double r_max_px);
  /// Insert every point collected so far. Call before reading the grid.
  void flush();

 private:
  struct SlicePoint {
    float x, yp, zp, re, im, w;
  };
  FourierAccumulator* grid_;
  std::size_t max_points_;
  std::vector<SlicePoint> points_, sorted_;
  std::vector<std::size_t> counts_;
};

}  // namespace cspt
