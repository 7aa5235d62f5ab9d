// CTF estimation against known CTFs: synthetic images, tilted simulated images (with and without
// the tilt correction), a real micrograph (fitted zeros against the spectrum's own minima), and
// negative controls that must come back with low confidence.
#include "cspt/ctf/ctf_estimate.hpp"
#include "cspt/ctf/ctf_plausibility.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "cspt/fft/transforms.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/parallel/context.hpp"
#include "cspt/sim/simulate_project.hpp"

namespace cspt {
namespace {

/// A random phase object filtered by a known CTF, plus white noise: 1 + 2 CTF (x) phase + noise.
Image synthetic_micrograph(int n, double px, const CtfParams& ctf, double noise_sd, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  Image phase(n, n, px);
  for (float& v : phase.values()) v = 0.1f * g(rng);
  FourierImage f = fft::forward(phase);
  const CtfEvaluator c(ctf);
  for (int row = 0; row < n; ++row)
    for (int kx = 0; kx < f.nx_half(); ++kx)
      f.at(kx, row) *= float(2.0 * c(kx / (n * px), f.frequency(row) / (n * px)));
  Image im = fft::inverse(f);
  for (float& v : im.values()) v += 1.0f + float(noise_sd) * g(rng);
  return im;
}

TEST(CtfEstimateTest, recovers_a_known_astigmatic_ctf) {
  CtfParams truth;
  truth.defocus_u_A = 23000;
  truth.defocus_v_A = 21800;
  truth.defocus_angle_deg = 35;
  const Image im = synthetic_micrograph(1024, 1.5, truth, 0.3, 3);
  const CtfFit f = estimate_ctf(im, truth, 1.5, {});
  EXPECT_TRUE(f.confident) << f.reason;
  EXPECT_NEAR(0.5 * (f.defocus1_A + f.defocus2_A), 22400, 100);
  EXPECT_NEAR(f.defocus1_A - f.defocus2_A, 1200, 200);
  EXPECT_NEAR(f.astig_angle_deg, 35, 10);
  EXPECT_GT(f.fit_resolution_A, 0);
}

TEST(CtfEstimateTest, round_ctfs_get_a_fit_resolution_like_astigmatic_ones) {
  // The fit resolution correlates data and model over each Thon period; fixed-width annuli used to
  // see a flat model for a round CTF and refused these fits ("no fit resolution").
  for (double df : {15000.0, 20000.0, 25000.0}) {
    CtfParams truth;
    truth.defocus_u_A = truth.defocus_v_A = df;
    const Image im = synthetic_micrograph(1024, 1.5, truth, 0.3, 3);
    const CtfFit f = estimate_ctf(im, truth, 1.5, {});
    EXPECT_TRUE(f.confident) << df << ": " << f.reason;
    EXPECT_NEAR(0.5 * (f.defocus1_A + f.defocus2_A), df, 100);
    EXPECT_GT(f.fit_resolution_A, 4.5) << df;  // 5 A is the fitted band's edge
    EXPECT_LT(f.fit_resolution_A, 8.0) << df;
  }
}

TEST(CtfEstimateTest, fits_a_phase_shift_when_asked) {
  CtfParams truth;
  truth.defocus_u_A = truth.defocus_v_A = 9000;
  truth.phase_shift_deg = 70;
  const Image im = synthetic_micrograph(1024, 1.5, truth, 0.3, 4);
  CtfSearchOptions o;
  o.fit_phase_shift = true;
  CtfParams optics;  // phase shift 0: the estimator must find it
  const CtfFit f = estimate_ctf(im, optics, 1.5, o);
  EXPECT_NEAR(f.phase_shift_deg, 70, 10);
  EXPECT_NEAR(0.5 * (f.defocus1_A + f.defocus2_A), 9000, 150);
}

TEST(CtfEstimateTest, blank_flat_and_ringless_images_have_low_confidence) {
  CtfParams optics;
  Image zeros(512, 512, 1.5);
  const CtfFit a = estimate_ctf(zeros, optics, 1.5, {});
  EXPECT_FALSE(a.confident);
  EXPECT_NE(a.reason.find("flat"), std::string::npos);
  // White noise: no Thon rings at all; whatever defocus wins must not be called confident.
  std::mt19937 rng(9);
  std::normal_distribution<float> g;
  Image noise(1024, 1024, 1.5);
  for (float& v : noise.values()) v = g(rng);
  const CtfFit b = estimate_ctf(noise, optics, 1.5, {});
  EXPECT_FALSE(b.confident) << "score " << b.score << " res " << b.fit_resolution_A;
  EXPECT_FALSE(b.reason.empty());
}

TEST(CtfEstimateTest, wrong_pixel_size_is_not_confident_or_not_at_the_true_defocus) {
  CtfParams truth;
  truth.defocus_u_A = truth.defocus_v_A = 20000;
  const Image im = synthetic_micrograph(1024, 1.5, truth, 0.3, 5);
  const CtfFit f = estimate_ctf(im, truth, 3.0, {});  // twice the true pixel size
  EXPECT_TRUE(!f.confident || std::abs(0.5 * (f.defocus1_A + f.defocus2_A) - 20000) > 2000);
}

TEST(CtfEstimateTest, a_pixel_size_20_percent_off_is_caught_by_the_nominal_defocus) {
  // One untilted image fixes only defocus x pixel^2: told 1.2 A for 1.5 A data, the fit is confident
  // at 22400 x (1.2 / 1.5)^2 = 14336 A. Against the nominal 22000 A that is 0.65x: flagged.
  CtfParams truth;
  truth.defocus_u_A = 23000;
  truth.defocus_v_A = 21800;
  truth.defocus_angle_deg = 35;
  const Image im = synthetic_micrograph(1024, 1.5, truth, 0.3, 3);
  MicrographMetadata nominal;
  nominal.nominal_underfocus_A = 22000;
  nominal.nominal_source = "--nominal-defocus";
  CtfFit right = estimate_ctf(im, truth, 1.5, {}), wrong = estimate_ctf(im, truth, 1.2, {});
  ASSERT_TRUE(right.confident) << right.reason;
  ASSERT_TRUE(wrong.confident) << "the fit alone cannot see it: " << wrong.reason;
  EXPECT_NEAR(0.5 * (wrong.defocus1_A + wrong.defocus2_A), 14336, 300);
  check_fit_against_metadata(right, 1.5, nominal);
  check_fit_against_metadata(wrong, 1.2, nominal);
  EXPECT_TRUE(right.confident) << right.reason;
  EXPECT_FALSE(wrong.confident);
  EXPECT_NE(wrong.reason.find("check the pixel size"), std::string::npos) << wrong.reason;
}

TEST(CtfEstimateTest, real_micrograph_fitted_zeros_match_the_spectrum_minima) {
  const std::string path = std::string(CSPT_SHARED_DATA_DIR) + "/epu2.9_example.mrc";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "../shared/data/epu2.9_example.mrc not found";
  const Image im = io::MrcReader(path).read_section(0);
  CtfParams optics;  // 300 kV, Cs 2.7 mm, Q0 0.07: Titan Krios
  const double px = 0.6666;
  const CtfFit f = estimate_ctf(im, optics, px, {});
  EXPECT_TRUE(f.confident) << f.reason;
  EXPECT_GT(f.fit_resolution_A, 0);
  // Independent check: minima of the radially averaged, detrended amplitude spectrum (512 px tiles)
  // against the zeros of the fitted CTF, ring by ring, over the first six rings.
  const int t = 512;
  std::vector<double> radial(t / 2, 0.0), count(t / 2, 0.0);
  for (int y0 = 0; y0 + t <= im.ny(); y0 += t)
    for (int x0 = 0; x0 + t <= im.nx(); x0 += t) {
      Image tile(t, t, px);
      double mean = 0;
      for (int y = 0; y < t; ++y)
        for (int x = 0; x < t; ++x) mean += im.at(x0 + x, y0 + y) / double(t * t);
      for (int y = 0; y < t; ++y)
        for (int x = 0; x < t; ++x) tile.at(x, y) = float(im.at(x0 + x, y0 + y) - mean);
      const FourierImage ft = fft::forward(tile);
      for (int row = 0; row < t; ++row)
        for (int kx = 0; kx < ft.nx_half(); ++kx) {
          const int r = int(std::lround(std::hypot(kx, ft.frequency(row))));
          if (r < t / 2) {
            radial[r] += std::abs(ft.data()[std::size_t(row) * ft.nx_half() + kx]);
            count[r] += 1;
          }
        }
    }
  for (int r = 0; r < t / 2; ++r) radial[r] /= std::max(1.0, count[r]);
  std::vector<double> minima;
  for (int r = 10; r < 110 && minima.size() < 6; ++r)
    if (radial[r] < radial[r - 1] && radial[r] < radial[r + 1] && radial[r] < radial[r - 2] && radial[r] < radial[r + 2])
      minima.push_back(r / (t * px));
  ASSERT_GE(minima.size(), 5u);
  CtfParams fitted = optics;
  fitted.defocus_u_A = fitted.defocus_v_A = 0.5 * (f.defocus1_A + f.defocus2_A);
  const CtfEvaluator ctf(fitted);
  std::vector<double> zeros;
  for (double s = 0.01; s < 0.2 && zeros.size() < minima.size(); s += 1e-5)
    if (ctf(s, 0) * ctf(s + 1e-5, 0) <= 0) zeros.push_back(s);
  for (std::size_t i = 0; i < minima.size(); ++i) EXPECT_NEAR(zeros[i], minima[i], 0.0025) << "ring " << i + 1;
  std::printf("[ info     ] epu2.9 micrograph: defocus %.0f / %.0f A, angle %.1f, score %.3f, fit resolution %.1f A\n",
              f.defocus1_A, f.defocus2_A, f.astig_angle_deg, f.score, f.fit_resolution_A);
}

TEST(CtfEstimateTest, tilt_correction_helps_at_high_tilt) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("cspt_ctf_tilt_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  SimulationConfig c;
  c.model = "builtin:phantom";
  c.particle_box_px = 64;
  c.pixel_size_A = 1.5;
  c.image_nx_px = c.image_ny_px = 1024;
  c.n_tilt_series = 1;
  c.particles_per_series = 0;
  c.ice_background_rms_rad = 0.3;
  c.dose_per_tilt_e_per_A2 = 30;
  c.radiation_damage = false;
  c.astigmatism_A = 0;
  c.tilt_scheme = "bisect60";
  auto ctx = parallel::make_local_context();
  simulate_project_collective(*ctx, c, dir.string(), 2, nullptr);
  const Project p = io::read_project((dir / "project.h5").string());
  const auto& tilts = p.truth->tilts[0];
  io::MrcReader raw((dir / "tilt_series" / "ts_001.mrc").string());
  CtfParams optics;
  double with_tilt = 0, without = 0;
  int n = 0;
  for (std::size_t i = 0; i < tilts.size(); ++i) {
    if (std::abs(tilts[i].nominal_tilt_deg) < 54) continue;
    const Image im = raw.read_section(tilts[i].section);
    const double truth = 0.5 * (tilts[i].defocus_u_A + tilts[i].defocus_v_A);
    const CtfFit a = estimate_ctf(im, optics, 1.5, {}, {tilts[i].refined_tilt_deg, tilts[i].tilt_axis_deg, 1.0});
    const CtfFit b = estimate_ctf(im, optics, 1.5, {});
    with_tilt += std::abs(0.5 * (a.defocus1_A + a.defocus2_A) - truth);
    without += std::abs(0.5 * (b.defocus1_A + b.defocus2_A) - truth);
    ++n;
  }
  ASSERT_GT(n, 0);
  std::printf("[ info     ] |tilt| >= 54: mean defocus error %.0f A with the tilt correction, %.0f A without\n",
              with_tilt / n, without / n);
  EXPECT_LT(with_tilt / n, 250.0);
  EXPECT_LT(with_tilt, without);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cspt
