// CTF evaluation (algorithms.md 1.1-1.2): chi = pi lambda s^2 (dF(phi) - lambda^2 s^2 Cs / 2) + phi_pp + kappa.
#include "cspt/core/ctf.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace cspt {

double electron_wavelength_A(double voltage_kV) {
  const double v = voltage_kV * 1e3;
  return 12.2643247 / std::sqrt(v * (1.0 + 0.978466e-6 * v));
}

CtfEvaluator::CtfEvaluator(const CtfParams& p)
    : lambda_A_(electron_wavelength_A(p.voltage_kV)),
      cs_A_(p.cs_mm * 1e7),
      mean_defocus_A_(0.5 * (p.defocus_u_A + p.defocus_v_A)),
      half_astig_A_(0.5 * (p.defocus_u_A - p.defocus_v_A)),
      astig_angle_rad_(p.defocus_angle_deg * std::numbers::pi / 180.0),
      bfactor_A2_(p.bfactor_A2),
      scale_(p.scale) {
  const double a = p.amplitude_contrast;
  const double kappa = std::abs(a - 1.0) < 1e-3 ? std::numbers::pi / 2 : std::atan(a / std::sqrt(1.0 - a * a));
  const_phase_rad_ = kappa + p.phase_shift_deg * std::numbers::pi / 180.0;
}

double CtfEvaluator::chi(double sx, double sy) const {
  const double s2 = sx * sx + sy * sy;
  const double phi = std::atan2(sy, sx);
  const double defocus = mean_defocus_A_ + half_astig_A_ * std::cos(2.0 * (phi - astig_angle_rad_));
  return std::numbers::pi * lambda_A_ * s2 * (defocus - 0.5 * lambda_A_ * lambda_A_ * s2 * cs_A_) +
         const_phase_rad_;
}

double CtfEvaluator::operator()(double sx, double sy) const {
  const double s2 = sx * sx + sy * sy;
  double c = -std::sin(chi(sx, sy)) * scale_;
  if (bfactor_A2_ != 0.0) c *= std::exp(-0.25 * bfactor_A2_ * s2);
  return c;
}

}  // namespace cspt

namespace cspt {
namespace {
// sin(x) for |x| up to ~1e4 rad in single precision, branch-free so the compiler vectorises the loop
// that calls it: reduce to [-pi, pi], fold to [-pi/2, pi/2], odd Taylor series to x^11 (error < 1e-7).
inline float fast_sin(float x) {
  constexpr float kInvTwoPi = 0.15915494309189535f, kTwoPiHi = 6.28125f, kTwoPiLo = 0.0019353071795864769f;
  constexpr float kPi = 3.14159265358979f;
  const float q = x * kInvTwoPi;
  const float n = float(int(q + std::copysign(0.5f, q)));
  const float r = (x - n * kTwoPiHi) - n * kTwoPiLo;  // in [-pi, pi]
  const float a = std::fabs(r);
  const float f = std::copysign(std::min(a, kPi - a), r);  // sin(pi - a) = sin(a); f in [-pi/2, pi/2]
  const float f2 = f * f;
  return f * (1.0f + f2 * (-1.0f / 6 + f2 * (1.0f / 120 + f2 * (-1.0f / 5040 +
              f2 * (1.0f / 362880 + f2 * (-1.0f / 39916800))))));
}
}  // namespace

void CtfEvaluator::evaluate_half_plane(int box, double pixel_size_A, float* out) const {
  const int nxh = box / 2 + 1;
  const double ds = 1.0 / (box * pixel_size_A);  // frequency step in 1/A
  const float ds2 = float(ds * ds);
  const float pi_lambda = float(std::numbers::pi * lambda_A_);
  const float half_l2_cs = float(0.5 * lambda_A_ * lambda_A_ * cs_A_);
  const float mean_df = float(mean_defocus_A_);
  const float astig_c = float(half_astig_A_ * std::cos(2.0 * astig_angle_rad_));
  const float astig_s = float(half_astig_A_ * std::sin(2.0 * astig_angle_rad_));
  const float phase0 = float(const_phase_rad_);
  const float scale = float(scale_);
  for (int row = 0; row < box; ++row) {
    const float ky = float(row < (box + 1) / 2 ? row : row - box);
    float* o = out + std::size_t(row) * nxh;
#pragma omp simd
    for (int kx = 0; kx < nxh; ++kx) {
      const float fkx = float(kx);
      const float k2 = fkx * fkx + ky * ky;
      const float inv_k2 = 1.0f / std::max(k2, 1e-20f);  // at k = 0 the numerator below is 0
      // cos 2(phi - phi_a) = cos2phi cos2phi_a + sin2phi sin2phi_a, with cos2phi = (kx^2-ky^2)/k^2.
      const float df = mean_df + ((fkx * fkx - ky * ky) * astig_c + 2.0f * fkx * ky * astig_s) * inv_k2;
      const float s2 = k2 * ds2;
      const float chi = pi_lambda * s2 * (df - half_l2_cs * s2) + phase0;
      o[kx] = -fast_sin(chi) * scale;
    }
    if (bfactor_A2_ != 0.0) {
      for (int kx = 0; kx < nxh; ++kx) {
        const double s2 = (double(kx) * kx + double(ky) * ky) * ds * ds;
        o[kx] *= float(std::exp(-0.25 * bfactor_A2_ * s2));
      }
    }
  }
}

}  // namespace cspt
