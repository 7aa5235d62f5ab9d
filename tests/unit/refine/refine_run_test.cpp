// Constrained refinement end to end on a small simulation, against its truth: orientations, shifts
// and tilt geometry recovered from a perturbed start; per-tilt scores falling with exposure; noise
// does not refine into a structure; a run resumes at an iteration boundary.
#include "cspt/refine/refine_run.hpp"

#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "cspt/core/euler.hpp"
#include "cspt/core/tilt_geometry.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/recon/fsc.hpp"
#include "cspt/recon/mask.hpp"
#include "cspt/util/error.hpp"
#include "small_simulation.hpp"

namespace cspt {
namespace {
namespace fs = std::filesystem;

// Truth moved by 6 deg and 4 A per particle, 0.7 deg / 0.8 deg / 12 A per tilt (first tilt kept).
void perturb(Project& p, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  const auto dir = [&] { return Eigen::Vector3d(g(rng), g(rng), g(rng)).normalized(); };
  p.particles = p.truth->particles;
  for (auto& q : p.particles) {
    const Eigen::Matrix3d r = Eigen::AngleAxisd(6.0 * 3.141592653589793 / 180, dir()).toRotationMatrix() *
                              matrix_from_euler_zyz({q.rot_deg, q.tilt_deg, q.psi_deg});
    const auto e = euler_zyz_from_matrix(r);
    q.rot_deg = e.rot_deg;
    q.tilt_deg = e.tilt_deg;
    q.psi_deg = e.psi_deg;
    const Eigen::Vector3d d = 4.0 * dir();
    q.x_A += d.x();
    q.y_A += d.y();
    q.z_A += d.z();
  }
  for (std::size_t s = 0; s < p.tilt_series.size(); ++s) {
    p.tilt_series[s].tilts = p.truth->tilts[s];
    p.tilt_series[s].defocus_handedness = p.truth->defocus_handedness;
    for (auto& t : p.tilt_series[s].tilts) {
      if (t.acquisition_order == 0) continue;
      t.refined_tilt_deg += g(rng) > 0 ? 0.7 : -0.7;
      t.tilt_axis_deg += g(rng) > 0 ? 0.8 : -0.8;
      const double a = 6.283185307179586 * std::uniform_real_distribution<double>(0, 1)(rng);
      t.shift_x_A += 12 * std::cos(a);
      t.shift_y_A += 12 * std::sin(a);
    }
  }
  p.projections.clear();
}

struct RefineJob {
  fs::path dir;
  RefineOptions opts;
  RefineJob(const fs::path& base, const std::string& name) : dir(base) {
    fs::copy_file(base / "start.h5", base / (name + ".h5"), fs::copy_options::overwrite_existing);
    opts.project_path = (base / (name + ".h5")).string();
    opts.out_dir = (base / name).string();
    opts.reference_path = (base / "truth" / "map.mrc").string();
    opts.box_px = 64;
    opts.symmetry = "D3";
    opts.initial_resolution_A = 20;
    opts.iterations = 2;
    opts.particle.grid_range_deg = 8;
    opts.particle.grid_step_deg = 4;
    opts.threads = 2;
  }
  nlohmann::json go() {
    auto ctx = parallel::make_local_context();
    run_refinement_collective(*ctx, opts, nullptr);
    if (opts.iterations == 0) return {};
    std::ifstream in(fs::path(opts.out_dir) / "summary.json");
    return nlohmann::json::parse(in);
  }
};

class RefineRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new fs::path(test::fresh_temp_dir("refine_run"));
    // The phantom is small (7 kDa): a high dose without damage gives it the signal a 200 kDa
    // particle has at a realistic dose, so orientations are not limited by noise.
    Project p = test::simulate_small(test::small_simulation_config(500, false), *base_);
    perturb(p, 11);
    io::write_project((*base_ / "start.h5").string(), p);
    // Radiation damage: the same particles at 25 e/A^2 per tilt, for the per-tilt score pattern.
    const fs::path damaged = *base_ / "damaged";
    fs::create_directories(damaged);
    Project q = test::simulate_small(test::small_simulation_config(25, true), damaged);
    perturb(q, 11);
    io::write_project((damaged / "start.h5").string(), q);
  }
  static void TearDownTestSuite() {
    if (!std::getenv("CSPT_KEEP_TEST_FILES")) fs::remove_all(*base_);
    delete base_;
  }
  static fs::path* base_;
};
fs::path* RefineRunTest::base_ = nullptr;

