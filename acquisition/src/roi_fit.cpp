// Weighted least squares of the rigid-rotation model for one ROI.
#include "bisect/roi_fit.hpp"

#include "bisect/angles.hpp"

#include <algorithm>
#include <cmath>

namespace bisect {

RoiGeometry fit_roi(const std::vector<RoiObservation>& observations, double x_prior_um, double y_prior_um,
                    double z_prior_um, int branch, double target_tilt_deg, const RoiFitSettings& s) {
  const double w_meas = 1.0 / (s.measurement_sigma_um * s.measurement_sigma_um);
  const auto weight_of = [&](const RoiObservation& o) {
    if (!o.used || std::abs(o.tilt_deg - target_tilt_deg) > s.window_deg) return 0.0;
    const bool same = o.branch == 0 || branch == 0 || o.branch == branch;
    return same ? 1.0 : s.other_branch_weight;
  };
  int points = 0;
  for (const auto& o : observations)
    if (weight_of(o) > 0) ++points;
  const bool fit_height = s.fit_height && points >= s.min_points_for_height;

  // Normal equations for (y, z) with priors; z pinned (huge prior weight) when not fitted.
  const double wy = 1.0 / (s.y_prior_sigma_um * s.y_prior_sigma_um);
  const double wz = fit_height ? 1.0 / (s.height_prior_sigma_um * s.height_prior_sigma_um) : 1e12;
  double a11 = wy, a12 = 0.0, a22 = wz, b1 = wy * y_prior_um, b2 = wz * z_prior_um;
  double x_sum = wy * x_prior_um, x_weight = wy;
  for (const auto& o : observations) {
    const double w = weight_of(o) * w_meas;
    if (w == 0.0) continue;
    const double c = std::cos(rad(o.tilt_deg)), sn = std::sin(rad(o.tilt_deg));
    // u = c*y - sn*z
    a11 += w * c * c;
    a12 += -w * c * sn;
    a22 += w * sn * sn;
    b1 += w * c * o.u_um;
    b2 += -w * sn * o.u_um;
    x_sum += w * o.v_um;
    x_weight += w;
  }
  const double det = a11 * a22 - a12 * a12;
  RoiGeometry g;
  g.y_um = (a22 * b1 - a12 * b2) / det;
  g.z_um = (a11 * b2 - a12 * b1) / det;
  g.x_um = x_sum / x_weight;
  g.cov_yy = a22 / det;
  g.cov_yz = -a12 / det;
  g.cov_zz = fit_height ? a11 / det : 0.0;
  g.points = points;
  g.height_fitted = fit_height;
  double ss = 0.0, ws = 0.0;
  for (const auto& o : observations) {
    const double w = weight_of(o);
    if (w == 0.0) continue;
    const double r = o.u_um - (std::cos(rad(o.tilt_deg)) * g.y_um - std::sin(rad(o.tilt_deg)) * g.z_um);
    ss += w * r * r;
    ws += w;
  }
  g.rms_nm = ws > 0 ? 1e3 * std::sqrt(ss / ws) : 0.0;
  return g;
}

RoiPrediction predict_roi(const RoiGeometry& g, double tilt_deg) {
  const double c = std::cos(rad(tilt_deg)), s = std::sin(rad(tilt_deg));
  RoiPrediction p;
  p.x_um = g.x_um;
  p.y_um = c * g.y_um - s * g.z_um;
  p.height_um = s * g.y_um + c * g.z_um;
  const double var_y = c * c * g.cov_yy - 2 * c * s * g.cov_yz + s * s * g.cov_zz;
  const double var_h = s * s * g.cov_yy + 2 * c * s * g.cov_yz + c * c * g.cov_zz;
  p.sigma_y_um = std::sqrt(std::max(0.0, var_y));
  p.sigma_height_um = std::sqrt(std::max(0.0, var_h));
  return p;
}

}  // namespace bisect
