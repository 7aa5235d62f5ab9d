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

namespace cspt {
namespace {

TEST(ProjectorTest, band_sampling_equals_the_full_slice_and_cropping_keeps_the_band) {
  const int box = 48;
  const auto atoms = test::random_phantom(120, 30.0, 4);
  const Volume map = test::phantom_map(atoms, box, 2.0);
  const Projector full(map, 2), cropped(map, 2, 1, 12.0);
  std::vector<int> kx, ky;
  for (int y = -box / 2 + 1; y < box / 2; ++y)
    for (int x = 0; x <= box / 2; ++x) {
      kx.push_back(x);
      ky.push_back(y);
    }
  std::vector<std::complex<float>> a(kx.size()), b(kx.size());
  for (const auto& e : test::uniform_orientations(10, 3)) {
    const Eigen::Matrix3d m = matrix_from_euler_zyz({e.rot_deg, e.tilt_deg, e.psi_deg});
    FourierImage slice(box, box, 2.0);
    full.project(m, slice);
    full.project_at(m, kx, ky, a.data());
    cropped.project_at(m, kx, ky, b.data());
    double peak = 0;
    for (const auto& v : a) peak = std::max(peak, double(std::abs(v)));
    for (std::size_t i = 0; i < kx.size(); ++i) {
      const int row = ky[i] >= 0 ? ky[i] : ky[i] + box;
      if (kx[i] * kx[i] + ky[i] * ky[i] > (box / 2) * (box / 2)) continue;
      EXPECT_LT(std::abs(a[i] - slice.at(kx[i], row)), 1e-4 * peak) << kx[i] << "," << ky[i];
      if (kx[i] * kx[i] + ky[i] * ky[i] <= 12 * 12) EXPECT_LT(std::abs(b[i] - a[i]), 1e-5 * peak);
      if (kx[i] * kx[i] + ky[i] * ky[i] > 3 * 14 * 14) EXPECT_EQ(std::abs(b[i]), 0.0f);  // beyond the cube
    }
  }
}

}  // namespace
}  // namespace cspt