TEST_F(RefineRunTest, recovers_orientations_shifts_and_tilt_geometry) {
  RefineJob start(*base_, "start_only");
  start.opts.iterations = 1;
  start.opts.refine_particles = start.opts.refine_tilts = false;
  const auto before = start.go();
  RefineJob run(*base_, "cspt");
  run.opts.iterations = 3;
  const auto s = run.go();
  std::printf("[ info     ] start: angle %.2f deg, shift %.2f A, tilt %.3f deg, FSC0.5 vs truth %.2f A\n",
              before["median_angular_error_deg"].get<double>(), before["median_shift_error_A"].get<double>(),
              before["tilt_angle_error_deg"].get<double>(), before["resolution_vs_truth_A"].get<double>());
  std::printf("[ info     ] refined: angle %.2f deg, shift %.2f A, tilt %.3f deg, axis %.3f deg, FSC0.5 vs truth %.2f A, "
              "gold standard %.2f A\n",
              s["median_angular_error_deg"].get<double>(), s["median_shift_error_A"].get<double>(),
              s["tilt_angle_error_deg"].get<double>(), s["tilt_axis_error_deg"].get<double>(),
              s["resolution_vs_truth_A"].get<double>(), s["resolution_A"].get<double>());
  EXPECT_LE(s["median_angular_error_deg"].get<double>(), 1.5);
  EXPECT_LE(s["tilt_angle_error_deg"].get<double>(), 0.2);
  EXPECT_LE(s["median_shift_error_A"].get<double>(), 2.0);
  EXPECT_LT(s["resolution_vs_truth_A"].get<double>(), 0.8 * before["resolution_vs_truth_A"].get<double>());

  // The project file holds the refined state.
  const Project refined = io::read_project(run.opts.project_path);
  EXPECT_NE(refined.particles[0].rot_deg, io::read_project((*base_ / "start.h5").string()).particles[0].rot_deg);
}

TEST_F(RefineRunTest, per_tilt_scores_fall_with_exposure_and_early_tilts_carry_high_resolution) {
  // With radiation damage, scores fall with acquisition order (the dose-symmetric pattern by tilt
  // angle, paper Fig. 4a), and the data-driven weights give the early tilts the high frequencies (4b).
  RefineJob run(*base_ / "damaged", "cspt");
  run.opts.reference_path = (*base_ / "damaged" / "truth" / "map.mrc").string();
  run.opts.iterations = 1;
  run.opts.refine_particles = run.opts.refine_tilts = false;
  run.go();
  // Per-tilt scores fall with exposure (the dose-symmetric pattern by tilt angle).
  std::ifstream ts(fs::path(run.opts.out_dir) / "iter_001" / "tilt_scores.csv");
  std::string line;
  std::getline(ts, line);
  std::vector<double> score;
  while (std::getline(ts, line)) {
    int order;
    double tilt, mean;
    std::sscanf(line.c_str(), "%d,%lf,%lf", &order, &tilt, &mean);
    score.push_back(mean);
  }
  ASSERT_EQ(score.size(), 41u);
  double early = 0, late = 0;
  for (int i = 0; i < 10; ++i) {
    early += score[std::size_t(i)];
    late += score[std::size_t(40 - i)];
  }
  EXPECT_GT(early, 1.3 * late);
  // Cumulative contribution of the first 10 exposures: about a quarter at low frequency, most of it
  // near Nyquist.
  std::ifstream cum(fs::path(run.opts.out_dir) / "iter_001" / "contributions.csv");
  std::getline(cum, line);
  std::vector<std::vector<double>> rows;
  while (std::getline(cum, line)) {
    std::vector<double> r;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) r.push_back(std::atof(cell.c_str()));
    rows.push_back(r);
  }
  ASSERT_EQ(rows.size(), 41u);
  const double low = rows[9][1 + 2], high = rows[9][1 + 28];
  std::printf("[ info     ] first 10 of 41 exposures: %.2f of the weight at shell 2, %.2f at shell 28\n", low, high);
  EXPECT_LT(low, 0.35);
  EXPECT_GT(high, 0.6);
}

