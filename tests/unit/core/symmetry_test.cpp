// Point groups (RELION 3.1 conventions) and the real-space symmetriser, checked against RELION's
// own relion_image_handler --sym.
#include "cspt/core/symmetry.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Geometry>

#include "cspt/core/symmetrize.hpp"
#include "cspt/core/volume.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {

namespace fs = std::filesystem;

constexpr double kTol = 1e-6;

Eigen::Matrix3d rot(double angle_deg, const Eigen::Vector3d& axis) {
  return Eigen::AngleAxisd(angle_deg * std::numbers::pi / 180.0, axis.normalized())
      .toRotationMatrix();
}

bool has_operator(const PointGroup& g, const Eigen::Matrix3d& m) {
  for (const auto& s : g.operators)
    if ((s - m).cwiseAbs().maxCoeff() < kTol) return true;
  return false;
}

/// True if g contains the n-fold rotation about axis (i.e. the rotation by 360/n degrees).
bool has_fold(const PointGroup& g, int n, const Eigen::Vector3d& axis) {
  return has_operator(g, rot(360.0 / n, axis));
}

/// The group rotated by q: operators q S q^T (the same group with its axes moved by q).
PointGroup rotated(PointGroup g, const Eigen::Matrix3d& q) {
  for (auto& s : g.operators) s = q * s * q.transpose();
  return g;
}

const Eigen::Vector3d kX = Eigen::Vector3d::UnitX();
const Eigen::Vector3d kY = Eigen::Vector3d::UnitY();
const Eigen::Vector3d kZ = Eigen::Vector3d::UnitZ();
const double kPhi = std::numbers::phi;

// ---- groups ---------------------------------------------------------------------------------

TEST(SymmetryGroup, Orders) {
  EXPECT_EQ(point_group("C1").order(), 1u);
  EXPECT_EQ(point_group("C2").order(), 2u);
  EXPECT_EQ(point_group("C7").order(), 7u);
  EXPECT_EQ(point_group("C12").order(), 12u);
  EXPECT_EQ(point_group("D2").order(), 4u);
  EXPECT_EQ(point_group("D3").order(), 6u);
  EXPECT_EQ(point_group("D7").order(), 14u);
  EXPECT_EQ(point_group("T").order(), 12u);
  EXPECT_EQ(point_group("O").order(), 24u);
  EXPECT_EQ(point_group("I").order(), 60u);
}

TEST(SymmetryGroup, CanonicalSymbolAndCaseInsensitive) {
  EXPECT_EQ(point_group("c7").symbol, "C7");
  EXPECT_EQ(point_group("d3").symbol, "D3");
  EXPECT_EQ(point_group("t").symbol, "T");
  EXPECT_EQ(point_group("o").symbol, "O");
  EXPECT_EQ(point_group("i").symbol, "I");
  EXPECT_EQ(point_group("i").order(), 60u);
}

TEST(SymmetryGroup, IdentityFirstProperRotationsNoDuplicates) {
  for (const char* sym : {"C1", "C5", "D3", "D6", "T", "O", "I"}) {
    SCOPED_TRACE(sym);
    const PointGroup g = point_group(sym);
    ASSERT_FALSE(g.operators.empty());
    EXPECT_TRUE(g.operators.front().isApprox(Eigen::Matrix3d::Identity(), 1e-12));
    for (std::size_t i = 0; i < g.order(); ++i) {
      const Eigen::Matrix3d& s = g.operators[i];
      EXPECT_NEAR(s.determinant(), 1.0, 1e-12);
      EXPECT_LT((s * s.transpose() - Eigen::Matrix3d::Identity()).cwiseAbs().maxCoeff(), 1e-12);
      for (std::size_t j = 0; j < i; ++j)
        EXPECT_GT((s - g.operators[j]).cwiseAbs().maxCoeff(), 1e-3) << i << " duplicates " << j;
    }
  }
}

TEST(SymmetryGroup, ClosedUnderProductsAndInverses) {
  for (const char* sym : {"C4", "C7", "D3", "D5", "T", "O", "I"}) {
    SCOPED_TRACE(sym);
    const PointGroup g = point_group(sym);
    for (const auto& a : g.operators) {
      EXPECT_TRUE(has_operator(g, a.transpose()));
      for (const auto& b : g.operators) ASSERT_TRUE(has_operator(g, a * b));
    }
  }
}

TEST(SymmetryGroup, CyclicAxisIsZ) {
  const PointGroup c7 = point_group("C7");
  EXPECT_TRUE(has_fold(c7, 7, kZ));
  EXPECT_FALSE(has_fold(c7, 7, kX));
}

