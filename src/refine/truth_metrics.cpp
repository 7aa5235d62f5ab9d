// Refined model against simulated truth.
#include "cspt/refine/truth_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

#include "cspt/core/euler.hpp"
#include "cspt/core/symmetry.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {

double angle_deg(const Eigen::Matrix3d& r) {
  return std::acos(std::clamp((r.trace() - 1.0) / 2.0, -1.0, 1.0)) * 180.0 / std::numbers::pi;
}

double symmetric_angle(const Eigen::Matrix3d& a, const Eigen::Matrix3d& b, const PointGroup& g) {
  double best = 1e9;
  for (const auto& s : g.operators) best = std::min(best, angle_deg(a * (b * s).transpose()));
  return best;
}

}  // namespace

double rotation_angle_deg(const Eigen::Matrix3d& a, const Eigen::Matrix3d& b) { return angle_deg(a * b.transpose()); }

double median_of(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const auto mid = v.begin() + std::ptrdiff_t(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2) return *mid;
  return 0.5 * (*mid + *std::max_element(v.begin(), mid));
}

double symmetric_angle_deg(const Eigen::Matrix3d& a, const Eigen::Matrix3d& b, const std::string& symmetry) {
  return symmetric_angle(a, b, point_group(symmetry));
}

TruthMetrics truth_metrics(const RefineModel& model, const Project& project, const std::string& symmetry,
                           bool constrained) {
  if (!project.truth) throw IoError("project", "/truth", "missing", "a simulated project with its truth");
  const Truth& truth = *project.truth;
  const PointGroup group = point_group(symmetry);
  RefineModel true_model = model;
  for (std::size_t i = 0; i < true_model.particles.size(); ++i) {
    const auto& t = truth.particles.at(i);
    true_model.particles[i].rotation = matrix_from_euler_zyz({t.rot_deg, t.tilt_deg, t.psi_deg});
    true_model.particles[i].position_A = {t.x_A, t.y_A, t.z_A};
  }
  for (std::size_t s = 0; s < true_model.tilts.size(); ++s)
    for (std::size_t t = 0; t < true_model.tilts[s].size(); ++t) {
      const auto& r = truth.tilts.at(s).at(t);
      auto& g = true_model.tilts[s][t];
      g.geometry = {r.refined_tilt_deg, r.tilt_axis_deg, r.shift_x_A, r.shift_y_A};
      g.defocus_offset_A = 0.0;
    }
  // The truth in the refinement's frame: a common change of a series' tilt angles with its particles
  // turned about the tilt axis changes no projection, and refinement fixes it by the reference
  // tilt's angle (reanchor_tilt_angles). Where the reference tilt started off (a tracked series),
  // compare with the truth turned into the frame of the refined reference tilt.
  for (std::size_t s = 0; s < true_model.tilts.size(); ++s)
    turn_series_tilt_angles(true_model, s, -reference_tilt_angle_change_deg(model, true_model, s));
  for (auto& j : true_model.projections) {
    j.extra_rotation.setIdentity();
    j.extra_shift_A.setZero();
  }
  true_model.regions = TiltRegions{};
  // The simulated local deformation: where each projection's particle truly sits, beyond its tilt.
  std::map<std::pair<int, int>, Eigen::Vector2d> deformation_A;
  for (std::size_t k = 0; k < truth.projection_shifts.size(); ++k) {
    const auto& pr = truth.projections.at(k);
    deformation_A[{pr.particle, pr.tilt}] = {truth.projection_shifts[k].shift_x_A, truth.projection_shifts[k].shift_y_A};
  }
  TruthMetrics m;
  std::vector<double> proj_angle, proj_shift, part_angle, part_pos, tilt_angle, tilt_axis, tilt_shift;
  for (std::size_t k = 0; k < model.projections.size(); ++k) {
    const ProjectionPose est = projection_pose(model, model.projections[k]);
    ProjectionPose tru = projection_pose(true_model, true_model.projections[k]);
    const auto moved = deformation_A.find({model.projections[k].particle, model.projections[k].tilt});
    if (moved != deformation_A.end()) {
      tru.shift_x_A -= moved->second.x();
      tru.shift_y_A -= moved->second.y();
    }
    proj_angle.push_back(symmetric_angle(est.a, tru.a, group));
    proj_shift.push_back(std::hypot(est.shift_x_A - tru.shift_x_A, est.shift_y_A - tru.shift_y_A));
  }
  for (std::size_t i = 0; i < model.particles.size(); ++i) {
    part_angle.push_back(symmetric_angle(model.particles[i].rotation, true_model.particles[i].rotation, group));
    part_pos.push_back((model.particles[i].position_A - true_model.particles[i].position_A).norm());
  }
  for (std::size_t s = 0; s < model.tilts.size(); ++s)
    for (std::size_t t = 0; t < model.tilts[s].size(); ++t) {
      if (model.tilts[s][t].reference) continue;
      const auto& a = model.tilts[s][t].geometry;
      const auto& b = true_model.tilts[s][t].geometry;
      tilt_angle.push_back(std::abs(a.tilt_deg - b.tilt_deg));
      tilt_axis.push_back(std::abs(a.axis_deg - b.axis_deg));
      tilt_shift.push_back(std::hypot(a.shift_x_A - b.shift_x_A, a.shift_y_A - b.shift_y_A));
    }
  m.median_projection_angular_error_deg = median_of(proj_angle);
  m.median_angular_error_deg = constrained ? median_of(part_angle) : m.median_projection_angular_error_deg;
  m.median_shift_error_A = median_of(proj_shift);
  m.median_position_error_A = median_of(part_pos);
  m.tilt_angle_error_deg = median_of(tilt_angle);
  m.tilt_axis_error_deg = median_of(tilt_axis);
  m.tilt_shift_error_A = median_of(tilt_shift);
  return m;
}

}  // namespace cspt
