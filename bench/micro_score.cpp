// Micro-benchmark of refinement scoring: one projection scored at one orientation (central-slice
// samples of the band by trilinear interpolation, CTF, shift phase, correlation), for a box-128
// map at 1.5 A/px and several band limits. Prints evaluations per second on one core, with the
// cached CTF (particle searches) and with the CTF re-evaluated (defocus searches).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "cspt/core/euler.hpp"
#include "cspt/recon/projector.hpp"
#include "cspt/refine/band_score.hpp"

int main(int argc, char** argv) {
  const int box = argc > 1 ? std::atoi(argv[1]) : 128;
  const int n = argc > 2 ? std::atoi(argv[2]) : 20000;
  const double px = 1.5;
  using clock = std::chrono::steady_clock;
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0.0f, 1.0f);
  cspt::Volume map(box, px);
  for (auto& v : map.values()) v = g(rng);
  std::vector<float> image(std::size_t(box) * box);
  for (auto& v : image) v = g(rng);
  std::uniform_real_distribution<double> u(0, 360);
  std::vector<Eigen::Matrix3d> mats;
  for (int i = 0; i < n; ++i) mats.push_back(cspt::matrix_from_euler_zyz({u(rng), u(rng) / 2, u(rng)}));
  cspt::CtfParams ctf;
  std::printf("box %d, %.2f A/px, %d evaluations per band, 1 thread\n", box, px, n);
  std::printf("%10s %10s %16s %16s\n", "band_A", "samples", "evals/s cached", "evals/s fresh");
  for (double limit : {20.0, 8.0, 6.0, 4.0, 3.2}) {
    const cspt::FourierBand band = cspt::make_fourier_band(box, px, 300.0, limit);
    const cspt::Projector projector(map, 2, 1, band.shell_hi + 1.0);
    cspt::BandImagePreparer prep(band, 0.45 * box * px, 10.0);
    cspt::BandImage prepared;
    prep.prepare(image.data(), prepared);
    std::vector<float> ctf_w(band.size());
    cspt::band_ctf_over_sigma(band, ctf, prepared, ctf_w.data());
    std::vector<std::complex<float>> slice(band.size());
    cspt::BandScoreScratch scratch;
    double sink = 0;
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
      projector.project_at(mats[std::size_t(i)], band.kx, band.ky, slice.data());
      sink += cspt::band_score(band, prepared, ctf_w.data(), slice.data(), 0.3 * (i % 7), -0.2 * (i % 5), scratch);
    }
    const double cached = n / std::chrono::duration<double>(clock::now() - t0).count();
    t0 = clock::now();
    const int m = n / 4;
    for (int i = 0; i < m; ++i) {
      ctf.defocus_u_A = 20000 + i % 100;
      cspt::band_ctf_over_sigma(band, ctf, prepared, ctf_w.data());
      projector.project_at(mats[std::size_t(i)], band.kx, band.ky, slice.data());
      sink += cspt::band_score(band, prepared, ctf_w.data(), slice.data(), 0.3, -0.2, scratch);
    }
    const double fresh = m / std::chrono::duration<double>(clock::now() - t0).count();
    std::printf("%10.1f %10zu %16.0f %16.0f%s\n", limit, band.size(), cached, fresh, sink == 12345.678 ? "!" : "");
  }
  return 0;
}