TEST(SymmetryGroup, DihedralNFoldAlongZTwoFoldAlongX) {
  const PointGroup d3 = point_group("D3");
  EXPECT_TRUE(has_fold(d3, 3, kZ));
  EXPECT_TRUE(has_fold(d3, 2, kX));
  EXPECT_FALSE(has_fold(d3, 2, kY));  // D3's 2-folds are at 0, 60, 120 degrees from X
  const PointGroup d2 = point_group("D2");
  EXPECT_TRUE(has_fold(d2, 2, kX));
  EXPECT_TRUE(has_fold(d2, 2, kY));
  EXPECT_TRUE(has_fold(d2, 2, kZ));
}

// RELION's T (src/symmetries.cpp: "rot_axis 3 0 0 1", "rot_axis 2 0 0.816496 0.577350") has its
// 3-fold along Z, not the textbook setting with 2-folds along X, Y, Z.
TEST(SymmetryGroup, TetrahedralThreeFoldAlongZ) {
  const PointGroup t = point_group("T");
  EXPECT_TRUE(has_fold(t, 3, kZ));
  EXPECT_TRUE(has_fold(t, 2, Eigen::Vector3d(0.0, std::sqrt(2.0 / 3.0), std::sqrt(1.0 / 3.0))));
  EXPECT_FALSE(has_fold(t, 2, kX));
  EXPECT_FALSE(has_fold(t, 2, kZ));
  EXPECT_FALSE(has_fold(t, 3, Eigen::Vector3d(1.0, 1.0, 1.0)));
}

TEST(SymmetryGroup, OctahedralFourFoldsAlongXYZ) {
  const PointGroup o = point_group("O");
  EXPECT_TRUE(has_fold(o, 4, kX));
  EXPECT_TRUE(has_fold(o, 4, kY));
  EXPECT_TRUE(has_fold(o, 4, kZ));
  EXPECT_TRUE(has_fold(o, 3, Eigen::Vector3d(1.0, 1.0, 1.0)));
  EXPECT_TRUE(has_fold(o, 2, Eigen::Vector3d(1.0, 1.0, 0.0)));
}

// RELION's "I" is its I2 setting: 2-fold along Z, 5-fold along (0.525731, 0, 0.850651), 3-fold along
// (0, 0.356822, 0.934172). I1 (2-fold along X, 5-fold along (0.850651, 0, -0.525731)) is the same
// group rotated 90 degrees about Z.
TEST(SymmetryGroup, IcosahedralIsRelionI2) {
  const PointGroup g = point_group("I");
  EXPECT_TRUE(has_fold(g, 2, kX));
  EXPECT_TRUE(has_fold(g, 2, kY));
  EXPECT_TRUE(has_fold(g, 2, kZ));
  EXPECT_TRUE(has_fold(g, 5, Eigen::Vector3d(1.0, 0.0, kPhi)));
  EXPECT_TRUE(has_fold(g, 3, Eigen::Vector3d(0.0, 1.0 / kPhi, kPhi)));
  EXPECT_TRUE(has_fold(g, 3, Eigen::Vector3d(1.0, 1.0, 1.0)));
  // Not I1: its 5-fold along (phi, 0, -1) and 3-fold along (phi, 1/phi, 0) are absent.
  EXPECT_FALSE(has_fold(g, 5, Eigen::Vector3d(kPhi, 0.0, -1.0)));
  EXPECT_FALSE(has_fold(g, 3, Eigen::Vector3d(kPhi, 1.0 / kPhi, 0.0)));
  EXPECT_FALSE(has_fold(g, 5, Eigen::Vector3d(0.0, 1.0, kPhi)));
  const PointGroup i1 = rotated(g, rot(90.0, kZ));
  EXPECT_TRUE(has_fold(i1, 5, Eigen::Vector3d(kPhi, 0.0, -1.0)));
}

TEST(SymmetryGroup, BadSymbolsThrowConfigError) {
  for (const std::string bad : {"", "X5", "C0", "C", "D", "D0", "D1", "C-3", "C+3", "C3 ", " C3",
                                "C100", "D100", "C3.5", "I1", "I2", "TD", "OH", "IH", "C2v"}) {
    SCOPED_TRACE("'" + bad + "'");
    try {
      point_group(bad);
      ADD_FAILURE() << "no exception";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.where(), "--sym");
      EXPECT_EQ(e.field(), "sym");
      EXPECT_EQ(e.value(), bad);
      EXPECT_EQ(e.expectation(), "one of Cn, Dn, T, O, I");
    }
  }
}

// ---- symmetrize (no RELION) ------------------------------------------------------------------

