// CTF: the formula of algorithms.md 1.2 written out independently, RELION's sign, the vectorised path.
#include "cspt/core/ctf.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace cspt {
namespace {

// Direct transcription of chi with the astigmatic defocus written as a function of the azimuth.
double reference_ctf(const CtfParams& p, double sx, double sy) {
  const double v = p.voltage_kV * 1000.0;
  const double lambda = 12.2643247 / std::sqrt(v * (1 + 0.978466e-6 * v));  // RELION's constants
  const double s2 = sx * sx + sy * sy, phi = std::atan2(sy, sx);
  const double a = p.defocus_angle_deg * std::numbers::pi / 180;
  const double df = 0.5 * (p.defocus_u_A + p.defocus_v_A + (p.defocus_u_A - p.defocus_v_A) * std::cos(2 * (phi - a)));
  const double kappa = std::atan(p.amplitude_contrast / std::sqrt(1 - p.amplitude_contrast * p.amplitude_contrast));
  const double chi = std::numbers::pi * lambda * s2 * (df - 0.5 * lambda * lambda * s2 * p.cs_mm * 1e7) +
                     p.phase_shift_deg * std::numbers::pi / 180 + kappa;
  return -std::sin(chi) * std::exp(-p.bfactor_A2 * s2 / 4);
}

TEST(CtfTest, wavelength_agrees_with_cistem_constants) {
  for (double kv : {100.0, 200.0, 300.0}) {
    const double v = kv * 1000.0;
    EXPECT_NEAR(electron_wavelength_A(kv) / (12.2639 / std::sqrt(v + 0.97845e-6 * v * v)), 1.0, 5e-5);
  }
  EXPECT_NEAR(electron_wavelength_A(300), 0.019687, 2e-6);
}

TEST(CtfTest, matches_the_formula_at_many_parameters) {
  for (double du : {8000.0, 21000.0, 35000.0})
    for (double astig : {0.0, 700.0})
      for (double ang : {-30.0, 0.0, 47.0, 120.0})
        for (double ps : {0.0, 90.0}) {
          CtfParams p;
          p.defocus_u_A = du + astig;
          p.defocus_v_A = du;
          p.defocus_angle_deg = ang;
          p.phase_shift_deg = ps;
          p.bfactor_A2 = ps > 0 ? 50 : 0;
          const CtfEvaluator ctf(p);
          for (double sx = -0.3; sx <= 0.3; sx += 0.037)
            for (double sy = -0.3; sy <= 0.3; sy += 0.041)
              ASSERT_NEAR(ctf(sx, sy), reference_ctf(p, sx, sy), 1e-4) << sx << " " << sy;
        }
}

TEST(CtfTest, is_negative_at_low_frequency_and_relion_sign_is_opposite) {
  CtfParams p;
  const CtfEvaluator ctf(p);
  EXPECT_NEAR(ctf(0, 0), -p.amplitude_contrast, 1e-9);  // -sin(kappa) = -A
  EXPECT_DOUBLE_EQ(relion_ctf_from_internal(ctf(0.05, 0.0)), -ctf(0.05, 0.0));
}

TEST(CtfTest, defocus_u_lies_along_the_astigmatism_angle) {
  // Along the angle the first zero comes at the frequency of defocus U (stronger defocus: earlier zero).
  CtfParams p;
  p.defocus_u_A = 30000;
  p.defocus_v_A = 10000;
  p.defocus_angle_deg = 30;
  p.amplitude_contrast = 0.0;
  p.cs_mm = 0.0;
  const CtfEvaluator ctf(p);
  const double lambda = electron_wavelength_A(300);
  const double s_zero_u = std::sqrt(1.0 / (lambda * 30000.0));  // pi lambda s^2 dF = pi
  const double a = 30 * std::numbers::pi / 180;
  EXPECT_NEAR(ctf(s_zero_u * std::cos(a), s_zero_u * std::sin(a)), 0.0, 1e-9);
  EXPECT_GT(std::abs(ctf(s_zero_u * std::cos(a + std::numbers::pi / 2), s_zero_u * std::sin(a + std::numbers::pi / 2))), 0.5);
}

TEST(CtfTest, vectorised_half_plane_agrees_with_the_scalar_path) {
  CtfParams p;
  p.defocus_u_A = 35500;
  p.defocus_v_A = 34500;
  p.defocus_angle_deg = 66;
  p.bfactor_A2 = 20;
  const CtfEvaluator ctf(p);
  for (int box : {64, 65, 128}) {
    const double px = 1.5;
    std::vector<float> out(std::size_t(box) * (box / 2 + 1));
    ctf.evaluate_half_plane(box, px, out.data());
    double worst = 0;
    for (int row = 0; row < box; ++row)
      for (int kx = 0; kx <= box / 2; ++kx) {
        const int ky = row < (box + 1) / 2 ? row : row - box;
        const double ref = ctf(kx / (box * px), ky / (box * px));
        worst = std::max(worst, std::abs(ref - out[std::size_t(row) * (box / 2 + 1) + kx]));
      }
    EXPECT_LT(worst, 5e-5) << "box " << box;
  }
}

}  // namespace
}  // namespace cspt
