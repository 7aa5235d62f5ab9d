// Slab-wise finishing of the reconstruction (runs on every rank on its own z-slabs).
#include "recon/finish_slabs.hpp"

#include <algorithm>
#include <cmath>
#include <span>
#include <numbers>

#include "cspt/util/error.hpp"

namespace cspt::detail {
namespace {
inline int signed_index(int i, int n) { return i <= n / 2 ? i : i - n; }

double sinc(double x) { return std::abs(x) < 1e-12 ? 1.0 : std::sin(x) / x; }
}  // namespace

ReducedSlabs make_slab_grids(const parallel::Context& ctx, int n_pad, double radius) {
  ReducedSlabs s;
  s.n_pad = n_pad;
  s.layout = balanced_slab_layout(n_pad, ctx.size(), radius);
  s.z0 = s.layout.z0[ctx.rank()];
  s.nz = s.layout.nz[ctx.rank()];
  for (auto& h : s.half) h = SlabGrid(n_pad, s.z0, s.nz, radius);
  return s;
}

int finishing_planes_per_round(int n_pad) {
  const double plane_bytes = double(n_pad) * (n_pad / 2 + 1) * 8.0;
  return std::max(1, int(64e6 / plane_bytes));
}

ReducedSlabs reduce_full_grids_collective(parallel::Context& ctx, FourierAccumulator (&local)[2], int n_pad,
                                          double radius) {
  ReducedSlabs s = make_slab_grids(ctx, n_pad, radius);
  const int nxh = n_pad / 2 + 1;
  const std::size_t per_z = std::size_t(n_pad) * nxh;
  // In rounds of a few planes per owner, so that the dense sums never need more than ~64 MB.
  const int per_round = std::max(1, int(64e6 / (double(per_z) * sizeof(AccumulatorCell))));
  int rounds = 0;
  for (int nz : s.layout.nz) rounds = std::max(rounds, (nz + per_round - 1) / per_round);
  std::vector<AccumulatorCell> dense;
  for (int h = 0; h < 2; ++h) {
    const bool held = local[h].size() > 0;
    for (int round = 0; round < rounds; ++round) {
      parallel::SlabLayout part;
      for (int r = 0; r < ctx.size(); ++r) {
        const int end = s.layout.z0[r] + s.layout.nz[r];
        const int z0 = std::min(end, s.layout.z0[r] + round * per_round);
        part.z0.push_back(z0);
        part.nz.push_back(std::min(end, z0 + per_round) - z0);
      }
      const int z0 = part.z0[ctx.rank()], nz = part.nz[ctx.rank()];
      dense.resize(per_z * std::size_t(nz));
      ctx.reduce_to_slabs_collective(held ? reinterpret_cast<const float*>(local[h].data()) : nullptr, per_z * 4,
                                     part, reinterpret_cast<float*>(dense.data()));
      for (int z = z0; z < z0 + nz; ++z)
        for (int y = 0; y < n_pad; ++y) {
          SlabCell* out = s.half[h].row(z, y);
          const AccumulatorCell* in = dense.data() + (std::size_t(z - z0) * n_pad + y) * nxh;
          for (int x = 0, len = s.half[h].row_length(z, y); x < len; ++x) out[x] = {in[x].re, in[x].im, in[x].weight};
        }
    }
    local[h] = FourierAccumulator();
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
    // Each cell gains the conjugate of its mirror (0, -ky, -kz); self-mates double.
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
  const std::size_t plane = std::size_t(np) * nxh;  // complex values per plane
  auto fft = ctx.make_real_fft_collective(np, threads);
  const auto& fft_layout = fft->layout();
  // Moving the content at voxel 0 to voxel c = np/2 (g(j) = f(j - c)) multiplies coefficient k by
  // exp(-2 pi i k c / np), separable over the three axes. (For even np this is (-1)^k either way;
  // for odd np the sign matters.)
  const int c = np / 2;
  std::vector<std::complex<float>> phase(static_cast<std::size_t>(np));
  for (int i = 0; i < np; ++i)
    phase[i] = std::polar(1.0f, float(-2.0 * std::numbers::pi * double(signed_index(i, np)) * c / np));

  // In rounds of a few planes per rank: compute them, send each to its FFT owner, place what arrives.
  const int per_round = finishing_planes_per_round(np);
  int rounds = 0;
  for (int nz : s.layout.nz) rounds = std::max(rounds, (nz + per_round - 1) / per_round);
  const int n_ranks = ctx.size();
  std::vector<int> fft_owner(static_cast<std::size_t>(np), 0);
  for (int r = 0; r < n_ranks; ++r)
    for (int z = fft_layout.z0[r]; z < fft_layout.z0[r] + fft_layout.nz[r]; ++z) fft_owner[z] = r;
  const int my_fft_z0 = fft->local_z0(), my_fft_nz = fft->local_nz();
  std::vector<std::complex<float>> send;
  for (int round = 0; round < rounds; ++round) {
    const int zb = std::min(s.z0 + s.nz, s.z0 + round * per_round), ze = std::min(s.z0 + s.nz, zb + per_round);
    send.resize(std::size_t(ze - zb) * plane);
#pragma omp parallel for num_threads(std::max(1, threads)) schedule(static)
    for (int z = zb; z < ze; ++z) {
      const int kz = signed_index(z, np);
      for (int y = 0; y < np; ++y) {
        const int ky = signed_index(y, np);
        const std::complex<float> pzy = phase[z] * phase[y];
        const SlabCell* c1 = s.half[0].row(z, y);
        const SlabCell* c2 = s.half[1].row(z, y);
        const int len = s.half[0].row_length(z, y);
        std::complex<float>* o = send.data() + (std::size_t(z - zb) * np + y) * nxh;
        for (int x = 0; x < nxh; ++x) {
          const double r = std::sqrt(double(x * x + ky * ky + kz * kz)) / pad;
          o[x] = x < len && r <= r_max_px ? rule(c1[x], c2[x], r) * pzy * phase[x] : std::complex<float>(0.0f);
        }
      }
    }
    // Planes are in z order and FFT owners own increasing z, so each owner's planes are contiguous.
    std::vector<std::size_t> counts(static_cast<std::size_t>(n_ranks), 0);
    for (int z = zb; z < ze; ++z) counts[fft_owner[z]] += 2 * plane;
    const auto got = ctx.exchange_collective(
        std::span<const float>(reinterpret_cast<const float*>(send.data()), 2 * send.size()), counts);
    // What rank q sent this round: its planes of the round that this rank owns in the FFT layout.
    std::size_t offset = 0;
    for (int q = 0; q < n_ranks; ++q) {
      const int qb = std::min(s.layout.z0[q] + s.layout.nz[q], s.layout.z0[q] + round * per_round);
      const int qe = std::min(s.layout.z0[q] + s.layout.nz[q], qb + per_round);
      const int lo = std::max(qb, my_fft_z0), hi = std::min(qe, my_fft_z0 + my_fft_nz);
      if (hi <= lo) continue;
      const std::size_t floats = std::size_t(hi - lo) * plane * 2;
      std::copy_n(got.values.data() + offset, floats,
                  reinterpret_cast<float*>(fft->fourier_slab() + std::size_t(lo - my_fft_z0) * plane));
      offset += floats;
    }
    if (offset != got.values.size()) throw InternalError("finishing received planes it does not own");
  }
  send = {};
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
  mine.z0 = std::clamp(my_fft_z0 - lo, 0, box);
  mine.nz = std::clamp(my_fft_z0 + my_fft_nz - lo, 0, box) - mine.z0;
  mine.values.resize(std::size_t(mine.nz) * mine.plane_size());
  for (int zc = mine.z0; zc < mine.z0 + mine.nz; ++zc) {
    const int lz = zc + lo - my_fft_z0;
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
