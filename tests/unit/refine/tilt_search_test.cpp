// The tilt search's frame gauge: re-anchoring the tilt angles on the reference tilt changes no
// projection (pose, origin shift, defocus), puts the reference tilt back where it started, and
// touches only its own series. (The search itself is tested end to end against the simulator's
// truth in refine_run_test.cpp.)
#include "cspt/refine/tilt_search.hpp"

#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <random>

#include "cspt/refine/refine_model.hpp"

namespace cspt {
namespace {

// Two series of five tilts (axes slightly different per tilt, as refinement leaves them), three
// particles each at random orientations and positions, every particle seen in every tilt.
RefineModel two_series() {
  RefineModel m;
  m.optics = {300.0, 2.7, 0.07, 1.0};
  m.handedness = {1.0, -1.0};
  m.box_px = 64;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int s = 0; s < 2; ++s) {
    std::vector<RefineTilt> tilts;
    for (int t = 0; t < 5; ++t) {
      RefineTilt rt;
      rt.geometry = {-24.0 + 12.0 * t + 0.3 * u(rng), 84.0 + 0.5 * u(rng), 40.0 * u(rng), 40.0 * u(rng)};
      rt.defocus_u_A = 20000 + 500 * u(rng);
      rt.defocus_v_A = rt.defocus_u_A - 300;
      rt.defocus_angle_deg = 30;
      rt.defocus_offset_A = 50 * u(rng);
      rt.acquisition_order = t == 2 ? 0 : t + 1;
      rt.reference = t == 2;
      tilts.push_back(rt);
    }
    m.tilts.push_back(tilts);
    for (int i = 0; i < 3; ++i) {
      RefineParticle p;
      p.series = s;
      p.rotation = rotation_from_vector_deg({90 * u(rng), 90 * u(rng), 90 * u(rng)});
      p.position_A = {2000 * u(rng), 2000 * u(rng), 300 * u(rng)};
      const int particle = int(m.particles.size());
      m.particles.push_back(p);
      m.projections_of_particle.emplace_back();
      for (int t = 0; t < 5; ++t) {
        RefineProjection j;
        j.particle = particle;
        j.series = s;
        j.tilt = t;
        j.box_centre_A = {100 * u(rng), 100 * u(rng)};
        m.projections_of_particle.back().push_back(m.projections.size());
        m.projections.push_back(j);
      }
    }
  }
  return m;
}

TEST(TiltSearchTest, reanchoring_the_angles_keeps_every_projection_and_puts_the_reference_tilt_back) {
  const RefineModel start = two_series();
  RefineModel m = start;
  // The search moved series 0's reference tilt by 0.37 degrees and every other tilt too.
  for (auto& t : m.tilts[0]) t.geometry.tilt_deg += t.reference ? 0.37 : 0.11;
  std::vector<ProjectionPose> before;
  for (const auto& j : m.projections) before.push_back(projection_pose(m, j));

  reanchor_tilt_angles(m, start);

  for (std::size_t k = 0; k < m.projections.size(); ++k) {
    const ProjectionPose after = projection_pose(m, m.projections[k]);
    EXPECT_LT((after.a - before[k].a).norm(), 1e-12) << k;
    EXPECT_NEAR(after.shift_x_A, before[k].shift_x_A, 1e-9) << k;
    EXPECT_NEAR(after.shift_y_A, before[k].shift_y_A, 1e-9) << k;
    EXPECT_NEAR(after.ctf.defocus_u_A, before[k].ctf.defocus_u_A, 1e-9) << k;
  }
  for (std::size_t t = 0; t < 5; ++t) {
    // Series 0: the reference back at its start, the others moved by 0.11 - 0.37.
    const double expected = start.tilts[0][t].geometry.tilt_deg + (m.tilts[0][t].reference ? 0.0 : 0.11 - 0.37);
    EXPECT_NEAR(m.tilts[0][t].geometry.tilt_deg, expected, 1e-12) << t;
    EXPECT_EQ(m.tilts[0][t].geometry.axis_deg, start.tilts[0][t].geometry.axis_deg);
    // Series 1 untouched.
    EXPECT_EQ(m.tilts[1][t].geometry.tilt_deg, start.tilts[1][t].geometry.tilt_deg);
  }
  // Series 0's particles turned by 0.37 degrees about the tilt axis (y); series 1's not at all.
  for (std::size_t i = 0; i < m.particles.size(); ++i) {
    const Eigen::Matrix3d d = m.particles[i].rotation * start.particles[i].rotation.transpose();
    const Eigen::AngleAxisd aa(d);
    if (m.particles[i].series == 0) {
      EXPECT_NEAR(aa.angle() * 180 / 3.141592653589793, 0.37, 1e-9);
      EXPECT_NEAR(std::abs(aa.axis().y()), 1.0, 1e-9);
    } else {
      EXPECT_EQ(m.particles[i].rotation, start.particles[i].rotation);
      EXPECT_EQ(m.particles[i].position_A, start.particles[i].position_A);
    }
  }
  // Nothing to do when the reference tilt did not move.
  RefineModel again = m;
  reanchor_tilt_angles(again, m);
  EXPECT_EQ(again.particles[0].rotation, m.particles[0].rotation);
}

}  // namespace
}  // namespace cspt
