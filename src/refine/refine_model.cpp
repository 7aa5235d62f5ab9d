// The constrained-refinement model: building it from a project, poses, and writing it back.
#include "cspt/refine/refine_model.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include <Eigen/Geometry>

#include "cspt/core/euler.hpp"
#include "cspt/recon/box_cut.hpp"
#include "cspt/util/error.hpp"

namespace cspt {

Eigen::Matrix3d rotation_from_vector_deg(const Eigen::Vector3d& omega_deg) {
  const double angle = omega_deg.norm();
  if (angle < 1e-15) return Eigen::Matrix3d::Identity();
  return Eigen::AngleAxisd(angle * std::numbers::pi / 180.0, omega_deg / angle).toRotationMatrix();
}

void turn_series_tilt_angles(RefineModel& model, std::size_t series, double delta_deg) {
  if (delta_deg == 0.0) return;
  const Eigen::Matrix3d g = tilt_rotation(TiltImageGeometry{delta_deg, 0.0, 0.0, 0.0});
  for (auto& t : model.tilts[series]) t.geometry.tilt_deg -= delta_deg;
  for (auto& p : model.particles)
    if (std::size_t(p.series) == series) {
      p.rotation = g * p.rotation;
      p.position_A = g * p.position_A;
    }
}

double reference_tilt_angle_change_deg(const RefineModel& model, const RefineModel& other, std::size_t series) {
  for (std::size_t t = 0; t < model.tilts[series].size(); ++t)
    if (model.tilts[series][t].reference)
      return model.tilts[series][t].geometry.tilt_deg - other.tilts[series][t].geometry.tilt_deg;
  return 0.0;
}

ProjectionPose projection_pose(const RefineModel& model, const RefineProjection& j, const Eigen::Matrix3d& rotation,
                               const Eigen::Vector3d& position_A, const RefineTilt& tilt) {
  ProjectionPose pose;
  pose.a = j.extra_rotation * projection_matrix(tilt.geometry, rotation);
  const Eigen::Vector2d q = project_point_A(tilt.geometry, position_A) + region_shift_A(model, j);
  // The particle lands at q; relative to the box centre it sits at q - c = -shift.
  pose.shift_x_A = j.box_centre_A.x() - q.x() + j.extra_shift_A.x();
  pose.shift_y_A = j.box_centre_A.y() - q.y() + j.extra_shift_A.y();
  const double hand = model.handedness[std::size_t(j.series)];
  const double dz = -hand * height_A(tilt.geometry, position_A) + tilt.defocus_offset_A;
  pose.ctf.voltage_kV = model.optics.voltage_kV;
  pose.ctf.cs_mm = model.optics.cs_mm;
  pose.ctf.amplitude_contrast = model.optics.amplitude_contrast;
  pose.ctf.defocus_u_A = tilt.defocus_u_A + dz;
  pose.ctf.defocus_v_A = tilt.defocus_v_A + dz;
  pose.ctf.defocus_angle_deg = tilt.defocus_angle_deg;
  return pose;
}

std::vector<ExtractedBox> boxes_from_extraction(const Project& project, const ParticleSet& extracted) {
  std::vector<ExtractedBox> boxes;
  boxes.reserve(extracted.projections.size());
  for (const auto& e : extracted.projections) {
    if (e.tilt < 0 || e.particle < 0 || std::size_t(e.particle) >= project.particles.size()) {
      throw IoError(extracted.source, "projection tilt/particle", std::to_string(e.tilt) + "/" + std::to_string(e.particle),
                    "projections extracted from this project");
    }
    const auto& p = project.particles[std::size_t(e.particle)];
    const auto& r = project.tilt_series.at(std::size_t(p.tilt_series)).tilts.at(std::size_t(e.tilt));
    const TiltImageGeometry g{r.refined_tilt_deg, r.tilt_axis_deg, r.shift_x_A, r.shift_y_A};
    const Eigen::Vector2d q = project_point_A(g, Eigen::Vector3d(p.x_A, p.y_A, p.z_A));
    boxes.push_back({e.particle, e.tilt, e.image.section, q + Eigen::Vector2d(e.shift_x_A, e.shift_y_A)});
  }
  return boxes;
}

std::vector<std::size_t> recentre_boxes(RefineModel& model, std::vector<ExtractedBox>& boxes, const Project& start,
                                        int min_move_px) {
  if (boxes.size() != model.projections.size())
    throw InternalError("recentre_boxes: " + std::to_string(boxes.size()) + " boxes for " +
                        std::to_string(model.projections.size()) + " projections");
  const double px = model.optics.pixel_size_A;
  std::vector<std::size_t> moved;
  for (std::size_t j = 0; j < boxes.size(); ++j) {
    RefineProjection& pj = model.projections[j];
    const auto& ts = start.tilt_series.at(std::size_t(pj.series));
    if (ts.nx_px <= 0 || ts.ny_px <= 0) continue;
    const auto& particle = model.particles[std::size_t(pj.particle)];
    const ProjectionPose pose = projection_pose(model, pj, particle.rotation, particle.position_A,
                                                model.tilts[std::size_t(pj.series)][std::size_t(pj.tilt)]);
    // The particle sits at -shift from the box centre.
    const Eigen::Vector2d at = pj.box_centre_A - Eigen::Vector2d(pose.shift_x_A, pose.shift_y_A);
    const int hx = ts.nx_px / 2, hy = ts.ny_px / 2;
    const int ix = int(std::lround(at.x() / px)) + hx, iy = int(std::lround(at.y() / px)) + hy;
    const int ix0 = int(std::lround(pj.box_centre_A.x() / px)) + hx, iy0 = int(std::lround(pj.box_centre_A.y() / px)) + hy;
    if (std::max(std::abs(ix - ix0), std::abs(iy - iy0)) < min_move_px) continue;
    if (!box_inside_image(ts.nx_px, ts.ny_px, ix, iy, model.box_px)) continue;
    pj.box_centre_A = {(ix - hx) * px, (iy - hy) * px};
    boxes[j].centre_A = pj.box_centre_A;
    moved.push_back(j);
  }
  return moved;
}

RefineModel model_from_project(const Project& project, const std::vector<ExtractedBox>& boxes, int box_px) {
  RefineModel m;
  m.optics = project.optics;
  m.box_px = box_px;
  for (const auto& ts : project.tilt_series) {
    m.handedness.push_back(ts.defocus_handedness != 0.0 ? ts.defocus_handedness : 1.0);
    std::vector<RefineTilt> tilts;
    int first = -1;
    for (std::size_t t = 0; t < ts.tilts.size(); ++t) {
      const auto& r = ts.tilts[t];
      RefineTilt rt;
      rt.geometry = {r.refined_tilt_deg, r.tilt_axis_deg, r.shift_x_A, r.shift_y_A};
      rt.defocus_u_A = r.defocus_u_A;
      rt.defocus_v_A = r.defocus_v_A;
      rt.defocus_angle_deg = r.defocus_angle_deg;
      rt.acquisition_order = r.acquisition_order;
      rt.dose_e_per_A2 = r.dose_e_per_A2;
      rt.prior_dose_e_per_A2 = r.prior_dose_e_per_A2;
      if (first < 0 || r.acquisition_order < ts.tilts[std::size_t(first)].acquisition_order) first = int(t);
      tilts.push_back(rt);
    }
    if (first >= 0) tilts[std::size_t(first)].reference = true;
    m.tilts.push_back(std::move(tilts));
  }
  for (const auto& p : project.particles) {
    RefineParticle rp;
    rp.series = p.tilt_series;
    rp.half = p.half;
    rp.rotation = matrix_from_euler_zyz({p.rot_deg, p.tilt_deg, p.psi_deg});
    rp.position_A = {p.x_A, p.y_A, p.z_A};
    m.particles.push_back(rp);
  }
  m.projections_of_particle.resize(m.particles.size());
  for (const auto& b : boxes) {
    if (b.particle < 0 || std::size_t(b.particle) >= m.particles.size()) {
      throw IoError("extraction", "particle", std::to_string(b.particle), "a particle of the project");
    }
    RefineProjection j;
    j.particle = b.particle;
    j.series = m.particles[std::size_t(b.particle)].series;
    j.tilt = b.tilt;
    if (b.tilt < 0 || std::size_t(b.tilt) >= m.tilts.at(std::size_t(j.series)).size()) {
      throw IoError("extraction", "tilt", std::to_string(b.tilt), "a tilt of the particle's series");
    }
    j.box_centre_A = b.centre_A;
    m.projections_of_particle[std::size_t(j.particle)].push_back(m.projections.size());
    m.projections.push_back(j);
  }
  return m;
}

void write_model_to_project(const RefineModel& model, Project& project) {
  for (std::size_t i = 0; i < model.particles.size(); ++i) {
    const auto& rp = model.particles[i];
    auto& p = project.particles.at(i);
    const auto e = euler_zyz_from_matrix(rp.rotation);
    p.rot_deg = e.rot_deg;
    p.tilt_deg = e.tilt_deg;
    p.psi_deg = e.psi_deg;
    p.x_A = rp.position_A.x();
    p.y_A = rp.position_A.y();
    p.z_A = rp.position_A.z();
    p.score = rp.score;
  }
  for (std::size_t s = 0; s < model.tilts.size(); ++s)
    for (std::size_t t = 0; t < model.tilts[s].size(); ++t) {
      const auto& rt = model.tilts[s][t];
      auto& r = project.tilt_series.at(s).tilts.at(t);
      r.refined_tilt_deg = rt.geometry.tilt_deg;
      r.tilt_axis_deg = rt.geometry.axis_deg;
      r.shift_x_A = rt.geometry.shift_x_A;
      r.shift_y_A = rt.geometry.shift_y_A;
      r.defocus_u_A = rt.defocus_u_A + rt.defocus_offset_A;
      r.defocus_v_A = rt.defocus_v_A + rt.defocus_offset_A;
    }
  // Per-projection records: one per (particle, tilt) that was extracted.
  std::vector<ProjectionRecord> records;
  records.reserve(model.projections.size());
  for (const auto& j : model.projections) {
    const ProjectionPose pose = projection_pose(model, j);
    records.push_back({j.particle, j.tilt, pose.ctf.defocus_u_A, pose.ctf.defocus_v_A, pose.ctf.defocus_angle_deg, j.score});
  }
  project.projections = std::move(records);
}

ParticleSet particle_set_from_model(const RefineModel& model, const std::vector<int>& image_of_projection) {
  ParticleSet set;
  set.source = "refinement";
  set.box_px = model.box_px;
  set.pixel_size_A = model.optics.pixel_size_A;
  set.n_particles = int(model.particles.size());
  set.projections.reserve(model.projections.size());
  for (std::size_t i = 0; i < model.projections.size(); ++i) {
    const auto& j = model.projections[i];
    const ProjectionPose pose = projection_pose(model, j);
    Projection p;
    p.image = {0, image_of_projection.at(i)};
    const auto e = euler_zyz_from_matrix(pose.a);
    p.rot_deg = e.rot_deg;
    p.tilt_deg = e.tilt_deg;
    p.psi_deg = e.psi_deg;
    p.shift_x_A = pose.shift_x_A;
    p.shift_y_A = pose.shift_y_A;
    p.ctf = pose.ctf;
    p.particle = j.particle;
    p.half = model.particles[std::size_t(j.particle)].half;
    p.tilt = j.tilt;
    p.weight_table = model.tilts[std::size_t(j.series)][std::size_t(j.tilt)].acquisition_order;
    set.projections.push_back(p);
  }
  return set;
}

}  // namespace cspt
