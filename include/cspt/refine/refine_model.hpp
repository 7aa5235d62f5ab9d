// The parameters constrained refinement changes, and how one projection's pose follows from them:
// every projection of a particle is the particle (orientation, 3D position) seen through its tilt
// (tilt angle, axis, shift, defocus). docs/refinement.md describes the model.
#pragma once

#include <cstddef>
#include <vector>

#include <Eigen/Core>

#include "cspt/core/ctf.hpp"
#include "cspt/core/tilt_geometry.hpp"
#include "cspt/project/project.hpp"
#include "cspt/recon/particle_set.hpp"
#include "cspt/refine/tilt_regions.hpp"

namespace cspt {

/// One particle: its RELION orientation matrix in the tomogram frame (at 0 degrees, axis along y)
/// and its position in that frame (Angstrom).
struct RefineParticle {
  int series = 0;
  int half = 1;
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Identity();
  Eigen::Vector3d position_A = Eigen::Vector3d::Zero();
  double score = 0.0;  ///< mean score of its projections at the last evaluation
};

/// One tilt of one series: its geometry and CTF. The tilt's defocus refers to the tomogram origin;
/// `defocus_offset_A` is what refinement added to it.
struct RefineTilt {
  TiltImageGeometry geometry;
  double defocus_u_A = 0.0, defocus_v_A = 0.0, defocus_angle_deg = 0.0;
  double defocus_offset_A = 0.0;
  int acquisition_order = 0;
  /// The first-exposed tilt of its series defines the tomogram frame: its angle, axis and shift
  /// stay where they started (a common offset of all tilts is a rotation or shift of every
  /// particle). Its angle is searched, then put back with the gauge (reanchor_tilt_angles).
  bool reference = false;
  double dose_e_per_A2 = 0.0, prior_dose_e_per_A2 = 0.0;
};

/// One projection: which particle and tilt, where its box was cut, and (unconstrained mode only)
/// its own corrections on top of the constrained pose.
struct RefineProjection {
  int particle = 0, series = 0, tilt = 0;
  /// Raw-image position of the box centre, Angstrom from the image centre (x right, y up).
  Eigen::Vector2d box_centre_A = Eigen::Vector2d::Zero();
  Eigen::Matrix3d extra_rotation = Eigen::Matrix3d::Identity();  ///< left-multiplies the pose
  Eigen::Vector2d extra_shift_A = Eigen::Vector2d::Zero();
  double score = 0.0;
};

struct RefineModel {
  Optics optics;
  std::vector<double> handedness;                ///< per series: sign of the defocus gradient
  std::vector<std::vector<RefineTilt>> tilts;    ///< [series][tilt]
  std::vector<RefineParticle> particles;
  std::vector<RefineProjection> projections;     ///< ordered by (particle, tilt)
  std::vector<std::vector<std::size_t>> projections_of_particle;
  int box_px = 0;
  TiltRegions regions;  ///< per-region shift corrections of the tilts (off unless assigned)
};

/// The pose of one projection: RELION matrix, RELION origin shift (the particle sits at -shift from
/// the box centre) and CTF.
struct ProjectionPose {
  Eigen::Matrix3d a;
  double shift_x_A = 0.0, shift_y_A = 0.0;
  CtfParams ctf;
};

/// The pose of projection `j` for a trial particle (rotation, position) and tilt; the model's region
/// correction of the projection is added to the tilt's shift.
ProjectionPose projection_pose(const RefineModel& model, const RefineProjection& j, const Eigen::Matrix3d& rotation,
                               const Eigen::Vector3d& position_A, const RefineTilt& tilt);

/// The pose from the model's current parameters.
inline ProjectionPose projection_pose(const RefineModel& model, const RefineProjection& j) {
  const auto& p = model.particles[std::size_t(j.particle)];
  return projection_pose(model, j, p.rotation, p.position_A,
                         model.tilts[std::size_t(j.series)][std::size_t(j.tilt)]);
}

/// Where one projection's box was cut: its particle and tilt, its section in the extracted stack and
/// its centre in the raw tilt image (Angstrom from the image centre).
struct ExtractedBox {
  int particle = 0, tilt = 0, section = 0;
  Eigen::Vector2d centre_A = Eigen::Vector2d::Zero();
};

/// The boxes of a set `extract_particles` cut from `project` with the project's geometry: the centre
/// is where the geometry put the particle plus the extraction shift.
std::vector<ExtractedBox> boxes_from_extraction(const Project& project, const ParticleSet& extracted);

/// Re-centring: every box whose particle the model now puts at least `min_move_px` whole pixels
/// (in x or y) from the box centre moves to the pixel nearest the particle, if the box stays inside
/// its tilt image (sizes from `start`'s tilt series; a series of unknown size is left alone).
/// Updates `boxes` and the model's box centres alike, so no pose changes; returns the moved
/// projections, ascending. Depends on the model only: every rank moves the same boxes.
std::vector<std::size_t> recentre_boxes(RefineModel& model, std::vector<ExtractedBox>& boxes, const Project& start,
                                        int min_move_px);

/// The model of `project` over the projections cut into `boxes` (ordered by particle, then tilt).
RefineModel model_from_project(const Project& project, const std::vector<ExtractedBox>& boxes, int box_px);

/// Write the model's particles, tilt geometry and CTF (offsets folded into the defocus) and the
/// per-projection defocus and score back into `project`.
void write_model_to_project(const RefineModel& model, Project& project);

/// The particle set for reconstruction: one Projection per model projection, its image reference
/// `image_of_projection[j]` (section in the caller's image source; -1 = held by another rank).
ParticleSet particle_set_from_model(const RefineModel& model, const std::vector<int>& image_of_projection);

/// The tilt-angle gauge of one series: every tilt angle down by `delta_deg` and the series'
/// particles (orientation and position) turned by Ry(delta_deg). Ry(theta - delta) Ry(delta) =
/// Ry(theta), so no projection's pose, origin shift or defocus changes.
void turn_series_tilt_angles(RefineModel& model, std::size_t series, double delta_deg);

/// How far the reference tilt's angle of `series` is in `model` from where it is in `other`
/// (degrees; 0 for a series without a reference tilt).
double reference_tilt_angle_change_deg(const RefineModel& model, const RefineModel& other, std::size_t series);

/// Exact rotation E(omega) for a rotation vector in degrees (axis * angle).
Eigen::Matrix3d rotation_from_vector_deg(const Eigen::Vector3d& omega_deg);

}  // namespace cspt
