// Tilt-image geometry (see the header and docs/conventions.md).
#include "cspt/core/tilt_geometry.hpp"

#include <cmath>
#include <numbers>

namespace cspt {
namespace {
constexpr double kDeg = std::numbers::pi / 180.0;
}

Eigen::Matrix3d tilt_rotation(const TiltImageGeometry& g) {
  const double ct = std::cos(g.tilt_deg * kDeg), st = std::sin(g.tilt_deg * kDeg);
  const double ca = std::cos(g.axis_deg * kDeg), sa = std::sin(g.axis_deg * kDeg);
  Eigen::Matrix3d ry, rz;
  ry << ct, 0, st, 0, 1, 0, -st, 0, ct;
  rz << ca, -sa, 0, sa, ca, 0, 0, 0, 1;
  return rz * ry;
}

Eigen::Vector2d project_point_A(const TiltImageGeometry& g, const Eigen::Vector3d& r_A) {
  const Eigen::Vector3d p = tilt_rotation(g) * r_A;
  return {p.x() + g.shift_x_A, p.y() + g.shift_y_A};
}

double height_A(const TiltImageGeometry& g, const Eigen::Vector3d& r_A) { return (tilt_rotation(g) * r_A).z(); }

Eigen::Matrix3d projection_matrix(const TiltImageGeometry& g, const Eigen::Matrix3d& particle) {
  return tilt_rotation(g) * particle;
}

}  // namespace cspt