TEST_F(RefineRunTest, fitted_exposure_weights_find_the_exposure_without_the_dose_record) {
  // The damaged data (25 e/A^2 per tilt) with the dose record erased: `fitted-exposure` must find
  // each tilt's exposure from the data alone, where `dose` now has nothing to go on.
  RefineJob run(*base_ / "damaged", "fitted");
  // True poses and tilt geometry (the fixture's start is perturbed), so that what the scores
  // measure is the specimen's damage and not the tilts' misalignment.
  Project p = io::read_project(run.opts.project_path);
  p.particles = p.truth->particles;
  for (std::size_t s = 0; s < p.tilt_series.size(); ++s) {
    p.tilt_series[s].tilts = p.truth->tilts[s];
    for (auto& t : p.tilt_series[s].tilts) t.prior_dose_e_per_A2 = 0;
  }
  p.projections.clear();
  io::write_project(run.opts.project_path, p);
  run.opts.reference_path = (*base_ / "damaged" / "truth" / "map.mrc").string();
  run.opts.iterations = 1;
  run.opts.refine_particles = run.opts.refine_tilts = false;
  run.opts.weights.method = ExposureWeighting::fitted_exposure;
  run.go();
  std::ifstream ts(fs::path(run.opts.out_dir) / "iter_001" / "tilt_scores.csv");
  std::string line;
  std::getline(ts, line);
  ASSERT_NE(line.find(",prior_dose_e_per_A2,fitted_exposure_e_per_A2"), std::string::npos) << line;
  std::vector<double> fitted, recorded;
  while (std::getline(ts, line)) {
    int order;
    double tilt, mean, prior, fit;
    std::size_t n;
    ASSERT_EQ(std::sscanf(line.c_str(), "%d,%lf,%lf,%zu,%lf,%lf", &order, &tilt, &mean, &n, &prior, &fit), 6) << line;
    fitted.push_back(fit);
    recorded.push_back(prior);
  }
  ASSERT_EQ(fitted.size(), 41u);
  // Truth: exposure f has seen 25 f e/A^2 more than the first. Compared over the first 12, where
  // the 20 A band still holds signal (by exposure 12 the phantom's scores have halved).
  std::vector<double> rel;
  double sxy = 0, sxx = 0;
  for (int f = 1; f <= 12; ++f) {
    EXPECT_EQ(recorded[std::size_t(f)], 0.0);
    const double truth = 25.0 * f;
    rel.push_back(std::abs(fitted[std::size_t(f)] - truth) / truth);
    sxy += truth * fitted[std::size_t(f)];
    sxx += truth * truth;
  }
  std::sort(rel.begin(), rel.end());
  const double slope = sxy / sxx;
  std::printf("[ info     ] fitted exposure = %.2f x true exposure, median relative error %.2f (exposures 1-12)\n",
              slope, rel[rel.size() / 2]);
  EXPECT_GT(slope, 0.7);
  EXPECT_LT(slope, 1.2);
  EXPECT_LT(rel[rel.size() / 2], 0.25);
  EXPECT_NEAR(fitted[0], 0.0, 5.0);  // the best exposure is the origin (up to pooling with the next)
  for (std::size_t f = 1; f < fitted.size(); ++f) EXPECT_GE(fitted[f], fitted[f - 1]) << f;  // exposure accumulates
}

