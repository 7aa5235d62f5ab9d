// ZYZ Euler angles: RELION's matrix, round trips, and the meaning of each angle.
#include "cspt/core/euler.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <random>

namespace cspt {
namespace {

TEST(EulerTest, matches_relion_elementary_matrices) {
  // A = Rz(psi) Ry(tilt) Rz(rot); at rot = 90 alone a point on +x maps to -y in the rotated frame.
  const auto a = matrix_from_euler_zyz({90, 0, 0});
  const Eigen::Vector3d r = a * Eigen::Vector3d(1, 0, 0);
  EXPECT_NEAR(r.y(), -1.0, 1e-12);
  const auto t = matrix_from_euler_zyz({0, 90, 0});
  // Ry(b) = [[c,0,-s],[0,1,0],[s,0,c]]: +x goes to +z.
  EXPECT_NEAR((t * Eigen::Vector3d(1, 0, 0)).z(), 1.0, 1e-12);
}

TEST(EulerTest, round_trip_over_random_orientations) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-180, 180), t(0.5, 179.5);
  for (int i = 0; i < 2000; ++i) {
    const EulerZyzDeg e{u(rng), t(rng), u(rng)};
    const auto a = matrix_from_euler_zyz(e);
    EXPECT_NEAR((a * a.transpose() - Eigen::Matrix3d::Identity()).norm(), 0.0, 1e-12);
    EXPECT_NEAR(a.determinant(), 1.0, 1e-12);
    const auto back = euler_zyz_from_matrix(a);
    EXPECT_NEAR((matrix_from_euler_zyz(back) - a).norm(), 0.0, 1e-9);
    EXPECT_NEAR(back.tilt_deg, e.tilt_deg, 1e-7);
  }
}

TEST(EulerTest, gimbal_lock_round_trips) {
  for (double tilt : {0.0, 180.0})
    for (double rot : {-100.0, 10.0})
      for (double psi : {-20.0, 135.0}) {
        const auto a = matrix_from_euler_zyz({rot, tilt, psi});
        EXPECT_NEAR((matrix_from_euler_zyz(euler_zyz_from_matrix(a)) - a).norm(), 0.0, 1e-9);
      }
}

}  // namespace
}  // namespace cspt
