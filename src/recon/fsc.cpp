// FSC and the phase-randomisation correction (algorithms.md 7.2).
#include "cspt/recon/fsc.hpp"

#include <cstdio>

#include <cmath>
#include <complex>
#include <numbers>

#include "cspt/fft/transforms.hpp"
#include "cspt/util/error.hpp"
#include "recon/fsc_internal.hpp"

namespace cspt {
namespace {

void check_pair(const Volume& a, const Volume& b) {
  if (!a.is_cubic() || a.nx() != b.nx() || !b.is_cubic() || a.nx() < 2)
    throw InternalError("FSC needs two cubic volumes of the same size");
}

/// Shell index round(|k|) of every coefficient of an n^3 transform, computed once per size.
const std::vector<int>& shell_index(int n) {
  thread_local int cached_n = -1;
  thread_local std::vector<int> shells;
  if (cached_n != n) {
    const int nxh = n / 2 + 1;
    shells.assign(std::size_t(n) * n * nxh, 0);
    for (int z = 0; z < n; ++z)
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < nxh; ++x) {
          const int kz = z <= n / 2 ? z : z - n, ky = y <= n / 2 ? y : y - n;
          shells[(std::size_t(z) * n + y) * nxh + x] = int(std::lround(std::sqrt(double(x * x + ky * ky + kz * kz))));
        }
    cached_n = n;
  }
  return shells;
}

std::vector<double> fsc_of_transforms(const FourierVolume& fa, const FourierVolume& fb) {
  const int n = fa.n(), n_shells = n / 2 + 1;
  const auto& shells = shell_index(n);
  std::vector<double> cross(n_shells, 0.0), pa(n_shells, 0.0), pb(n_shells, 0.0);
  for (std::size_t i = 0; i < fa.size(); ++i) {
    const int s = shells[i];
    if (s >= n_shells) continue;
    const std::complex<double> u(fa.data()[i]), v(fb.data()[i]);
    cross[s] += u.real() * v.real() + u.imag() * v.imag();
    pa[s] += std::norm(u);
    pb[s] += std::norm(v);
  }
  std::vector<double> fsc(n_shells, 0.0);
  for (int s = 0; s < n_shells; ++s) {
    const double d = std::sqrt(pa[s] * pb[s]);
    fsc[s] = d > 0 ? cross[s] / d : 0.0;
  }
  fsc[0] = 1.0;
  return fsc;
}

/// Replace the phases beyond shell `from_shell` by random ones, in place.
void randomize_phases(FourierVolume& f, int from_shell, std::uint64_t seed) {
  const auto& shells = shell_index(f.n());
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (shells[i] <= from_shell) continue;
    f.data()[i] = std::polar(std::abs(f.data()[i]), detail::random_phase(seed, i));
  }
}

}  // namespace

std::vector<double> fourier_shell_correlation(const Volume& a, const Volume& b, int threads) {
  check_pair(a, b);
  return fsc_of_transforms(fft::forward(a, threads), fft::forward(b, threads));
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
  FourierVolume f = fft::forward(v, threads);
  randomize_phases(f, from_shell, seed);
  Volume r = fft::inverse(f, threads);
  r.set_origin_A(v.origin_A());
  return r;
}

GoldStandardFsc gold_standard_fsc(const Volume& half1, const Volume& half2, const Volume& mask,
                                  std::uint64_t seed, int threads) {
  check_pair(half1, half2);
  check_pair(half1, mask);
  const int n = half1.nx();
  auto local = parallel::make_local_context();
  return gold_standard_fsc_collective(*local, slab_of(half1, 0, n), slab_of(half2, 0, n), slab_of(mask, 0, n), seed,
                                      threads);
}

std::string fsc_table_csv(const GoldStandardFsc& f, int n, double pixel_size_A) {
  std::string out = "shell,frequency_per_A,resolution_A,fsc_unmasked,fsc_masked,fsc_masked_randomized,fsc_corrected\n";
  for (std::size_t i = 0; i < f.unmasked.size(); ++i) {
    const double freq = shell_frequency_per_A(int(i), n, pixel_size_A);
    char line[256];
    std::snprintf(line, sizeof line, "%zu,%.6f,%.4f,%.6f,%.6f,%.6f,%.6f\n", i, freq, i == 0 ? 0.0 : 1.0 / freq,
                  f.unmasked[i], f.masked[i], f.randomized_masked[i], f.corrected[i]);
    out += line;
  }
  return out;
}

}  // namespace cspt