// Tracking errors beyond the local tilt search's reach (35-50 A, the first exposure's too, as an
// unaligned series has them): the first iteration's shift scan finds every tilt; without it the
// local search, which moves a tilt by about 20 A per iteration and holds the first exposure, does not.
TEST_F(RefineRunTest, shift_scan_finds_tilts_beyond_the_local_search) {
  Project far = io::read_project((*base_ / "start.h5").string());
  far.particles = far.truth->particles;
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t s = 0; s < far.tilt_series.size(); ++s) {
    far.tilt_series[s].tilts = far.truth->tilts[s];
    for (auto& t : far.tilt_series[s].tilts) {
      const double a = 6.283185307179586 * u(rng), r = 35.0 + 15.0 * u(rng);
      t.shift_x_A += r * std::cos(a);
      t.shift_y_A += r * std::sin(a);
    }
  }
  const auto run = [&](const std::string& name, int scan_iterations) {
    RefineJob job(*base_, name);
    io::write_project(job.opts.project_path, far);
    job.opts.iterations = 1;
    job.opts.refine_particles = false;
    job.opts.tilt.shift_scan_iterations = scan_iterations;
    return job.go();
  };
  const auto scanned = run("far_scan", 1), local = run("far_local", 0);
  std::printf("[ info     ] tilt shift error from 35-50 A: scan %.2f A (%d of %d tilts moved), local search only %.2f A\n",
              scanned["tilt_shift_error_A"].get<double>(), scanned["tilt_shift_scan"]["tilts_moved"].get<int>(),
              scanned["tilt_shift_scan"]["tilts_scanned"].get<int>(), local["tilt_shift_error_A"].get<double>());
  EXPECT_FALSE(local.contains("tilt_shift_scan"));
  EXPECT_LT(scanned["tilt_shift_error_A"].get<double>(), 2.0);
  EXPECT_LT(scanned["median_shift_error_A"].get<double>(), 2.0);
  EXPECT_GT(local["tilt_shift_error_A"].get<double>(), 15.0);
}

// The frame's gauge: every tilt but the reference 0.5 deg off and every particle turned by the same
// about the tilt axis, so that only the reference tilt's projections are wrong. Alternating tilt and
// particle steps would leave this valley at 1/41 per iteration; the search re-anchors on the
// reference tilt's own fit and leaves it in one tilt step.
TEST_F(RefineRunTest, tilt_angles_leave_a_common_offset_in_one_step) {
  Project off = io::read_project((*base_ / "start.h5").string());
  off.particles = off.truth->particles;
  const Eigen::Matrix3d g = tilt_rotation(TiltImageGeometry{-0.5, 0.0, 0.0, 0.0});
  for (auto& q : off.particles) {
    const auto e = euler_zyz_from_matrix(g * matrix_from_euler_zyz({q.rot_deg, q.tilt_deg, q.psi_deg}));
    q.rot_deg = e.rot_deg;
    q.tilt_deg = e.tilt_deg;
    q.psi_deg = e.psi_deg;
    const Eigen::Vector3d r = g * Eigen::Vector3d(q.x_A, q.y_A, q.z_A);
    q.x_A = r.x();
    q.y_A = r.y();
    q.z_A = r.z();
  }
  for (std::size_t s = 0; s < off.tilt_series.size(); ++s) {
    off.tilt_series[s].tilts = off.truth->tilts[s];
    for (auto& t : off.tilt_series[s].tilts)
      if (t.acquisition_order != 0) t.refined_tilt_deg += 0.5;
  }
  RefineJob job(*base_, "gauge");
  io::write_project(job.opts.project_path, off);
  job.opts.iterations = 1;
  job.opts.refine_particles = false;
  const auto s = job.go();
  std::printf("[ info     ] common tilt offset 0.5 deg: after one tilt step tilt %.3f deg, particles %.3f deg from the truth\n",
              s["tilt_angle_error_deg"].get<double>(), s["median_angular_error_deg"].get<double>());
  EXPECT_LT(s["tilt_angle_error_deg"].get<double>(), 0.1);
  EXPECT_LT(s["median_angular_error_deg"].get<double>(), 0.15);
}

