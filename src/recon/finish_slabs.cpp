// Slab-wise finishing of the reconstruction (runs on every rank on its own z-slabs).
#include "recon/finish_slabs.hpp"

#include <cmath>
#include <numbers>

#include "cspt/util/error.hpp"

namespace cspt::detail {
namespace {
inline int signed_index(int i, int n) { return i <= n / 2 ? i : i - n; }

double sinc(double x) { return std::abs(x) < 1e-12 ? 1.0 : std::sin(x) / x; }
}  // namespace

ReducedSlabs reduce_to_slabs_collective(parallel::Context& ctx, FourierAccumulator (&local)[2], int n_pad) {
  ReducedSlabs s;
  s.n_pad = n_pad;
  const auto layout = ctx.slab_layout(s.n_pad);
  s.z0 = layout.z0[ctx.rank()];
  s.nz = layout.nz[ctx.rank()];
  const std::size_t per_z = std::size_t(n_pad) * (n_pad / 2 + 1);
  for (int h = 0; h < 2; ++h) {
    const bool held = local[h].size() > 0;
    if (held) local[h].complete_friedel_plane();
    s.half[h].resize(per_z * std::size_t(s.nz));
    ctx.reduce_to_slabs_collective(held ? reinterpret_cast<const float*>(local[h].data()) : nullptr, per_z * 4,
                                   layout, reinterpret_cast<float*>(s.half[h].data()));
    local[h] = FourierAccumulator();
  }
  return s;
}

std::vector<std::array<double, 3>> shell_weight_sums_collective(parallel::Context& ctx, const ReducedSlabs& s,
                                                               int box, double r_max_px) {
  const int np = s.n_pad, nxh = np / 2 + 1;
  const double pad = double(np) / box;
  const int n_shells = box / 2 + 1;
  std::vector<double> flat(3 * std::size_t(n_shells), 0.0);
  for (int lz = 0; lz < s.nz; ++lz) {
    const int kz = signed_index(s.z0 + lz, np);
    for (int y = 0; y < np; ++y) {
      const int ky = signed_index(y, np);
      for (int x = 0; x < nxh; ++x) {
        const double r = std::sqrt(double(x * x + ky * ky + kz * kz)) / pad;
        if (r > r_max_px) continue;
        const int shell = int(std::lround(r));
        if (shell >= n_shells) continue;
        const std::size_t i = (std::size_t(lz) * np + y) * nxh + x;
        flat[3 * shell] += s.half[0][i].weight;
        flat[3 * shell + 1] += s.half[1][i].weight;
        flat[3 * shell + 2] += 1.0;
      }
    }
  }
  ctx.sum_collective(flat);
  std::vector<std::array<double, 3>> out(static_cast<std::size_t>(n_shells));
  for (int i = 0; i < n_shells; ++i) out[i] = {flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]};
  return out;
}

Volume finish_map_collective(parallel::Context& ctx, const ReducedSlabs& s, int box, double pixel_size_A,
                             double r_max_px, int threads, const CellRule& rule) {
  const int np = s.n_pad, nxh = np / 2 + 1;
  const double pad = double(np) / box;
  auto fft = ctx.make_inverse_fft_collective(np, threads);
  if (fft->local_z0() != s.z0 || fft->local_nz() != s.nz) {
    throw InternalError("slab layout of the inverse FFT differs from the reduction's");
  }
  // Moving the content at voxel 0 to voxel c = np/2 (g(j) = f(j - c)) multiplies coefficient k by
  // exp(-2 pi i k c / np), separable over the three axes. (For even np this is (-1)^k either way;
  // for odd np the sign matters.)
  const int c = np / 2;
  std::vector<std::complex<float>> phase(static_cast<std::size_t>(np));
  for (int i = 0; i < np; ++i)
    phase[i] = std::polar(1.0f, float(-2.0 * std::numbers::pi * double(signed_index(i, np)) * c / np));
  std::complex<float>* out = fft->fourier_slab();
  for (int lz = 0; lz < s.nz; ++lz) {
    const int z = s.z0 + lz, kz = signed_index(z, np);
    for (int y = 0; y < np; ++y) {
      const int ky = signed_index(y, np);
      const std::complex<float> pzy = phase[z] * phase[y];
      for (int x = 0; x < nxh; ++x) {
        const std::size_t i = (std::size_t(lz) * np + y) * nxh + x;
        const double r = std::sqrt(double(x * x + ky * ky + kz * kz)) / pad;
        out[i] = r <= r_max_px ? rule(s.half[0][i], s.half[1][i], r) * pzy * phase[x] : std::complex<float>(0.0f);
      }
    }
  }
  fft->execute();

  // Crop the central box and divide by the transform of the trilinear kernel, sinc^2 per axis.
  const float* real = fft->real_slab();
  const std::size_t row = 2 * std::size_t(nxh);
  const int lo = c - box / 2;
  std::vector<double> grid(static_cast<std::size_t>(box));
  for (int j = 0; j < box; ++j) {
    const double t = sinc(std::numbers::pi * (j - box / 2) / np);
    grid[j] = 1.0 / (t * t);
  }
  const double norm = 1.0 / (double(np) * np * np);
  std::vector<float> mine;
  for (int lz = 0; lz < s.nz; ++lz) {
    const int zc = s.z0 + lz - lo;
    if (zc < 0 || zc >= box) continue;
    for (int yc = 0; yc < box; ++yc)
      for (int xc = 0; xc < box; ++xc) {
        const float v = real[(std::size_t(lz) * np + (yc + lo)) * row + (xc + lo)];
        mine.push_back(float(v * norm * grid[xc] * grid[yc] * grid[zc]));
      }
  }
  fft.reset();
  auto all = ctx.gather_to_root_collective(mine);
  Volume v;
  if (ctx.is_root()) {
    v = Volume(box, pixel_size_A);
    if (all.size() != v.size()) throw InternalError("gathered map has the wrong number of voxels");
    v.values() = std::move(all);
  }
  return v;
}

}  // namespace cspt::detail
