// Trilinear insertion of central slices into the padded Fourier grid (the reconstruction's hot loop).
#include "cspt/recon/fourier_accumulator.hpp"

#include <algorithm>
#include <cmath>

#include "recon/slice_points.hpp"

namespace cspt {
namespace {
using detail::Float4;
using detail::for_each_slice_point;
inline Float4& as_vector(AccumulatorCell& c) { return *reinterpret_cast<Float4*>(&c); }
}  // namespace

FourierAccumulator::FourierAccumulator(int n_pad)
    : n_pad_(n_pad), cells_(std::size_t(n_pad) * n_pad * (n_pad / 2 + 1)) {}

void FourierAccumulator::clear() { std::fill(cells_.begin(), cells_.end(), AccumulatorCell{}); }

void FourierAccumulator::add(const FourierAccumulator& other) {
  const std::size_t n = cells_.size();
  AccumulatorCell* a = cells_.data();
  const AccumulatorCell* b = other.cells_.data();
  for (std::size_t i = 0; i < n; ++i) as_vector(a[i]) += *reinterpret_cast<const Float4*>(&b[i]);
}

namespace {

/// Trilinear splat of one point (coordinates as for_each_slice_point gives them) into the grid.
inline void splat(AccumulatorCell* grid, int np, float x, float yp, float zp, const Float4& value) {
  const int nxh = np / 2 + 1;
  const int ty = int(yp), tz = int(zp), x0 = int(x);
  const float fx = x - float(x0), fy = yp - float(ty), fz = zp - float(tz);
  const int y0 = ty >= np ? ty - np : ty, z0 = tz >= np ? tz - np : tz;
  const int y1 = y0 + 1 == np ? 0 : y0 + 1, z1 = z0 + 1 == np ? 0 : z0 + 1;
  const float gx = 1.0f - fx, gy = 1.0f - fy, gz = 1.0f - fz;
  const bool has_x1 = x0 + 1 < nxh;
  const auto add_line = [&](int yy, int zz, float wyz) {
    AccumulatorCell* c = grid + (std::size_t(zz) * np + yy) * nxh + x0;
    as_vector(c[0]) += (wyz * gx) * value;
    if (has_x1) as_vector(c[1]) += (wyz * fx) * value;
  };
  add_line(y0, z0, gy * gz);
  add_line(y1, z0, fy * gz);
  add_line(y0, z1, gy * fz);
  add_line(y1, z1, fy * fz);
}

}  // namespace

void FourierAccumulator::insert_slice(const std::complex<float>* values, const float* weights, int box,
                                      const Eigen::Matrix3d& a, double r_max_px) {
  AccumulatorCell* grid = cells_.data();
  const int np = n_pad_;
  for_each_slice_point(values, weights, box, np, a, r_max_px,
                       [grid, np](float x, float yp, float zp, const Float4& v) { splat(grid, np, x, yp, zp, v); });
}

BatchedInserter::BatchedInserter(FourierAccumulator& grid, std::size_t max_points)
    : grid_(&grid), max_points_(max_points) {
  points_.reserve(max_points + 8192);
}

void BatchedInserter::add_slice(const std::complex<float>* values, const float* weights, int box,
                                const Eigen::Matrix3d& a, double r_max_px) {
  for_each_slice_point(values, weights, box, grid_->n_pad(), a, r_max_px,
                       [this](float x, float yp, float zp, const Float4& v) {
                         points_.push_back({x, yp, zp, v[0], v[1], v[2]});
                       });
  if (points_.size() >= max_points_) flush();
}

void BatchedInserter::flush() {
  if (points_.empty()) return;
  // Counting sort by 8^3-cell brick, z-major, then splat in that order: the cache lines of a brick
  // are fetched once for all the batch's points in it, and the sweep through the grid is monotone.
  const int np = grid_->n_pad();
  const int nb_x = (np / 2 + 1 + 7) / 8 + 1, nb_yz = (np + 7) / 8;
  const auto key = [np, nb_x, nb_yz](const SlicePoint& p) {
    const int ty = int(p.yp), tz = int(p.zp);
    const int y0 = ty >= np ? ty - np : ty, z0 = tz >= np ? tz - np : tz;
    return (std::size_t(z0 >> 3) * nb_yz + std::size_t(y0 >> 3)) * nb_x + std::size_t(int(p.x) >> 3);
  };
  counts_.assign(std::size_t(nb_x) * nb_yz * nb_yz + 1, 0);
  for (const auto& p : points_) ++counts_[key(p) + 1];
  for (std::size_t b = 1; b < counts_.size(); ++b) counts_[b] += counts_[b - 1];
  sorted_.resize(points_.size());
  for (const auto& p : points_) sorted_[counts_[key(p)]++] = p;
  AccumulatorCell* grid = grid_->data();
  for (const auto& p : sorted_) splat(grid, np, p.x, p.yp, p.zp, Float4{p.re, p.im, p.w, 0.0f});
  points_.clear();
}

}  // namespace cspt
