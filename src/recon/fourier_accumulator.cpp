// Trilinear insertion of central slices into the padded Fourier grid (the reconstruction's hot loop).
#include "cspt/recon/fourier_accumulator.hpp"

#include <algorithm>
#include <cmath>

namespace cspt {

FourierAccumulator::FourierAccumulator(int n_pad)
    : n_pad_(n_pad), cells_(std::size_t(n_pad) * n_pad * (n_pad / 2 + 1)) {}

void FourierAccumulator::clear() { std::fill(cells_.begin(), cells_.end(), AccumulatorCell{}); }

void FourierAccumulator::add(const FourierAccumulator& other) {
  const std::size_t n = cells_.size();
  AccumulatorCell* a = cells_.data();
  const AccumulatorCell* b = other.cells_.data();
  for (std::size_t i = 0; i < n; ++i) {
    a[i].re += b[i].re;
    a[i].im += b[i].im;
    a[i].weight += b[i].weight;
  }
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
  const auto wrap = [np](int i) { return i < 0 ? i + np : i; };

  for (int ky = -r_max; ky <= r_max; ++ky) {
    const int row = ky < 0 ? ky + box : ky;
    const int kx_max = int(std::floor(std::sqrt(std::max(0.0, r2_max - double(ky) * ky))));
    // On the kx = 0 column only ky >= 0 is inserted: ky < 0 there is the Friedel mate of ky > 0,
    // which complete_friedel_plane() restores. The origin is its own mate, so it goes in at half weight.
    const int kx_start = ky < 0 ? 1 : 0;
    const std::complex<float>* vrow = values + std::size_t(row) * img_nxh;
    const float* wrow = weights + std::size_t(row) * img_nxh;
    for (int kx = kx_start; kx <= std::min(kx_max, box / 2); ++kx) {
      float x = kx * ux + ky * vx, y = kx * uy + ky * vy, z = kx * uz + ky * vz;
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
      const int x0 = int(x);
      const int y0 = int(std::floor(y)), z0 = int(std::floor(z));
      const float fx = x - x0, fy = y - y0, fz = z - z0;
      const int xs[2] = {x0, x0 + 1};
      const float wx[2] = {1.0f - fx, fx};
      const int ys[2] = {wrap(y0), wrap(y0 + 1)};
      const float wy[2] = {1.0f - fy, fy};
      const int zs[2] = {wrap(z0), wrap(z0 + 1)};
      const float wz[2] = {1.0f - fz, fz};
      const int nx_used = (x0 + 1 < nxh) ? 2 : 1;
      for (int iz = 0; iz < 2; ++iz) {
        for (int iy = 0; iy < 2; ++iy) {
          const float wyz = wy[iy] * wz[iz];
          AccumulatorCell* line = grid + (std::size_t(zs[iz]) * np + ys[iy]) * nxh;
          for (int ix = 0; ix < nx_used; ++ix) {
            const float t = wyz * wx[ix];
            AccumulatorCell& c = line[xs[ix]];
            c.re += t * re;
            c.im += t * im;
            c.weight += t * w;
          }
        }
      }
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
      const AccumulatorCell sum_a{a.re + b.re, a.im - b.im, a.weight + b.weight};
      b = AccumulatorCell{b.re + a.re, b.im - a.im, b.weight + a.weight};
      a = sum_a;
    }
  }
}

}  // namespace cspt
