// Fourier-slice projection with a gridding pre-correction.
#include "cspt/recon/projector.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "cspt/fft/transforms.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {
using Float4 = float __attribute__((vector_size(16)));
/// Two adjacent complex cells as (re0, im0, re1, im1).
inline Float4 load_pair(const std::complex<float>* c) {
  Float4 v;
  std::memcpy(&v, c, sizeof v);
  return v;
}
}  // namespace

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

void Projector::project(const Eigen::Matrix3d& a, FourierImage& out) const {
  const int n = box_, nxh_img = n / 2 + 1;
  if (out.nx() != n || out.ny() != n) out = FourierImage(n, n, pixel_size_A_);
  // F2D(k) = F3D(A^T k) within |k| <= n/2, zero beyond: the same samples refinement takes.
  const double r2_max = (n / 2.0) * (n / 2.0);
  std::vector<int> kx, ky, where;
  for (int row = 0; row < n; ++row) {
    const int y = row < (n + 1) / 2 ? row : row - n;
    for (int x = 0; x < nxh_img; ++x) {
      out.at(x, row) = 0.0f;
      if (double(x) * x + double(y) * y > r2_max) continue;
      kx.push_back(x);
      ky.push_back(y);
      where.push_back(row * nxh_img + x);
    }
  }
  std::vector<std::complex<float>> values(kx.size());
  project_at(a, kx, ky, values.data());
  for (std::size_t i = 0; i < values.size(); ++i) out.data()[where[i]] = values[i];
}

void Projector::project_at(const Eigen::Matrix3d& a, std::span<const int> kx, std::span<const int> ky,
                           std::complex<float>* out) const {
  // Trilinear interpolation of the padded transform at pad * A^T k (the padded transform's slice
  // there equals the unpadded one's at k), in single precision with the cube's offset folded in
  // (indices never negative, no floor or modulo); Friedel's F(-k) = conj F(k) for kx < 0.
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
    std::complex<float> val;
    if (x0 + 1 < nxh && x0 + 1 <= r) {
      // The x0 and x0 + 1 cells of a row are 16 contiguous bytes: one 4-float vector per row, so
      // the 8 corners take 4 loads and 4 multiply-adds instead of 16 complex products.
      Float4 pair = (gy * gz) * load_pair(c00) + (fy * gz) * load_pair(c01) + (gy * fz) * load_pair(c10) +
                    (fy * fz) * load_pair(c11);
      val = {gx * pair[0] + fx * pair[2], gx * pair[1] + fx * pair[3]};
    } else {
      val = gx * ((gy * gz) * c00[0] + (fy * gz) * c01[0] + (gy * fz) * c10[0] + (fy * fz) * c11[0]);
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
