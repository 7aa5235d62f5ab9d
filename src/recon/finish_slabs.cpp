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

ReducedSlabs make_slab_grids_collective(parallel::Context& ctx, int n_pad, double radius) {
  ReducedSlabs s;
  s.n_pad = n_pad;
  const auto layout = ctx.slab_layout(n_pad);
  s.z0 = layout.z0[ctx.rank()];
  s.nz = layout.nz[ctx.rank()];
  for (auto& h : s.half) h = SlabGrid(n_pad, s.z0, s.nz, radius);
  return s;
}

ReducedSlabs reduce_full_grids_collective(parallel::Context& ctx, FourierAccumulator (&local)[2], int n_pad,
                                          double radius) {
  ReducedSlabs s = make_slab_grids_collective(ctx, n_pad, radius);
  const auto layout = ctx.slab_layout(n_pad);
  const int nxh = n_pad / 2 + 1;
  const std::size_t per_z = std::size_t(n_pad) * nxh;
  std::vector<AccumulatorCell> dense;
  for (int h = 0; h < 2; ++h) {
    const bool held = local[h].size() > 0;
    dense.resize(per_z * std::size_t(s.nz));
    ctx.reduce_to_slabs_collective(held ? reinterpret_cast<const float*>(local[h].data()) : nullptr, per_z * 4,
                                   layout, reinterpret_cast<float*>(dense.data()));
    local[h] = FourierAccumulator();
    for (int z = s.z0; z < s.z0 + s.nz; ++z)
      for (int y = 0; y < n_pad; ++y) {
        SlabCell* out = s.half[h].row(z, y);
        const AccumulatorCell* in = dense.data() + (std::size_t(z - s.z0) * n_pad + y) * nxh;
        for (int x = 0, len = s.half[h].row_length(z, y); x < len; ++x) out[x] = {in[x].re, in[x].im, in[x].weight};
      }
  }
  return s;
}

void complete_friedel_plane_collective(parallel::Context& ctx, ReducedSlabs& s) {
  const int np = s.n_pad;
  // Every rank's kx = 0 cells into one plane (z, y), summed so that every rank sees all of them.
  std::vector<double> plane(3 * std::size_t(np) * np, 0.0);
  const auto at = [np](int z, int y) { return 3 * (std::size_t(z) * np + y); };
  for (int h = 0; h < 2; ++h) {
    std::fill(plane.begin(), plane.end(), 0.0);
    SlabGrid& g = s.half[h];
    for (int z = s.z0; z < s.z0 + s.nz; ++z)
      for (int y = 0; y < np; ++y)
        if (g.row_length(z, y) > 0) {
          const SlabCell& c = g.row(z, y)[0];
          plane[at(z, y)] = c.re;
          plane[at(z, y) + 1] = c.im;
          plane[at(z, y) + 2] = c.weight;
        }
    ctx.sum_collective(plane);
    // Each cell gains the conjugate of its mirror (0, -ky, -kz); self-mates double, as in
    // FourierAccumulator::complete_friedel_plane.
    for (int z = s.z0; z < s.z0 + s.nz; ++z)
      for (int y = 0; y < np; ++y) {
        if (g.row_length(z, y) == 0) continue;
        const int my = (np - y) % np, mz = (np - z) % np;
        SlabCell& c = g.row(z, y)[0];
        const double* m = &plane[at(mz, my)];
        if (my == y && mz == z) {
          c = {c.re * 2.0f, 0.0f, c.weight * 2.0f};
        } else {
          c = {float(c.re + m[0]), float(c.im - m[1]), float(c.weight + m[2])};
        }
      }
  }
}