/// A smooth asymmetric test map: `blobs` Gaussian blobs (sigma in voxels) at random positions in a
/// shell of radius 0.55..1 times `radius` voxels around the centre voxel n/2, random heights.
Volume blob_volume(int n, double pixel_A, int blobs, double sigma, double radius, unsigned seed) {
  Volume v(n, pixel_A);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const int c = n / 2;
  for (int b = 0; b < blobs; ++b) {
    Eigen::Vector3d centre;
    do {
      centre = Eigen::Vector3d(u(rng), u(rng), u(rng));
    } while (centre.norm() > 1.0 || centre.norm() < 0.55);
    centre *= radius;
    const double height = 0.5 + 0.25 * (u(rng) + 1.0);
    for (int z = 0; z < n; ++z)
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
          const Eigen::Vector3d r(x - c, y - c, z - c);
          v.at(x, y, z) += static_cast<float>(
              height * std::exp(-(r - centre).squaredNorm() / (2.0 * sigma * sigma)));
        }
  }
  return v;
}

double correlation(const Volume& a, const Volume& b) {
  const std::size_t n = a.size();
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double x = a.data()[k], y = b.data()[k];
    sa += x;
    sb += y;
    saa += x * x;
    sbb += y * y;
    sab += x * y;
  }
  const double va = saa - sa * sa / n, vb = sbb - sb * sb / n, cab = sab - sa * sb / n;
  return cab / std::sqrt(va * vb);
}

double max_abs(const Volume& a) {
  double m = 0;
  for (float x : a.values()) m = std::max(m, double(std::abs(x)));
  return m;
}

double max_abs_diff(const Volume& a, const Volume& b) {
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k)
    m = std::max(m, double(std::abs(a.data()[k] - b.data()[k])));
  return m;
}

TEST(SymmetrySymmetrize, C1IsIdentityAndKeepsHeader) {
  Volume v = blob_volume(24, 1.5, 6, 1.5, 8.0, 3);
  v.set_origin_A({1.0, 2.0, 3.0});
  const Volume s = symmetrize(v, point_group("C1"));
  ASSERT_EQ(s.nx(), 24);
  EXPECT_EQ(s.pixel_size_A(), 1.5);
  EXPECT_EQ(s.origin_A(), v.origin_A());
  EXPECT_EQ(max_abs_diff(s, v), 0.0);
}

TEST(SymmetrySymmetrize, C4ResultIsInvariantUnderQuarterTurnAboutCentre) {
  const int n = 24, c = n / 2;
  const Volume s = symmetrize(blob_volume(n, 1.0, 10, 1.5, 8.0, 5), point_group("C4"));
  // Rz(90): (x, y) -> (-y, x) about the centre voxel; exact on the grid away from the edge.
  double worst = 0;
  for (int z = 0; z < n; ++z)
    for (int y = 1; y < n; ++y)
      for (int x = 1; x < n; ++x) {
        const int xr = c - (y - c), yr = c + (x - c);
        if (xr < 0 || xr >= n || yr < 0 || yr >= n) continue;
        worst = std::max(worst, double(std::abs(s.at(x, y, z) - s.at(xr, yr, z))));
      }
  EXPECT_LT(worst, 1e-5 * max_abs(s));
  EXPECT_NEAR(s.at(c, c, c), symmetrize(s, point_group("C4")).at(c, c, c), 1e-6);
}

TEST(SymmetrySymmetrize, EmptyGroupIsAnInternalError) {
  PointGroup empty;
  empty.symbol = "none";
  EXPECT_THROW(symmetrize(Volume(8), empty), InternalError);
}

// ---- against RELION 3.1's relion_image_handler --sym ----------------------------------------
//
// What `relion_image_handler --i in.mrc --o out.mrc --sym G` does (RELION 3.1.3, checked by hand):
// it calls symmetriseMap(), i.e. out = (1/N) sum over the N operators of the map resampled by
// trilinear interpolation about the centre voxel n/2, without wrapping (outside the box = 0). Nothing
// else: no rescaling (the mean and C1 output equal the input's), no masking or filtering, float32
// output of the same size with the pixel size kept; the statistics fields of its header are 0. Our
// symmetrize() reproduces it to float round-off (max difference ~1e-7 of the map maximum).

