// IMOD files: round trips, errors with line numbers, and the .xf <-> tilt-geometry link checked by
// mapping points both ways (IMOD's X = c' + A^-1 (a/px - D) against our u = c + R a/px + s/px).
#include "cspt/io/imod.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <filesystem>
#include <fstream>
#include <random>

#include "cspt/core/tilt_geometry.hpp"
#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {
namespace fs = std::filesystem;

fs::path temp(const std::string& name) { return fs::temp_directory_path() / (name + "_" + std::to_string(::getpid())); }

TEST(ImodTest, tilt_angles_and_xf_round_trip) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<double> u(-60, 60);
  std::vector<double> angles;
  std::vector<XfTransform> xf;
  for (int i = 0; i < 41; ++i) {
    angles.push_back(std::round(u(rng) * 1000) / 1000);
    xf.push_back({std::cos(i * 0.1), std::sin(i * 0.1), -std::sin(i * 0.1), std::cos(i * 0.1), u(rng), u(rng)});
  }
  const auto tlt = temp("a.tlt"), xff = temp("a.xf");
  write_tilt_angles(tlt.string(), angles);
  write_xf(xff.string(), xf);
  const auto back = read_tilt_angles(tlt.string());
  const auto xb = read_xf(xff.string());
  ASSERT_EQ(back.size(), angles.size());
  ASSERT_EQ(xb.size(), xf.size());
  for (std::size_t i = 0; i < angles.size(); ++i) {
    EXPECT_NEAR(back[i], angles[i], 1e-9);
    EXPECT_NEAR(xb[i].a12, xf[i].a12, 1e-7);
    EXPECT_NEAR(xb[i].dy, xf[i].dy, 1e-3);
  }
  fs::remove(tlt);
  fs::remove(xff);
}

TEST(ImodTest, bad_lines_name_file_and_line) {
  const auto p = temp("bad.xf");
  std::ofstream(p) << "1 0 0 1 0 0\n1 0 0 1 0\n";
  try {
    read_xf(p.string());
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(p.string() + ":2"), std::string::npos) << e.what();
  }
  fs::remove(p);
}

TEST(ImodTest, xf_and_geometry_map_points_identically) {
  for (int n : {512, 511}) {
    const double px = 1.5;
    for (double axis : {85.0, -3.0, 177.5}) {
      const double sx = 37.5, sy = -12.25;
      const XfTransform t = xf_from_geometry(axis, sx, sy, n, n + 2, px);
      const TiltImageGeometry g{0.0, axis, sx, sy};
      for (const Eigen::Vector2d a : {Eigen::Vector2d(0, 0), Eigen::Vector2d(300, -120), Eigen::Vector2d(-50, 700)}) {
        const Eigen::Vector2d ours = project_point_A(g, Eigen::Vector3d(a.x(), a.y(), 0)) / px +
                                     Eigen::Vector2d(n / 2, (n + 2) / 2);
        Eigen::Matrix2d A;
        A << t.a11, t.a12, t.a21, t.a22;
        const Eigen::Vector2d imod = Eigen::Vector2d((n - 1) / 2.0, (n + 1) / 2.0) + A.inverse() * (a / px - Eigen::Vector2d(t.dx, t.dy));
        EXPECT_NEAR((ours - imod).norm(), 0.0, 1e-9) << "n " << n << " axis " << axis;
      }
      double axis2, sx2, sy2;
      geometry_from_xf(t, n, n + 2, px, axis2, sx2, sy2);
      EXPECT_NEAR(std::remainder(axis2 - axis, 360.0), 0.0, 1e-9);
      EXPECT_NEAR(sx2, sx, 1e-9);
      EXPECT_NEAR(sy2, sy, 1e-9);
    }
  }
}

}  // namespace
}  // namespace cspt::io