std::vector<std::array<double, 3>> shell_weight_sums_collective(parallel::Context& ctx, const ReducedSlabs& s,
                                                               int box, double r_max_px) {
  const int np = s.n_pad;
  const double pad = double(np) / box;
  const int n_shells = box / 2 + 1;
  std::vector<double> flat(3 * std::size_t(n_shells), 0.0);
  for (int z = s.z0; z < s.z0 + s.nz; ++z) {
    const int kz = signed_index(z, np);
    for (int y = 0; y < np; ++y) {
      const int ky = signed_index(y, np);
      const SlabCell* c1 = s.half[0].row(z, y);
      const SlabCell* c2 = s.half[1].row(z, y);
      for (int x = 0, len = s.half[0].row_length(z, y); x < len; ++x) {
        const double r = std::sqrt(double(x * x + ky * ky + kz * kz)) / pad;
        if (r > r_max_px) continue;
        const int shell = int(std::lround(r));
        if (shell >= n_shells) continue;
        flat[3 * shell] += c1[x].weight;
        flat[3 * shell + 1] += c2[x].weight;
        flat[3 * shell + 2] += 1.0;
      }
    }
  }
  ctx.sum_collective(flat);
  std::vector<std::array<double, 3>> out(static_cast<std::size_t>(n_shells));
  for (int i = 0; i < n_shells; ++i) out[i] = {flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]};
  return out;
}

VolumeSlab finish_map_collective(parallel::Context& ctx, const ReducedSlabs& s, int box, double pixel_size_A,
                                 double r_max_px, int threads, const CellRule& rule) {
  const int np = s.n_pad, nxh = np / 2 + 1;
  const double pad = double(np) / box;
  auto fft = ctx.make_real_fft_collective(np, threads);
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
#pragma omp parallel for num_threads(std::max(1, threads)) schedule(static)
  for (int lz = 0; lz < s.nz; ++lz) {
    const int z = s.z0 + lz, kz = signed_index(z, np);
    for (int y = 0; y < np; ++y) {
      const int ky = signed_index(y, np);
      const std::complex<float> pzy = phase[z] * phase[y];
      const SlabCell* c1 = s.half[0].row(z, y);
      const SlabCell* c2 = s.half[1].row(z, y);
      const int len = s.half[0].row_length(z, y);
      std::complex<float>* o = out + (std::size_t(lz) * np + y) * nxh;
      for (int x = 0; x < nxh; ++x) {
        const double r = std::sqrt(double(x * x + ky * ky + kz * kz)) / pad;
        o[x] = x < len && r <= r_max_px ? rule(c1[x], c2[x], r) * pzy * phase[x] : std::complex<float>(0.0f);
      }
    }
  }
  fft->inverse();

  // Crop the central box and divide by the transform of the trilinear kernel, sinc^2 per axis.
  const float* real = fft->real_slab();
  const std::size_t row = fft->real_row_floats();
  const int lo = c - box / 2;
  std::vector<double> grid(static_cast<std::size_t>(box));
  for (int j = 0; j < box; ++j) {
    const double t = sinc(std::numbers::pi * (j - box / 2) / np);
    grid[j] = 1.0 / (t * t);
  }
  const double norm = 1.0 / (double(np) * np * np);
  VolumeSlab mine;
  mine.n = box;
  mine.pixel_size_A = pixel_size_A;
  mine.z0 = std::clamp(s.z0 - lo, 0, box);
  mine.nz = std::clamp(s.z0 + s.nz - lo, 0, box) - mine.z0;
  mine.values.resize(std::size_t(mine.nz) * mine.plane_size());
  for (int zc = mine.z0; zc < mine.z0 + mine.nz; ++zc) {
    const int lz = zc + lo - s.z0;
    float* dst = mine.plane(zc);
    for (int yc = 0; yc < box; ++yc)
      for (int xc = 0; xc < box; ++xc) {
        const float v = real[(std::size_t(lz) * np + (yc + lo)) * row + (xc + lo)];
        dst[std::size_t(yc) * box + xc] = float(v * norm * grid[xc] * grid[yc] * grid[zc]);
      }
  }
  return mine;
}

}  // namespace cspt::detail
