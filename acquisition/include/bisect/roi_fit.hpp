// Per-ROI off-plane geometry (paper Eqs. 1-2, acquisition.md 5.2): each region's position relative
// to the tracking area, (y, z) in the untilted specimen frame, fitted by weighted least squares to
// its measured projected positions, and its predicted position and height at the next tilt.
#pragma once

#include <vector>

namespace bisect {

/// One measured projected position of an ROI: u = y cos(theta) - z sin(theta) (SerialEM sign,
/// z up), in um, from the commanded image shift plus the measured residual.
struct RoiObservation {
  double tilt_deg = 0.0;
  int branch = 0;        ///< 0 start tilt, +1, -1
  double u_um = 0.0;     ///< projected position perpendicular to the axis, relative to the tracking area
  double v_um = 0.0;     ///< position along the axis, relative to the tracking area
  bool used = true;      ///< false once rejected as an outlier
};

struct RoiFitSettings {
  bool fit_height = true;            ///< false: z stays at its prior (a flat specimen)
  int min_points_for_height = 5;     ///< z is held at its prior with fewer used points
  double height_prior_sigma_um = 0.3;
  double y_prior_sigma_um = 0.1;
  double measurement_sigma_um = 0.005;
  double window_deg = 30.0;          ///< only points within this angle of the target tilt
  double other_branch_weight = 0.5;  ///< weight of points on the other branch (start tilt: 1)
};

/// The fitted geometry and its covariance (um, um^2).
struct RoiGeometry {
  double x_um = 0.0, y_um = 0.0, z_um = 0.0;
  double cov_yy = 0.0, cov_yz = 0.0, cov_zz = 0.0;
  int points = 0;        ///< observations that entered the fit
  double rms_nm = 0.0;   ///< weighted residual RMS of those points
  bool height_fitted = false;
};

/// Fits (x, y, z) for the ROI on `branch`, targeting the tilt `target_tilt_deg`: y and z by the
/// 2x2 normal equations with Gaussian priors around (y_prior, z_prior), x as the prior-weighted
/// mean of the v's. With no usable observation the priors are returned.
RoiGeometry fit_roi(const std::vector<RoiObservation>& observations, double x_prior_um, double y_prior_um,
                    double z_prior_um, int branch, double target_tilt_deg, const RoiFitSettings& settings);

/// Where the ROI will be at tilt theta: projected position (x along the axis, y across) relative
/// to the tracking area, height above it, and the standard deviations of y and height from the
/// fit's covariance.
struct RoiPrediction {
  double x_um = 0.0, y_um = 0.0, height_um = 0.0;
  double sigma_y_um = 0.0, sigma_height_um = 0.0;
};
RoiPrediction predict_roi(const RoiGeometry& g, double tilt_deg);

}  // namespace bisect
