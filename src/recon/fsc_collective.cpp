// The gold-standard FSC on z-slab volumes with distributed transforms (algorithms.md 7.2): two
// transform buffers per rank, so memory per rank is about two slabs of the half transform.
#include <cmath>
#include <complex>

#include "cspt/recon/fsc.hpp"
#include "cspt/util/error.hpp"
#include "recon/fsc_internal.hpp"

namespace cspt {
namespace {

inline int signed_index(int i, int n) { return i <= n / 2 ? i : i - n; }

void check_layout(const parallel::DistributedRealFft& f, const VolumeSlab& v, const char* what) {
  if (v.n != f.n() || v.z0 != f.local_z0() || v.nz != f.local_nz() || v.values.size() != std::size_t(v.nz) * v.plane_size())
    throw InternalError(std::string("FSC: the ") + what + " slab is not in the transform's layout");
}

/// The real side of `f` = v (times the mask when given).
void load(parallel::DistributedRealFft& f, const VolumeSlab& v, const VolumeSlab* mask) {
  const int n = v.n;
  const std::size_t row = f.real_row_floats();
  float* r = f.real_slab();
  for (int lz = 0; lz < v.nz; ++lz)
    for (int y = 0; y < n; ++y) {
      const std::size_t in = (std::size_t(lz) * n + y) * n;
      float* dst = r + (std::size_t(lz) * n + y) * row;
      for (int x = 0; x < n; ++x) dst[x] = v.values[in + x] * (mask ? mask->values[in + x] : 1.0f);
    }
}

void multiply_real(parallel::DistributedRealFft& f, const VolumeSlab& mask) {
  const int n = mask.n;
  const std::size_t row = f.real_row_floats();
  float* r = f.real_slab();
  for (int lz = 0; lz < mask.nz; ++lz)
    for (int y = 0; y < n; ++y) {
      const float* m = mask.values.data() + (std::size_t(lz) * n + y) * n;
      float* dst = r + (std::size_t(lz) * n + y) * row;
      for (int x = 0; x < n; ++x) dst[x] *= m[x];
    }
}

/// Calls fn(global index, shell, value&) for every coefficient of this rank's Fourier slab.
template <class Fn>
void for_each_coefficient(parallel::DistributedRealFft& f, Fn&& fn) {
  const int n = f.n(), nxh = n / 2 + 1, z0 = f.local_z0();
  std::complex<float>* c = f.fourier_slab();
  for (int lz = 0; lz < f.local_nz(); ++lz) {
    const int kz = signed_index(z0 + lz, n);
    for (int y = 0; y < n; ++y) {
      const int ky = signed_index(y, n);
      const std::size_t local = (std::size_t(lz) * n + y) * nxh;
      const std::size_t global = (std::size_t(z0 + lz) * n + y) * nxh;
      for (int x = 0; x < nxh; ++x) {
        const int shell = int(std::lround(std::sqrt(double(x * x + ky * ky + kz * kz))));
        fn(global + x, shell, c[local + x]);
      }
    }
  }
}

std::vector<double> fsc_collective(parallel::Context& ctx, parallel::DistributedRealFft& a,
                                   parallel::DistributedRealFft& b) {
  const int n_shells = a.n() / 2 + 1;
  std::vector<double> sums(3 * std::size_t(n_shells), 0.0);  // cross, |a|^2, |b|^2 per shell
  const std::complex<float>* bc = b.fourier_slab();
  const std::complex<float>* a0 = a.fourier_slab();
  for_each_coefficient(a, [&](std::size_t, int s, std::complex<float>& u) {
    if (s >= n_shells) return;
    const std::complex<double> ud(u), vd(bc[&u - a0]);
    sums[3 * s] += ud.real() * vd.real() + ud.imag() * vd.imag();
    sums[3 * s + 1] += std::norm(ud);
    sums[3 * s + 2] += std::norm(vd);
  });
  ctx.sum_collective(sums);
  std::vector<double> fsc(static_cast<std::size_t>(n_shells), 0.0);
  for (int s = 0; s < n_shells; ++s) {
    const double d = std::sqrt(sums[3 * s + 1] * sums[3 * s + 2]);
    fsc[s] = d > 0 ? sums[3 * s] / d : 0.0;
  }
  fsc[0] = 1.0;
  return fsc;
}

}  // namespace

GoldStandardFsc gold_standard_fsc_collective(parallel::Context& ctx, const VolumeSlab& half1, const VolumeSlab& half2,
                                             const VolumeSlab& mask, std::uint64_t seed, int threads) {
  const int n = half1.n;
  const double px = half1.pixel_size_A;
  auto fa = ctx.make_real_fft_collective(n, threads);
  auto fb = ctx.make_real_fft_collective(n, threads);
  check_layout(*fa, half1, "first half-map");
  check_layout(*fa, half2, "second half-map");
  check_layout(*fa, mask, "mask");
  GoldStandardFsc g;
  // Masked first, then the unmasked transforms, which are kept for the phase randomisation: two
  // buffers per rank instead of four.
  load(*fa, half1, &mask);
  load(*fb, half2, &mask);
  fa->forward();
  fb->forward();
  g.masked = fsc_collective(ctx, *fa, *fb);
  load(*fa, half1, nullptr);
  load(*fb, half2, nullptr);
  fa->forward();
  fb->forward();
  g.unmasked = fsc_collective(ctx, *fa, *fb);

  int ir = int(g.unmasked.size()) - 1;
  for (std::size_t i = 1; i < g.unmasked.size(); ++i)
    if (g.unmasked[i] < 0.8) {
      ir = int(i);
      break;
    }
  g.randomize_from_shell = ir;
  const auto randomize = [ir](parallel::DistributedRealFft& f, std::uint64_t s) {
    for_each_coefficient(f, [ir, s](std::size_t index, int shell, std::complex<float>& c) {
      if (shell > ir) c = std::polar(std::abs(c), detail::random_phase(s, index));
    });
  };
  randomize(*fa, seed);
  randomize(*fb, seed + 1);
  // Back to real space (scaled by n^3 on both: the FSC does not see it), mask, forward again.
  fa->inverse();
  fb->inverse();
  multiply_real(*fa, mask);
  multiply_real(*fb, mask);
  fa->forward();
  fb->forward();
  g.randomized_masked = fsc_collective(ctx, *fa, *fb);

  g.corrected = g.masked;
  for (std::size_t i = std::size_t(ir) + 2; i < g.masked.size(); ++i) {
    const double fn = g.randomized_masked[i];
    g.corrected[i] = fn < 1.0 ? (g.masked[i] - fn) / (1.0 - fn) : 0.0;
  }
  g.resolution_A = resolution_at_threshold_A(g.corrected, 0.143, n, px);
  g.resolution_unmasked_A = resolution_at_threshold_A(g.unmasked, 0.143, n, px);
  return g;
}

}  // namespace cspt
