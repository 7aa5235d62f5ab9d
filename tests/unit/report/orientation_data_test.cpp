// Tests for the orientation figure data: view-direction histogram of known orientations, angular
// errors with and without symmetry, and the generic histogram.
#include "cspt/report/orientation_data.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include <Eigen/Geometry>

#include "cspt/core/symmetry.hpp"
#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {

TEST(AngularHistogramTest, known_orientations_land_in_their_bins) {
  // rot 15 -> bin (15 + 180) / 10 = 19; tilt 45 -> bin 4. rot 375 is rot 15; (rot, -tilt, psi) is
  // the same rotation as (rot + 180, tilt, psi + 180).
  const AngularHistogram h =
      angular_histogram({{15, 45, 99}, {375, 45, 0}, {-165, -45, 0}, {-179, 1, 0}, {0, 180, 0}}, 36, 18);
  EXPECT_EQ(h.count(19, 4), 3.0);
  EXPECT_EQ(h.count(0, 0), 1.0);    // rot -179, tilt 1
  EXPECT_EQ(h.count(18, 17), 1.0);  // tilt 180 (rot set to 0): the last tilt bin
  double total = 0;
  for (double c : h.counts) total += c;
  EXPECT_EQ(total, 5.0);
}

TEST(AngularHistogramTest, table_lists_every_bin_with_its_edges) {
  const AngularHistogram h = angular_histogram({{15, 45, 0}}, 36, 18);
  const Table t = angular_histogram_table(h);
  ASSERT_EQ(t.rows(), 36u * 18u);
  EXPECT_EQ(t.number(0, "rot_lo_deg"), -180.0);
  EXPECT_EQ(t.number(0, "rot_hi_deg"), -170.0);
  EXPECT_EQ(t.number(0, "tilt_hi_deg"), 10.0);
  EXPECT_EQ(t.number(4 * 36 + 19, "count"), 1.0);
  EXPECT_EQ(t.number(4 * 36 + 19, "rot_lo_deg"), 10.0);
  EXPECT_EQ(t.number(4 * 36 + 19, "tilt_lo_deg"), 40.0);
  EXPECT_THROW(angular_histogram({}, 0, 18), ConfigError);
}

ParticleRecord particle_from(const Eigen::Matrix3d& a) {
  const EulerZyzDeg e = euler_zyz_from_matrix(a);
  ParticleRecord p;
  p.rot_deg = e.rot_deg;
  p.tilt_deg = e.tilt_deg;
  p.psi_deg = e.psi_deg;
  return p;
}

TEST(AngularErrorTest, errors_are_the_rotation_angle_to_the_truth) {
  const Eigen::Matrix3d truth0 = matrix_from_euler_zyz({30, 60, 90});
  const Eigen::Matrix3d truth1 = matrix_from_euler_zyz({-120, 100, 10});
  const Eigen::Matrix3d off = Eigen::AngleAxisd(10.0 * std::numbers::pi / 180.0, Eigen::Vector3d(1, 2, 3).normalized()).toRotationMatrix();
  Project p;
  p.particles = {particle_from(truth0), particle_from(off * truth1)};
  p.particles[1].tilt_series = 2;
  Truth t;
  t.particles = {particle_from(truth0), particle_from(truth1)};
  p.truth = t;
  const auto e = angular_errors_deg(p, "C1");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_NEAR(e[0], 0.0, 1e-5);
  EXPECT_NEAR(e[1], 10.0, 1e-6);
  const Table table = angular_error_table(p, e);
  EXPECT_EQ(table.number(1, "tilt_series"), 2.0);
  EXPECT_NEAR(table.number(1, "angular_error_deg"), 10.0, 1e-6);
}

TEST(AngularErrorTest, a_symmetry_mate_is_no_error) {
  const Eigen::Matrix3d truth = matrix_from_euler_zyz({30, 60, 90});
  const PointGroup d3 = point_group("D3");
  Project p;
  p.particles = {particle_from(truth * d3.operators[1])};  // A and A S give the same projections
  Truth t;
  t.particles = {particle_from(truth)};
  p.truth = t;
  EXPECT_GT(angular_errors_deg(p, "C1")[0], 100.0);
  EXPECT_NEAR(angular_errors_deg(p, "D3")[0], 0.0, 1e-5);
  p.truth.reset();
  EXPECT_TRUE(angular_errors_deg(p, "C1").empty());
}

TEST(HistogramTest, nothing_is_dropped_outside_the_range) {
  const Histogram h = histogram({-1, 0, 0.5, 1, 2.5, 10, NAN}, 0, 3, 3);
  EXPECT_EQ(h.edges, (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(h.counts, (std::vector<double>{3, 1, 2}));
  const Table t = histogram_table(h);
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.number(2, "bin_lo"), 2.0);
  EXPECT_EQ(t.number(2, "count"), 2.0);
  EXPECT_THROW(histogram({1}, 0, 3, 0), ConfigError);
  EXPECT_THROW(histogram({1}, 3, 3, 2), ConfigError);
}

}  // namespace
}  // namespace cspt::report
