// FSC: known correlations, resolution interpolation, and the phase-randomisation correction.
#include "cspt/recon/fsc.hpp"

#include <gtest/gtest.h>

#include <random>

#include "cspt/recon/mask.hpp"
#include "phantom.hpp"

namespace cspt {
namespace {

Volume noise(int n, std::uint64_t seed, double sigma) {
  Volume v(n, 1.0);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, float(sigma));
  for (float& x : v.values()) x = g(rng);
  return v;
}

TEST(FscTest, identical_maps_give_one_and_independent_noise_gives_zero) {
  const Volume a = noise(32, 1, 1.0), b = noise(32, 2, 1.0);
  for (double f : fourier_shell_correlation(a, a)) EXPECT_NEAR(f, 1.0, 1e-6);
  const auto f = fourier_shell_correlation(a, b);
  for (std::size_t s = 3; s < f.size(); ++s) EXPECT_LT(std::abs(f[s]), 4.0 / std::sqrt(2.0 * 3.14 * s * s)) << s;
}

TEST(FscTest, signal_plus_noise_follows_snr_over_one_plus_snr) {
  // Two halves sharing a white signal of variance S with independent noise N: FSC = S / (S + N).
  const Volume s = noise(48, 7, 1.0);
  Volume a = noise(48, 8, 1.0), b = noise(48, 9, 1.0);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a.data()[i] += s.data()[i];
    b.data()[i] += s.data()[i];
  }
  const auto f = fourier_shell_correlation(a, b);
  for (std::size_t k = 6; k < f.size(); ++k) EXPECT_NEAR(f[k], 0.5, 0.08) << k;
}

TEST(FscTest, resolution_interpolates_the_crossing) {
  std::vector<double> f = {1.0, 0.9, 0.5, 0.1, 0.0};  // crosses 0.143 between shells 2 and 3
  const double res = resolution_at_threshold_A(f, 0.143, 8, 2.0);
  const double t = (0.5 - 0.143) / (0.5 - 0.1);
  EXPECT_NEAR(res, 1.0 / ((2 + t) / 16.0), 1e-9);
  EXPECT_DOUBLE_EQ(resolution_at_threshold_A({1.0, 0.9, 0.8}, 0.143, 4, 1.5), 3.0);  // never crosses: Nyquist
}

TEST(FscTest, phase_randomisation_keeps_amplitudes_and_low_shells) {
  const Volume a = noise(32, 3, 1.0);
  const Volume r = randomize_phases_beyond(a, 5, 11);
  const auto f = fourier_shell_correlation(a, r);
  for (int s = 1; s <= 5; ++s) EXPECT_NEAR(f[s], 1.0, 1e-4);
  for (std::size_t s = 8; s < f.size(); ++s) EXPECT_LT(std::abs(f[s]), 0.3);
  double va = 0, vr = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    va += a.data()[i] * a.data()[i];
    vr += r.data()[i] * r.data()[i];
  }
  EXPECT_NEAR(vr / va, 1.0, 0.05);
}

TEST(FscTest, correlation_created_by_a_sharp_mask_is_corrected_away) {
  // Negative control: halves share only a low-resolution signal; a sharp mask spreads it to high
  // frequencies, so the masked FSC looks good there. Phase randomisation must remove that.
  const int n = 48;
  const auto atoms = test::random_phantom(60, 14.0, 5);
  std::vector<test::GaussianAtom> blurred = atoms;
  for (auto& a : blurred) a.sigma_A = 4.0;  // nothing finer than ~10 A
  const Volume s = test::phantom_map(blurred, n, 1.0);
  Volume a = noise(n, 21, 0.02), b = noise(n, 22, 0.02);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a.data()[i] += s.data()[i];
    b.data()[i] += s.data()[i];
  }
  const Volume sharp = soft_sphere_mask(n, 1.0, 12.0, 0.0);
  const auto g = gold_standard_fsc(a, b, sharp);
  double masked = 0, corrected = 0;
  for (int k = 16; k < 24; ++k) {
    masked += g.masked[k] / 8;
    corrected += g.corrected[k] / 8;
  }
  EXPECT_GT(masked, 0.3);
  EXPECT_LT(std::abs(corrected), 0.1);
  EXPECT_GT(g.resolution_A, 1.0 / (12.0 / 48.0));  // worse than shell 12
}

}  // namespace
}  // namespace cspt
