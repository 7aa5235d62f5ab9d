// The compact z-slab grid: ragged rows within a radius, trilinear splats restricted to owned planes.
#include "cspt/recon/slab_grid.hpp"

#include <algorithm>
#include <cmath>

namespace cspt {
namespace {
inline int signed_index(int i, int n) { return i <= n / 2 ? i : i - n; }
}  // namespace

int slab_row_length(int n_pad, int kz, int ky, double radius) {
  const double rest = radius * radius - double(ky) * ky - double(kz) * kz;
  if (rest < 0) return 0;
  return std::min(n_pad / 2 + 1, int(std::floor(std::sqrt(rest))) + 1);
}

std::size_t SlabGrid::cells_for(int n_pad, int z0, int nz, double radius) {
  std::size_t n = 0;
  for (int z = z0; z < z0 + nz; ++z)
    for (int y = 0; y < n_pad; ++y) n += std::size_t(slab_row_length(n_pad, signed_index(z, n_pad), signed_index(y, n_pad), radius));
  return n;
}

parallel::SlabLayout balanced_slab_layout(int n_pad, int ranks, double radius) {
  std::vector<double> prefix(static_cast<std::size_t>(n_pad) + 1, 0.0);
  for (int z = 0; z < n_pad; ++z) prefix[z + 1] = prefix[z] + double(SlabGrid::cells_for(n_pad, z, 1, radius));
  parallel::SlabLayout layout;
  int z = 0;
  for (int r = 0; r < ranks; ++r) {
    // Rank r ends at the first plane whose prefix reaches (r + 1) / ranks of the cells.
    const double target = prefix.back() * (r + 1) / ranks;
    int end = z;
    while (end < n_pad && (r == ranks - 1 || prefix[end + 1] <= target + 0.5 * (prefix[end + 1] - prefix[end]))) ++end;
    layout.z0.push_back(z);
    layout.nz.push_back(end - z);
    z = end;
  }
  return layout;
}

SlabGrid::SlabGrid(int n_pad, int z0, int nz, double radius) : n_pad_(n_pad), z0_(z0), nz_(nz), radius_(radius) {
  start_.assign(std::size_t(nz) * std::size_t(n_pad) + 1, 0);
  std::size_t offset = 0;
  for (int z = z0; z < z0 + nz; ++z)
    for (int y = 0; y < n_pad; ++y) {
      start_[index(z, y)] = offset;
      offset += std::size_t(slab_row_length(n_pad, signed_index(z, n_pad), signed_index(y, n_pad), radius));
    }
  start_.back() = offset;
  cells_ = HugeBuffer<SlabCell>(offset);
}

void SlabGrid::release() {
  cells_ = HugeBuffer<SlabCell>();
  start_.assign(std::size_t(nz_) * std::size_t(n_pad_) + 1, 0);
}

void SlabGrid::splat(float x, float yp, float zp, float re, float im, float weight) {
  const int np = n_pad_;
  const int ty = int(yp), tz = int(zp), x0 = int(x);
  const float fx = x - float(x0), fy = yp - float(ty), fz = zp - float(tz);
  const int y0 = ty >= np ? ty - np : ty, zl = tz >= np ? tz - np : tz;
  const int y1 = y0 + 1 == np ? 0 : y0 + 1, zh = zl + 1 == np ? 0 : zl + 1;
  const float gx = 1.0f - fx, gy = 1.0f - fy, gz = 1.0f - fz;
  const auto add_line = [&](int yy, int zz, float wyz) {
    if (!owns(zz)) return;
    const std::size_t i = index(zz, yy);
    const std::size_t begin = start_[i], length = start_[i + 1] - begin;
    SlabCell* c = cells_.data() + begin;
    if (std::size_t(x0) < length) {
      const float w = wyz * gx;
      c[x0].re += w * re;
      c[x0].im += w * im;
      c[x0].weight += w * weight;
    }
    if (std::size_t(x0) + 1 < length) {
      const float w = wyz * fx;
      c[x0 + 1].re += w * re;
      c[x0 + 1].im += w * im;
      c[x0 + 1].weight += w * weight;
    }
  };
  add_line(y0, zl, gy * gz);
  add_line(y1, zl, fy * gz);
  add_line(y0, zh, gy * fz);
  add_line(y1, zh, fy * fz);
}

}  // namespace cspt
