// Fourier-slice projections against exact real-space projections of Gaussian atoms.
#include "cspt/recon/projector.hpp"

#include <gtest/gtest.h>

#include "cspt/core/euler.hpp"
#include "phantom.hpp"

namespace cspt {
namespace {

TEST(ProjectorTest, matches_analytic_projections) {
  const int box = 64;
  const double px = 2.0;
  const auto atoms = test::random_phantom(200, 40.0, 21);
  const Projector proj(test::phantom_map(atoms, box, px), 2);
  const auto eulers = test::uniform_orientations(20, 8);
  for (const auto& e : eulers) {
    const auto a = matrix_from_euler_zyz({e.rot_deg, e.tilt_deg, e.psi_deg});
    const Image exact = test::phantom_projection(atoms, box, px, a, 3.0, -1.5);
    const Image slice = proj.project_image(a, 3.0, -1.5);
    EXPECT_GT(test::correlation(exact.values(), slice.values()), 0.998);
    // Same scale (the sum of voxels along z): least-squares slope about the means. The DC term
    // itself carries the gridding pre-correction's small offset and is left out.
    double me = 0, ms = 0;
    for (std::size_t i = 0; i < exact.size(); ++i) {
      me += exact.data()[i];
      ms += slice.data()[i];
    }
    me /= double(exact.size());
    ms /= double(exact.size());
    double sxy = 0, sxx = 0;
    for (std::size_t i = 0; i < exact.size(); ++i) {
      sxy += (exact.data()[i] - me) * (slice.data()[i] - ms);
      sxx += (exact.data()[i] - me) * (exact.data()[i] - me);
    }
    EXPECT_NEAR(sxy / sxx, 1.0, 0.02);
  }
}

TEST(ProjectorTest, transposed_rotation_does_not_match) {
  const int box = 48;
  const auto atoms = test::random_phantom(100, 30.0, 4);
  const Projector proj(test::phantom_map(atoms, box, 2.0), 2);
  const auto a = matrix_from_euler_zyz({30, 70, 110});
  const Image exact = test::phantom_projection(atoms, box, 2.0, a);
  EXPECT_LT(test::correlation(exact.values(), proj.project_image(a.transpose()).values()), 0.8);
}

}  // namespace
}  // namespace cspt
