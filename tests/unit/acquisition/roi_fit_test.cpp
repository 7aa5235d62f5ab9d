// The per-ROI height fit against exact geometry (paper Eqs. 1-2 in SerialEM's sign).
#include "bisect/roi_fit.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace bisect {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<RoiObservation> observe(double y, double z, const std::vector<double>& tilts, double noise_um,
                                    std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0.0, noise_um);
  std::vector<RoiObservation> obs;
  for (double t : tilts) {
    const double a = t * kPi / 180.0;
    obs.push_back({t, t > 0 ? 1 : (t < 0 ? -1 : 0), y * std::cos(a) - z * std::sin(a) + n(rng), 0.3 + n(rng), true});
  }
  return obs;
}

TEST(RoiFit, RecoversHeightExactlyWithoutNoise) {
  const auto obs = observe(-3.7, 0.25, {0, 3, -3, -6, 6, 9, 12, -9, -12}, 0.0, 1);
  RoiFitSettings s;
  s.height_prior_sigma_um = 1e3;  // no pull towards the prior
  s.y_prior_sigma_um = 1e3;
  const RoiGeometry g = fit_roi(obs, 0.0, -3.6, 0.0, +1, 12.0, s);
  EXPECT_TRUE(g.height_fitted);
  EXPECT_NEAR(g.y_um, -3.7, 1e-6);
  EXPECT_NEAR(g.z_um, 0.25, 1e-6);
  const RoiPrediction p = predict_roi(g, 15.0);
  EXPECT_NEAR(p.y_um, -3.7 * std::cos(15 * kPi / 180) - 0.25 * std::sin(15 * kPi / 180), 1e-6);
  EXPECT_NEAR(p.height_um, -3.7 * std::sin(15 * kPi / 180) + 0.25 * std::cos(15 * kPi / 180), 1e-6);
}

TEST(RoiFit, FirstFiveTiltsGiveTheHeightToTensOfNanometres) {
  // acquisition.md 5.2: 5 nm positional noise over 0, 3, -3, -6, 6 gives sigma_z of about 30 nm.
  std::vector<double> errors;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const auto obs = observe(2.5, -0.12, {0, 3, -3, -6, 6}, 0.005, seed);
    const RoiGeometry g = fit_roi(obs, 0.0, 2.5, 0.0, +1, 9.0, RoiFitSettings{});
    errors.push_back(std::abs(g.z_um + 0.12));
  }
  std::sort(errors.begin(), errors.end());
  EXPECT_LT(errors[100], 0.045);  // median |error| < 45 nm
  // and 15 tilts out to +-21 deg bring it under 20 nm
  std::vector<double> e15;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const auto obs = observe(2.5, -0.12, {0, 3, -3, -6, 6, 9, 12, -9, -12, 15, 18, -15, -18, 21, -21}, 0.005, seed);
    e15.push_back(std::abs(fit_roi(obs, 0.0, 2.5, 0.0, +1, 21.0, RoiFitSettings{}).z_um + 0.12));
  }
  std::sort(e15.begin(), e15.end());
  EXPECT_LT(e15[100], 0.020);
}

TEST(RoiFit, HeightHeldAtPriorUntilEnoughPointsOrWhenSwitchedOff) {
  const auto obs = observe(1.0, 0.4, {0, 3, -3}, 0.0, 1);
  const RoiGeometry early = fit_roi(obs, 0.0, 1.0, 0.1, +1, 6.0, RoiFitSettings{});
  EXPECT_FALSE(early.height_fitted);
  EXPECT_NEAR(early.z_um, 0.1, 1e-6);
  RoiFitSettings flat;
  flat.fit_height = false;
  const auto many = observe(1.0, 0.4, {0, 3, -3, 6, -6, 9, -9, 12}, 0.0, 1);
  EXPECT_NEAR(fit_roi(many, 0.0, 1.0, 0.0, +1, 12.0, flat).z_um, 0.0, 1e-6);
}

TEST(RoiFit, RejectedAndOutOfWindowPointsDoNotCount) {
  auto obs = observe(1.0, 0.2, {0, 3, -3, -6, 6, 9, 50}, 0.0, 1);
  obs[3].u_um += 5.0;  // a failed correlation ...
  obs[3].used = false;  // ... marked as such
  obs[6].u_um += 5.0;  // out of the window around 12 deg
  RoiFitSettings s;
  s.height_prior_sigma_um = 1e3;
  const RoiGeometry g = fit_roi(obs, 0.0, 1.0, 0.0, +1, 12.0, s);
  EXPECT_EQ(g.points, 5);
  EXPECT_NEAR(g.z_um, 0.2, 1e-6);
}

}  // namespace
}  // namespace bisect
