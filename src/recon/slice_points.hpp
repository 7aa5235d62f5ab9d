// The points of a central slice in padded-grid coordinates: shared by every way of inserting them.
#pragma once

#include <algorithm>
#include <cmath>
#include <complex>

#include <Eigen/Core>

namespace cspt::detail {

/// (re, im, weight, 0): one SIMD register per inserted value.
using Float4 = float __attribute__((vector_size(16)));

/// Calls fn(x, y', z', value) for every point of a central slice, where (x, y, z) = pad * A^T k with
/// x >= 0 (points with x < 0 are replaced by their conjugate Friedel mates), y' = y + n_pad and
/// z' = z + n_pad (both positive, so truncation is floor), and value = (re, im, weight, 0).
template <class Fn>
void for_each_slice_point(const std::complex<float>* values, const float* weights, int box, int np,
                          const Eigen::Matrix3d& a, double r_max_px, Fn&& fn) {
  const int img_nxh = box / 2 + 1;
  const double pad = double(np) / box;
  // k3 = pad * A^T (kx, ky, 0) = kx * pad * row0(A) + ky * pad * row1(A).
  const float ux = float(pad * a(0, 0)), uy = float(pad * a(0, 1)), uz = float(pad * a(0, 2));
  const float vx = float(pad * a(1, 0)), vy = float(pad * a(1, 1)), vz = float(pad * a(1, 2));
  const int r_max = int(std::floor(std::min(r_max_px, box / 2.0 - 1e-6)));
  const double r2_max = r_max_px * r_max_px;
  const float fnp = float(np);
  for (int ky = -r_max; ky <= r_max; ++ky) {
    const int row = ky < 0 ? ky + box : ky;
    const int kx_max = std::min(box / 2, int(std::floor(std::sqrt(std::max(0.0, r2_max - double(ky) * ky)))));
    // On the kx = 0 column only ky >= 0 is inserted: ky < 0 there is the Friedel mate of ky > 0,
    // which complete_friedel_plane_collective() restores. The origin is its own mate, so it goes in at half weight.
    const int kx_start = ky < 0 ? 1 : 0;
    const std::complex<float>* vrow = values + std::size_t(row) * img_nxh;
    const float* wrow = weights + std::size_t(row) * img_nxh;
    const float row_x = ky * vx, row_y = ky * vy, row_z = ky * vz;
    for (int kx = kx_start; kx <= kx_max; ++kx) {
      float x = kx * ux + row_x, y = kx * uy + row_y, z = kx * uz + row_z;
      const float half = (kx == 0 && ky == 0) ? 0.5f : 1.0f;
      float re = vrow[kx].real() * half, im = vrow[kx].imag() * half;
      const float w = wrow[kx] * half;
      if (x < 0.0f) {  // Friedel: F(-k) = conj F(k)
        x = -x;
        y = -y;
        z = -z;
        im = -im;
      }
      fn(x, y + fnp, z + fnp, Float4{re, im, w, 0.0f});
    }
  }
}

}  // namespace cspt::detail
