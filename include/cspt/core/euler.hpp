// ZYZ Euler angles in RELION's convention, and the rotation matrices they stand for.
#pragma once

#include <Eigen/Core>

namespace cspt {

/// Euler angles (rot, tilt, psi) in degrees, ZYZ, as RELION's rlnAngleRot/Tilt/Psi.
struct EulerZyzDeg {
  double rot_deg = 0.0, tilt_deg = 0.0, psi_deg = 0.0;
};

/// RELION's projection matrix A = Rz(psi) Ry(tilt) Rz(rot), built from passive elementary rotations
/// Rz(a) = [[c, s, 0], [-s, c, 0], [0, 0, 1]] and Ry(b) = [[c, 0, -s], [0, 1, 0], [s, 0, c]].
/// The projection image is the integral along z of V(A^T r); in Fourier space F2D(k) = F3D(A^T k).
Eigen::Matrix3d matrix_from_euler_zyz(const EulerZyzDeg& e);

/// The inverse of matrix_from_euler_zyz, with tilt in [0, 180] and rot, psi in (-180, 180]. At
/// tilt 0 or 180 the split between rot and psi is arbitrary; rot is then set to 0.
EulerZyzDeg euler_zyz_from_matrix(const Eigen::Matrix3d& a);

}  // namespace cspt
