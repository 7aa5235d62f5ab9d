// Tilt geometry: axis direction, heights, and consistency between point projection and particle
// orientation (the projection of a particle's off-centre atom lands where the point projects).
#include "cspt/core/tilt_geometry.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>

#include "cspt/core/euler.hpp"

namespace cspt {
namespace {

TEST(TiltGeometryTest, points_on_the_axis_do_not_move_or_rise) {
  const TiltImageGeometry g{50.0, 0.0, 0.0, 0.0};
  const Eigen::Vector3d on_axis(0, 300, 0);
  EXPECT_NEAR((project_point_A(g, on_axis) - Eigen::Vector2d(0, 300)).norm(), 0, 1e-9);
  EXPECT_NEAR(height_A(g, on_axis), 0, 1e-9);
}

TEST(TiltGeometryTest, positive_tilt_raises_points_on_negative_x) {
  // Ry(+a) takes (x, 0, 0) to (x cos a, 0, -x sin a): +x goes down, -x goes up.
  const TiltImageGeometry g{30.0, 0.0, 0.0, 0.0};
  EXPECT_NEAR(height_A(g, {-1000, 0, 0}), 500.0, 1e-9);
  EXPECT_NEAR(project_point_A(g, {1000, 0, 0}).x(), 1000 * std::cos(30 * 3.141592653589793 / 180), 1e-9);
  // Less underfocus higher up: defocus at -x is smaller.
  EXPECT_LT(defocus_at_height_A(20000, height_A(g, {-1000, 0, 0})), 20000);
}

TEST(TiltGeometryTest, axis_angle_rotates_the_image_counter_clockwise_from_y) {
  const TiltImageGeometry g{0.0, 90.0, 10.0, -5.0};
  // The axis (tomogram +y) appears along image -x after a 90 degree CCW rotation; plus the shift.
  const Eigen::Vector2d p = project_point_A(g, {0, 100, 0});
  EXPECT_NEAR(p.x(), -100 + 10, 1e-9);
  EXPECT_NEAR(p.y(), -5, 1e-9);
}

TEST(TiltGeometryTest, particle_orientation_and_point_projection_agree) {
  // A particle placed with orientation `particle` is its map rotated by that matrix (V(P^T r)),
  // so an atom at offset d in the map sits at P d in the tomogram. Its image position through the
  // composed projection matrix must equal the projection of that tomogram point.
  const Eigen::Matrix3d particle = matrix_from_euler_zyz({40, 65, -120});
  const TiltImageGeometry g{-42.0, 84.0, 0.0, 0.0};
  const Eigen::Vector3d d(12, -7, 30);  // atom offset in the particle's map frame
  const Eigen::Vector3d in_tomogram = particle * d;  // map rotated by `particle` in the tomogram
  const Eigen::Vector3d via_matrix = projection_matrix(g, particle) * d;
  const Eigen::Vector2d via_point = project_point_A(g, in_tomogram);
  EXPECT_NEAR(via_matrix.x(), via_point.x(), 1e-9);
  EXPECT_NEAR(via_matrix.y(), via_point.y(), 1e-9);
}

}  // namespace
}  // namespace cspt
