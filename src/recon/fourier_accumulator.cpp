// Trilinear insertion of central slices into the padded Fourier grid (the reconstruction's hot loop).
#include "cspt/recon/fourier_accumulator.hpp"

#include <algorithm>
#include <cmath>

namespace cspt {
namespace {
using Float4 = float __attribute__((vector_size(16)));
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

void FourierAccumulator::insert_slice(const std::complex<float>* values, const float* weights, int box,
                                      const Eigen::Matrix3d& a, double r_max_px) {
  const int np = n_pad_;
  const int nxh = np / 2 + 1;
  const int img_nxh = box / 2 + 1;
  const double pad = double(np) / box;
  // k3 = pad * A^T (kx, ky, 0) = kx * pad * row0(A) + ky * pad * row1(A).
  const float ux = float(pad * a(0, 0)), uy = float(pad * a(0, 1)), uz = float(pad * a(0, 2));
  const float vx = float(pad * a(1, 0)), vy = float(pad * a(1, 1)), vz = float(pad * a(1, 2));
  const int r_max = int(std::floor(std::min(r_max_px, box / 2.0 - 1e-6)));
  const double r2_max = r_max_px * r_max_px;
  AccumulatorCell* grid = cells_.data();
  const float fnp = float(np);

  for (int ky = -r_max; ky <= r_max; ++ky) {
    const int row = ky < 0 ? ky + box : ky;
    const int kx_max = std::min(box / 2, int(std::floor(std::sqrt(std::max(0.0, r2_max - double(ky) * ky)))));
    // On the kx = 0 column only ky >= 0 is inserted: ky < 0 there is the Friedel mate of ky > 0,
    // which complete_friedel_plane() restores. The origin is its own mate, so it goes in at half weight.
    const int kx_start = ky < 0 ? 1 : 0;
    const std::complex<float>* vrow = values + std::size_t(row) * img_nxh;
    const float* wrow = weights + std::size_t(row) * img_nxh;
    const float row_x = ky * vx, row_y = ky * vy, row_z = ky * vz;
    for (int kx = kx_start; kx <= kx_max; ++kx) {
      float x = kx * ux + row_x, y = kx * uy + row_y, z = kx * uz + row_z;
      float re = vrow[kx].real(), im = vrow[kx].imag(), w = wrow[kx];
      if (kx == 0 && ky == 0) {
        re *= 0.5f;
        im *= 0.5f;
        w *= 0.5f;
      }
      if (x < 0.0f) {  // Friedel: F(-k) = conj F(k)
        x = -x;
        y = -y;
        z = -z;
        im = -im;
      }
      // |y|, |z| <= np/2, so y + np > 0 and truncation is floor; the result wraps negative
      // frequencies to FFTW order.
      const int ty = int(y + fnp), tz = int(z + fnp), x0 = int(x);
      const float fx = x - float(x0), fy = (y + fnp) - float(ty), fz = (z + fnp) - float(tz);
      const int y0 = ty >= np ? ty - np : ty, z0 = tz >= np ? tz - np : tz;
      const int y1 = y0 + 1 == np ? 0 : y0 + 1, z1 = z0 + 1 == np ? 0 : z0 + 1;
      const float gx = 1.0f - fx, gy = 1.0f - fy, gz = 1.0f - fz;
      const bool has_x1 = x0 + 1 < nxh;
      const Float4 value = {re, im, w, 0.0f};
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
  }
}

void FourierAccumulator::complete_friedel_plane() {
  const int np = n_pad_;
  const int nxh = np / 2 + 1;
  const auto cell = [&](int y, int z) -> AccumulatorCell& { return cells_[(std::size_t(z) * np + y) * nxh]; };
  // Visit each unordered pair {(y, z), (-y, -z)} once; self-mates (y, z in {0, np/2}) double.
  for (int z = 0; z < np; ++z) {
    for (int y = 0; y < np; ++y) {
      const int my = (np - y) % np, mz = (np - z) % np;
      const std::size_t self = std::size_t(z) * np + y, mate = std::size_t(mz) * np + my;
      if (mate < self) continue;
      AccumulatorCell& a = cell(y, z);
      if (mate == self) {
        a.re *= 2.0f;
        a.im = 0.0f;
        a.weight *= 2.0f;
        continue;
      }
      AccumulatorCell& b = cell(my, mz);
      const AccumulatorCell sum_a{a.re + b.re, a.im - b.im, a.weight + b.weight, 0.0f};
      b = AccumulatorCell{b.re + a.re, b.im - a.im, b.weight + a.weight, 0.0f};
      a = sum_a;
    }
  }
}

}  // namespace cspt
