// Fourier-slice projection with a gridding pre-correction.
#include "cspt/recon/projector.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "cspt/fft/transforms.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {
double sinc(double x) { return std::abs(x) < 1e-12 ? 1.0 : std::sin(x) / x; }
}  // namespace

Projector::Projector(const Volume& map, int pad, int threads, double max_radius_px)
    : box_(map.nx()), n_pad_(map.nx() * pad), pixel_size_A_(map.pixel_size_A()) {
  if (!map.is_cubic() || box_ < 2) throw InternalError("Projector needs a cubic map");
  // Centre the map at voxel n_pad/2 of the padded box, divided by sinc^2 of the trilinear kernel.
  const int np = n_pad_, off = np / 2 - box_ / 2;
  std::vector<double> corr(static_cast<std::size_t>(box_));
  for (int i = 0; i < box_; ++i) {
    const double t = sinc(std::numbers::pi * (i - box_ / 2) / np);
    corr[i] = 1.0 / (t * t);
  }
  Volume padded(np, pixel_size_A_);
  for (int z = 0; z < box_; ++z)
    for (int y = 0; y < box_; ++y)
      for (int x = 0; x < box_; ++x)
        padded.at(x + off, y + off, z + off) = float(map.at(x, y, z) * corr[x] * corr[y] * corr[z]);
  FourierVolume padded_ = fft::forward(padded, threads);
  // Move the origin from voxel np/2 to voxel 0: multiply coefficient k by exp(2 pi i k (np/2) / np).
  const int c = np / 2;
  std::vector<std::complex<float>> ph(static_cast<std::size_t>(np));
  for (int i = 0; i < np; ++i) ph[i] = std::polar(1.0f, float(2.0 * std::numbers::pi * padded_.frequency(i) * c / np));
  const int nxh = padded_.nx_half();
  // Keep the cube that interpolation up to the radius can touch (one cell beyond it).
  reach_ = np / 2 + 1;  // one plane beyond Nyquist, wrapped, as the periodic transform has it
  if (max_radius_px > 0) reach_ = std::min(reach_, int(std::ceil(max_radius_px * pad)) + 1);
  const int side = 2 * reach_ + 1, nx = reach_ + 1;
  cube_.assign(std::size_t(side) * side * nx, {0.0f, 0.0f});
  for (int z = -reach_; z <= reach_; ++z)
    for (int y = -reach_; y <= reach_; ++y) {
      const int zi = (z + np) % np, yi = (y + np) % np;
      for (int x = 0; x < nx && x < nxh; ++x)
        cube_[(std::size_t(z + reach_) * side + std::size_t(y + reach_)) * nx + x] =
            padded_.at(x, yi, zi) * ph[zi] * ph[yi] * ph[x];
    }
}

std::complex<float> Projector::interpolate(double x, double y, double z) const {
  const int np = n_pad_, nxh = np / 2 + 1;
  bool conj = false;
  if (x < 0) {  // Friedel: F(-k) = conj F(k)
    x = -x;
    y = -y;
    z = -z;
    conj = true;
  }
  const int x0 = int(x), y0 = int(std::floor(y)), z0 = int(std::floor(z));
  const int r = reach_;
  if (x0 > r || y0 < -r || y0 >= r || z0 < -r || z0 >= r) return {0.0f, 0.0f};
  const float fx = float(x - x0), fy = float(y - y0), fz = float(z - z0);
  const int side = 2 * r + 1, nx = r + 1;
  const std::complex<float>* grid = cube_.data();
  const auto row = [&](int yy, int zz) { return grid + (std::size_t(zz + r) * side + std::size_t(yy + r)) * nx; };
  std::complex<float> v = 0.0f;
  const bool x1_inside = x0 + 1 < nxh && x0 + 1 <= r;
  for (int dz = 0; dz < 2; ++dz)
    for (int dy = 0; dy < 2; ++dy) {
      const std::complex<float>* line = row(y0 + dy, z0 + dz);
      const float wyz = (dy ? fy : 1 - fy) * (dz ? fz : 1 - fz);
      v += (wyz * (1 - fx)) * line[x0];
      if (x1_inside) v += (wyz * fx) * line[x0 + 1];
    }
  return conj ? std::conj(v) : v;
}

