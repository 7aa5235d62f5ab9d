// Geometry of one tilt image: where a point of the tomogram lands in the raw image, how high it
// sits, and the orientation of a particle's projection. Conventions in docs/conventions.md.
#pragma once

#include <Eigen/Core>

namespace cspt {

/// The tomogram frame: origin at the tilt-series centre (the eucentric point), y along the tilt
/// axis, z up (towards the source) at 0 degrees; Angstrom. A tilt rotates the specimen by tilt_deg
/// about y (right-handed, active); the raw image then shows the tilt axis at axis_deg
/// counter-clockwise from its +y axis (IMOD's tilt-axis angle), and the tomogram origin at
/// (shift_x_A, shift_y_A) from the image centre.
struct TiltImageGeometry {
  double tilt_deg = 0.0;
  double axis_deg = 0.0;
  double shift_x_A = 0.0, shift_y_A = 0.0;
};

/// The active rotation from the tomogram frame to the raw-image frame: Rz(axis) Ry(tilt).
Eigen::Matrix3d tilt_rotation(const TiltImageGeometry& g);

/// Raw-image position (Angstrom from the image centre, x right, y up) of a tomogram point.
Eigen::Vector2d project_point_A(const TiltImageGeometry& g, const Eigen::Vector3d& r_A);

/// Height of a tomogram point along the beam in this tilt (z after tilting), Angstrom, up positive.
double height_A(const TiltImageGeometry& g, const Eigen::Vector3d& r_A);

/// RELION-convention projection matrix of a particle whose orientation in the tomogram frame is
/// `particle` (its RELION matrix at 0 degrees with the axis along y): Rz(axis) Ry(tilt) particle.
Eigen::Matrix3d projection_matrix(const TiltImageGeometry& g, const Eigen::Matrix3d& particle);

/// Defocus (Angstrom, positive underfocus) of a point at height h above the point whose defocus is
/// `defocus_at_reference_A`: a higher point is closer to the focal plane above the specimen, so
/// less underfocused when handedness = +1.
inline double defocus_at_height_A(double defocus_at_reference_A, double height_A, double handedness = 1.0) {
  return defocus_at_reference_A - handedness * height_A;
}

}  // namespace cspt
