// FSC and the phase-randomisation correction (algorithms.md 7.2).
#include "cspt/recon/fsc.hpp"

#include <cmath>
#include <complex>
#include <numbers>
#include <random>

#include "cspt/fft/plan.hpp"
#include "cspt/recon/mask.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {

fft::AlignedBuffer<std::complex<float>> forward(const Volume& v, int threads) {
  const int n = v.nx();
  fft::AlignedBuffer<float> in(v.size());
  std::copy(v.values().begin(), v.values().end(), in.data());
  fft::AlignedBuffer<std::complex<float>> out(std::size_t(n) * n * (n / 2 + 1));
  fft::RealToComplex plan(n, n, n, threads);
  plan.execute(in.data(), out.data());
  return out;
}

inline int signed_freq(int i, int n) { return i <= n / 2 ? i : i - n; }

void check_pair(const Volume& a, const Volume& b) {
  if (!a.is_cubic() || a.nx() != b.nx() || !b.is_cubic() || a.nx() < 2)
    throw InternalError("FSC needs two cubic volumes of the same size");
}

}  // namespace

std::vector<double> fourier_shell_correlation(const Volume& a, const Volume& b, int threads) {
  check_pair(a, b);
  const int n = a.nx(), nxh = n / 2 + 1, n_shells = n / 2 + 1;
  const auto fa = forward(a, threads), fb = forward(b, threads);
  std::vector<double> cross(n_shells, 0.0), pa(n_shells, 0.0), pb(n_shells, 0.0);
  for (int z = 0; z < n; ++z)
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < nxh; ++x) {
        const int kz = signed_freq(z, n), ky = signed_freq(y, n);
        const int shell = int(std::lround(std::sqrt(double(x * x + ky * ky + kz * kz))));
        if (shell >= n_shells) continue;
        const std::size_t i = (std::size_t(z) * n + y) * nxh + x;
        const std::complex<double> u(fa[i]), v(fb[i]);
        cross[shell] += (u * std::conj(v)).real();
        pa[shell] += std::norm(u);
        pb[shell] += std::norm(v);
      }
  std::vector<double> fsc(n_shells, 0.0);
  for (int s = 0; s < n_shells; ++s) {
    const double d = std::sqrt(pa[s] * pb[s]);
    fsc[s] = d > 0 ? cross[s] / d : 0.0;
  }
  fsc[0] = 1.0;
  return fsc;
}

double resolution_at_threshold_A(const std::vector<double>& fsc, double threshold, int n, double px) {
  for (std::size_t i = 1; i < fsc.size(); ++i) {
    if (fsc[i] < threshold) {
      const double f0 = shell_frequency_per_A(int(i) - 1, n, px), f1 = shell_frequency_per_A(int(i), n, px);
      const double t = (fsc[i - 1] - threshold) / (fsc[i - 1] - fsc[i]);
      const double f = f0 + t * (f1 - f0);
      return f > 0 ? 1.0 / f : n * px;
    }
  }
  return 2.0 * px;
}

Volume randomize_phases_beyond(const Volume& v, int from_shell, std::uint64_t seed, int threads) {
  const int n = v.nx(), nxh = n / 2 + 1;
  auto f = forward(v, threads);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> phase(0.0, 2.0 * std::numbers::pi);
  for (int z = 0; z < n; ++z)
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < nxh; ++x) {
        const int kz = signed_freq(z, n), ky = signed_freq(y, n);
        const double r = std::sqrt(double(x * x + ky * ky + kz * kz));
        if (std::lround(r) <= from_shell) continue;
        auto& c = f[(std::size_t(z) * n + y) * nxh + x];
        c = std::polar(std::abs(c), float(phase(rng)));
      }
  fft::AlignedBuffer<float> out(v.size());
  fft::ComplexToReal plan(n, n, n, threads);
  plan.execute(f.data(), out.data());
  Volume r(n, v.pixel_size_A());
  r.set_origin_A(v.origin_A());
  const float scale = 1.0f / float(std::size_t(n) * n * n);
  for (std::size_t i = 0; i < v.size(); ++i) r.data()[i] = out[i] * scale;
  return r;
}

GoldStandardFsc gold_standard_fsc(const Volume& half1, const Volume& half2, const Volume& mask,
                                  std::uint64_t seed, int threads) {
  check_pair(half1, half2);
  const int n = half1.nx();
  const double px = half1.pixel_size_A();
  GoldStandardFsc g;
  g.unmasked = fourier_shell_correlation(half1, half2, threads);
  Volume m1 = half1, m2 = half2;
  apply_mask(m1, mask);
  apply_mask(m2, mask);
  g.masked = fourier_shell_correlation(m1, m2, threads);

  int ir = int(g.unmasked.size()) - 1;
  for (std::size_t i = 1; i < g.unmasked.size(); ++i)
    if (g.unmasked[i] < 0.8) {
      ir = int(i);
      break;
    }
  g.randomize_from_shell = ir;
  Volume r1 = randomize_phases_beyond(half1, ir, seed, threads);
  Volume r2 = randomize_phases_beyond(half2, ir, seed + 1, threads);
  apply_mask(r1, mask);
  apply_mask(r2, mask);
  g.randomized_masked = fourier_shell_correlation(r1, r2, threads);

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
