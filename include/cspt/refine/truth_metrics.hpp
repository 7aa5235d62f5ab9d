// How far a refined model is from a simulation's truth: orientations, shifts, tilt geometry.
#pragma once

#include <string>
#include <vector>

#include "cspt/project/project.hpp"
#include "cspt/refine/refine_model.hpp"

namespace cspt {

struct TruthMetrics {
  /// Particles' orientation errors (symmetry-aware), median, degrees. In unconstrained mode, where
  /// particles have no orientation of their own, the per-projection value.
  double median_angular_error_deg = 0.0;
  double median_projection_angular_error_deg = 0.0;  ///< per projection (particle and tilt together)
  double median_shift_error_A = 0.0;                 ///< per projection, 2D image shift
  double median_position_error_A = 0.0;              ///< per particle, 3D position
  double tilt_angle_error_deg = 0.0;                 ///< median |refined - true| over non-reference tilts
  double tilt_axis_error_deg = 0.0;
  double tilt_shift_error_A = 0.0;                   ///< median |shift - true shift| over non-reference tilts
};

/// Angle (degrees) of the rotation taking `a` to `b` (no symmetry).
double rotation_angle_deg(const Eigen::Matrix3d& a, const Eigen::Matrix3d& b);

/// Median of the values (the mean of the middle two for an even count); 0 for none.
double median_of(std::vector<double> values);

/// Angle (degrees) of the smallest rotation taking `a` to `b` S over the point group's operators S
/// (RELION matrices: a and a S give the same projection).
double symmetric_angle_deg(const Eigen::Matrix3d& a, const Eigen::Matrix3d& b, const std::string& symmetry);

/// Compare `model` with `project.truth` (which must be present). `constrained` picks what
/// median_angular_error_deg measures. The truth is first put into the model's frame: per series,
/// its tilt angles move by the reference tilt's difference delta (model minus truth) and its
/// particles (orientation and position) turn by Ry(-delta), which changes no true projection; so
/// a reference tilt that started off (a tracked series) does not count as an error of every
/// particle and tilt. The per-projection figures do not depend on it.
TruthMetrics truth_metrics(const RefineModel& model, const Project& project, const std::string& symmetry,
                           bool constrained);

}  // namespace cspt