/// relion_image_handler on PATH, or "" if there is none.
std::string find_relion_image_handler() {
  const char* path_env = std::getenv("PATH");
  std::stringstream dirs(path_env ? path_env : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / "relion_image_handler";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// One asymmetric input map shared by all RELION comparisons: 30 sharp blobs in a shell of radius
/// 9-17 voxels (box 48, 2 A/pixel), so that maps symmetrised in different settings differ clearly.
class SymmetryRelion : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("cspt_symmetry_test_" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    input_ = new Volume(blob_volume(48, 2.0, 30, 1.2, 17.0, 7));
    io::write_mrc_volume((*dir_ / "in.mrc").string(), *input_);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    delete input_;
    dir_ = nullptr;
    input_ = nullptr;
  }

  /// RELION's symmetrised version of the input map. Fails the test (never skips) if RELION is
  /// missing or fails.
  static void relion_symmetrise(const std::string& sym, Volume& out) {
    const std::string exe = find_relion_image_handler();
    ASSERT_FALSE(exe.empty()) << "relion_image_handler (RELION 3.1) not found on PATH; it is "
                                 "required to check the symmetry conventions";
    const fs::path in = *dir_ / "in.mrc", result = *dir_ / ("out_" + sym + ".mrc"),
                   log = *dir_ / ("log_" + sym + ".txt");
    const std::string cmd = "'" + exe + "' --i '" + in.string() + "' --o '" + result.string() +
                            "' --sym " + sym + " > '" + log.string() + "' 2>&1";
    const int rc = std::system(cmd.c_str());
    ASSERT_EQ(rc, 0) << cmd << "\n" << slurp(log);
    ASSERT_TRUE(fs::exists(result)) << cmd << "\n" << slurp(log);
    out = io::read_mrc_volume(result.string());
    ASSERT_EQ(out.nx(), input_->nx());
    ASSERT_EQ(out.ny(), input_->ny());
    ASSERT_EQ(out.nz(), input_->nz());
  }

  /// Checks symmetrize(input, point_group(sym)) against RELION, and that each wrong setting in
  /// `wrong` (the group with its axes moved) agrees clearly worse, so the comparison can fail.
  static void compare(const std::string& sym, const std::vector<PointGroup>& wrong) {
    Volume relion;
    ASSERT_NO_FATAL_FAILURE(relion_symmetrise(sym, relion));
    const Volume ours = symmetrize(*input_, point_group(sym));
    const double cc = correlation(ours, relion);
    EXPECT_GE(cc, 0.99) << sym;
    EXPECT_LT(max_abs_diff(ours, relion), 1e-3 * max_abs(relion)) << sym;
    EXPECT_LT(correlation(*input_, relion), 0.9) << sym << ": symmetrising should change the map";
    for (const auto& g : wrong) {
      const double bad = correlation(symmetrize(*input_, g), relion);
      EXPECT_LT(bad, 0.95) << sym << " vs wrong setting " << g.symbol;
      std::printf("[ info     ] %s: cc with RELION %.6f, wrong setting %s %.4f\n", sym.c_str(), cc,
                  g.symbol.c_str(), bad);
    }
  }

  static PointGroup renamed(PointGroup g, const std::string& name) {
    g.symbol = name;
    return g;
  }

  static fs::path* dir_;
  static Volume* input_;
};

fs::path* SymmetryRelion::dir_ = nullptr;
Volume* SymmetryRelion::input_ = nullptr;

TEST_F(SymmetryRelion, C1IsUnchanged) {
  Volume relion;
  ASSERT_NO_FATAL_FAILURE(relion_symmetrise("C1", relion));
  EXPECT_LT(max_abs_diff(relion, *input_), 1e-6 * max_abs(*input_));
  EXPECT_LT(max_abs_diff(symmetrize(*input_, point_group("C1")), relion), 1e-6 * max_abs(relion));
}

TEST_F(SymmetryRelion, C4) {
  compare("C4", {renamed(rotated(point_group("C4"), rot(90.0, kX)), "C4 along Y")});
}

TEST_F(SymmetryRelion, D3) {
  compare("D3", {renamed(rotated(point_group("D3"), rot(90.0, kZ)), "D3 2-fold along Y")});
}

TEST_F(SymmetryRelion, T) {
  // Wrong settings: RELION's T turned 90 degrees about Z, and the textbook setting (2-folds along
  // X, Y, Z, 3-fold along (1,1,1)), built here by closure.
  std::vector<Eigen::Matrix3d> ops{Eigen::Matrix3d::Identity()};
  const Eigen::Matrix3d gens[] = {rot(180.0, kX), rot(180.0, kY), rot(120.0, Eigen::Vector3d(1, 1, 1))};
  for (std::size_t i = 0; i < ops.size(); ++i)
    for (const auto& h : gens) {
      const Eigen::Matrix3d p = ops[i] * h;
      bool seen = false;
      for (const auto& s : ops) seen = seen || (s - p).cwiseAbs().maxCoeff() < kTol;
      if (!seen) ops.push_back(p);
    }
  ASSERT_EQ(ops.size(), 12u);
  const PointGroup textbook{"T 2-folds along XYZ", ops};
  compare("T", {renamed(rotated(point_group("T"), rot(90.0, kZ)), "T rotated 90 about Z"),
                textbook});
}

TEST_F(SymmetryRelion, O) {
  // O is invariant under 90-degree turns about Z; 45 degrees moves its axes.
  compare("O", {renamed(rotated(point_group("O"), rot(45.0, kZ)), "O rotated 45 about Z")});
}

TEST_F(SymmetryRelion, I) {
  // I rotated 90 degrees about Z is RELION's I1 setting.
  compare("I", {renamed(rotated(point_group("I"), rot(90.0, kZ)), "I1")});
}

}  // namespace
}  // namespace cspt