TEST_F(RefineRunTest, global_search_finds_particles_without_a_prior) {
  // Orientations uniformly random; tilt geometry and positions true. The first iteration searches
  // SO(3) on the first six exposures, the second refines locally.
  Project p = io::read_project((*base_ / "start.h5").string());
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0.0, 1.0);
  p.particles = p.truth->particles;
  for (auto& q : p.particles) {
    const auto e = euler_zyz_from_matrix(Eigen::Quaterniond(g(rng), g(rng), g(rng), g(rng)).normalized().toRotationMatrix());
    q.rot_deg = e.rot_deg;
    q.tilt_deg = e.tilt_deg;
    q.psi_deg = e.psi_deg;
  }
  for (std::size_t s = 0; s < p.tilt_series.size(); ++s) p.tilt_series[s].tilts = p.truth->tilts[s];
  io::write_project((*base_ / "scrambled.h5").string(), p);
  RefineJob run(*base_, "global");
  fs::copy_file(*base_ / "scrambled.h5", run.opts.project_path, fs::copy_options::overwrite_existing);
  run.opts.global_search = true;
  run.opts.global.angle_step_deg = 12;
  run.opts.particle.max_acquisition_order = 5;
  run.opts.particle.grid_range_deg = 0;
  run.opts.refine_tilts = false;
  const auto s = run.go();
  std::printf("[ info     ] global search: median angle error %.2f deg, FSC 0.5 vs truth %.2f A\n",
              s["median_angular_error_deg"].get<double>(), s["resolution_vs_truth_A"].get<double>());
  EXPECT_LT(s["median_angular_error_deg"].get<double>(), 2.0);
}

TEST_F(RefineRunTest, resumes_at_an_iteration_boundary_with_the_same_result) {
  RefineJob straight(*base_, "straight");
  straight.opts.refine_tilts = false;
  straight.go();
  RefineJob resumed(*base_, "resumed");
  resumed.opts.refine_tilts = false;
  resumed.opts.iterations = 1;
  resumed.go();
  resumed.opts.iterations = 2;
  resumed.go();
  const Volume a = io::read_mrc_volume((fs::path(straight.opts.out_dir) / "iter_002" / "map.mrc").string());
  const Volume b = io::read_mrc_volume((fs::path(resumed.opts.out_dir) / "iter_002" / "map.mrc").string());
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, double(std::abs(a.data()[i] - b.data()[i])));
    norm = std::max(norm, double(std::abs(a.data()[i])));
  }
  EXPECT_LT(diff / norm, 1e-4);
  // Other options in the same folder are refused.
  RefineJob other(*base_, "resumed");
  other.opts.symmetry = "C1";
  EXPECT_THROW(other.go(), ConfigError);
}

TEST_F(RefineRunTest, noise_does_not_refine_into_a_structure) {
  RefineJob run(*base_, "noise");
  // The noise is in the stored stack only: re-centring would cut the real particles again from the
  // raw tilt series.
  run.opts.recentre_boxes = false;
  run.opts.iterations = 0;  // extraction only, then the boxes become noise
  run.go();
  const fs::path stack = fs::path(run.opts.out_dir) / "particles.mrcs";
  {
    const io::MrcReader reader(stack.string());
    std::mt19937_64 rng(3);
    std::normal_distribution<double> g(0.0, 1.0);
    io::MrcStackWriter w(stack.string() + ".tmp", 64, 64, 2.0);
    for (int k = 0; k < reader.n_sections(); ++k) {
      Image im(64, 64, 2.0);
      for (float& v : im.values()) v = float(0.1 * g(rng));
      w.append(im);
    }
    w.close();
  }
  fs::rename(stack.string() + ".tmp", stack);
  run.opts.iterations = 2;
  const auto s = run.go();
  // Beyond the reference's 20 A nothing may correlate: with the truth or between the halves.
  const Volume map = io::read_mrc_volume((fs::path(run.opts.out_dir) / "iter_002" / "map.mrc").string());
  const Volume truth = io::read_mrc_volume((*base_ / "truth" / "map.mrc").string());
  const auto fsc = fourier_shell_correlation(map, truth);
  double beyond = 0;
  int n = 0;
  for (int sh = int(64 * 2.0 / 14.0); sh < 32; ++sh, ++n) beyond += std::abs(fsc[std::size_t(sh)]);
  std::printf("[ info     ] noise: gold standard %.1f A, mean |FSC vs truth| beyond 14 A %.3f\n",
              s["resolution_A"].get<double>(), beyond / n);
  EXPECT_LT(beyond / n, 0.1);
  EXPECT_GT(s["resolution_A"].get<double>(), 14.0);
}

}  // namespace
}  // namespace cspt