void Projector::project(const Eigen::Matrix3d& a, FourierImage& out) const {
  const int n = box_, np = n_pad_, nxh_img = n / 2 + 1;
  const double pad = double(np) / n;
  if (out.nx() != n || out.ny() != n) out = FourierImage(n, n, pixel_size_A_);
  const double r2_max = (n / 2.0) * (n / 2.0);
  for (int row = 0; row < n; ++row) {
    const int ky = row < (n + 1) / 2 ? row : row - n;
    for (int kx = 0; kx < nxh_img; ++kx) {
      std::complex<float>& o = out.at(kx, row);
      if (double(kx) * kx + double(ky) * ky > r2_max) {
        o = 0.0f;
        continue;
      }
      // F2D(k) = F3D(A^T k): the point pad * A^T k of the padded transform. The padded transform
      // sums over np^3 voxels of which the map fills n^3; its slice at pad*k equals the slice of the
      // unpadded transform at k.
      o = interpolate(pad * (a(0, 0) * kx + a(1, 0) * ky), pad * (a(0, 1) * kx + a(1, 1) * ky),
                      pad * (a(0, 2) * kx + a(1, 2) * ky));
    }
  }
}

void Projector::project_at(const Eigen::Matrix3d& a, std::span<const int> kx, std::span<const int> ky,
                           std::complex<float>* out) const {
  // The same trilinear interpolation as interpolate(), in single precision with the cube's offset
  // folded in (indices never negative, no floor), for the refinement's hot loop.
  const float pad = float(n_pad_) / float(box_);
  const float ax = pad * float(a(0, 0)), bx = pad * float(a(1, 0)), ay = pad * float(a(0, 1)), by = pad * float(a(1, 1)),
              az = pad * float(a(0, 2)), bz = pad * float(a(1, 2));
  const int r = reach_, side = 2 * r + 1, nx = r + 1, nxh = n_pad_ / 2 + 1;
  const float fr = float(r);
  const std::complex<float>* grid = cube_.data();
  const std::size_t n = kx.size();
  for (std::size_t i = 0; i < n; ++i) {
    const float u = float(kx[i]), v = float(ky[i]);
    float x = ax * u + bx * v, y = ay * u + by * v, z = az * u + bz * v;
    const bool conj = x < 0;
    if (conj) {
      x = -x;
      y = -y;
      z = -z;
    }
    const float ys = y + fr, zs = z + fr;  // >= 0 inside the cube
    if (!(ys >= 0.0f) || !(zs >= 0.0f)) {
      out[i] = {0.0f, 0.0f};
      continue;
    }
    const int x0 = int(x), y0 = int(ys), z0 = int(zs);
    if (x0 > r || y0 >= 2 * r || z0 >= 2 * r) {
      out[i] = {0.0f, 0.0f};
      continue;
    }
    const float fx = x - float(x0), fy = ys - float(y0), fz = zs - float(z0);
    const std::complex<float>* c00 = grid + (std::size_t(z0) * side + std::size_t(y0)) * nx + x0;
    const std::complex<float>* c01 = c00 + nx;                       // y + 1
    const std::complex<float>* c10 = c00 + std::size_t(side) * nx;   // z + 1
    const std::complex<float>* c11 = c10 + nx;
    const float gx = 1 - fx, gy = 1 - fy, gz = 1 - fz;
    std::complex<float> val = (gy * gz) * c00[0] + (fy * gz) * c01[0] + (gy * fz) * c10[0] + (fy * fz) * c11[0];
    if (x0 + 1 < nxh && x0 + 1 <= r) {
      const std::complex<float> val1 = (gy * gz) * c00[1] + (fy * gz) * c01[1] + (gy * fz) * c10[1] + (fy * fz) * c11[1];
      val = gx * val + fx * val1;
    } else {
      val *= gx;
    }
    out[i] = conj ? std::conj(val) : val;
  }
}

Image Projector::project_image(const Eigen::Matrix3d& a, double shift_x_A, double shift_y_A) const {
  FourierImage f(box_, box_, pixel_size_A_);
  project(a, f);
  // Put the centre at pixel box/2 - shift/pixel: multiply by exp(-2 pi i k c / n).
  const int n = box_;
  const double cx = n / 2 - shift_x_A / pixel_size_A_, cy = n / 2 - shift_y_A / pixel_size_A_;
  for (int row = 0; row < n; ++row) {
    const int ky = f.frequency(row);
    for (int kx = 0; kx < f.nx_half(); ++kx)
      f.at(kx, row) *= std::polar(1.0f, float(-2.0 * std::numbers::pi * (kx * cx + ky * cy) / n));
  }
  return fft::inverse(f);
}

}  // namespace cspt
