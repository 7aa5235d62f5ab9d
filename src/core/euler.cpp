// ZYZ Euler angle <-> rotation matrix, RELION's convention (see docs/conventions.md).
#include "cspt/core/euler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace cspt {
namespace {
constexpr double kDeg = std::numbers::pi / 180.0;

Eigen::Matrix3d passive_rz(double a) {
  const double c = std::cos(a), s = std::sin(a);
  Eigen::Matrix3d m;
  m << c, s, 0, -s, c, 0, 0, 0, 1;
  return m;
}

Eigen::Matrix3d passive_ry(double b) {
  const double c = std::cos(b), s = std::sin(b);
  Eigen::Matrix3d m;
  m << c, 0, -s, 0, 1, 0, s, 0, c;
  return m;
}
}  // namespace

Eigen::Matrix3d matrix_from_euler_zyz(const EulerZyzDeg& e) {
  return passive_rz(e.psi_deg * kDeg) * passive_ry(e.tilt_deg * kDeg) * passive_rz(e.rot_deg * kDeg);
}

EulerZyzDeg euler_zyz_from_matrix(const Eigen::Matrix3d& a) {
  // A(2,2) = cos(tilt); A(2,0) = sin(tilt) cos(rot), A(2,1) = sin(tilt) sin(rot);
  // A(0,2) = -cos(psi) sin(tilt), A(1,2) = sin(psi) sin(tilt).
  EulerZyzDeg e;
  const double ct = std::clamp(a(2, 2), -1.0, 1.0);
  const double st = std::hypot(a(2, 0), a(2, 1));
  e.tilt_deg = std::atan2(st, ct) / kDeg;
  if (st > 1e-9) {
    e.rot_deg = std::atan2(a(2, 1), a(2, 0)) / kDeg;
    e.psi_deg = std::atan2(a(1, 2), -a(0, 2)) / kDeg;
  } else {
    // Gimbal lock: only rot + psi (tilt 0) or psi - rot (tilt 180) is defined; put it all in psi.
    e.rot_deg = 0.0;
    e.psi_deg = (ct > 0 ? std::atan2(a(0, 1), a(0, 0)) : std::atan2(a(0, 1), -a(0, 0))) / kDeg;
  }
  return e;
}

}  // namespace cspt
