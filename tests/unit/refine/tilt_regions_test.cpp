// Per-region tilt shifts: the grid option, the assignment of particles, the table read back on
// resume, and refinement on simulated data whose sample deforms across the field of view (the
// simulator's deformation_A) against its truth, with regions on and off.
#include "cspt/refine/tilt_regions.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cspt/io/mrc.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/refine/refine_model.hpp"
#include "cspt/refine/refine_run.hpp"
#include "cspt/util/error.hpp"
#include "small_simulation.hpp"

namespace cspt {
namespace {
namespace fs = std::filesystem;

TEST(TiltRegionsTest, grid_option_reads_two_or_three_counts) {
  const TiltRegionGrid a = parse_tilt_region_grid("3,2", "refine", "tilt-regions");
  EXPECT_EQ(a.nx, 3);
  EXPECT_EQ(a.ny, 2);
  EXPECT_EQ(a.nz, 1);
  EXPECT_TRUE(a.on());
  const TiltRegionGrid b = parse_tilt_region_grid("2, 2, 2", "refine", "tilt-regions");
  EXPECT_EQ(b.count(), 8);
  EXPECT_FALSE(parse_tilt_region_grid("1,1", "refine", "tilt-regions").on());
  for (const char* bad : {"", "2", "2,", "2,2,2,2", "0,2", "2,x", "17,1", "2.5,2"}) {
    try {
      parse_tilt_region_grid(bad, "refine", "tilt-regions");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.field(), "tilt-regions");
      EXPECT_EQ(e.value(), bad);
    }
  }
}

// A model of one series with three tilts (the first the reference) and particles at given (x, y).
RefineModel model_with_particles(const std::vector<Eigen::Vector2d>& xy) {
  RefineModel m;
  m.handedness = {1.0};
  m.tilts.assign(1, std::vector<RefineTilt>(3));
  m.tilts[0][0].reference = true;
  m.projections_of_particle.resize(xy.size());
  for (std::size_t i = 0; i < xy.size(); ++i) {
    RefineParticle p;
    p.position_A = {xy[i].x(), xy[i].y(), 0.0};
    m.particles.push_back(p);
    for (int t = 0; t < 3; ++t) {
      RefineProjection j;
      j.particle = int(i);
      j.tilt = t;
      m.projections_of_particle[i].push_back(m.projections.size());
      m.projections.push_back(j);
    }
  }
  return m;
}

TEST(TiltRegionsTest, particles_fall_into_the_grid_over_their_extent) {
  // Extent x in [-100, 100], y in [-50, 50]; a 2 x 2 grid splits at x = 0 and y = 0.
  RefineModel m = model_with_particles({{-100, -50}, {-10, -1}, {10, -40}, {100, 50}, {-60, 20}, {50, 10}});
  TiltRegionGrid grid;
  grid.nx = grid.ny = 2;
  grid.min_particles = 2;
  m.regions = assign_tilt_regions(m, grid);
  ASSERT_TRUE(m.regions.enabled());
  EXPECT_EQ(m.regions.region_of_particle, (std::vector<int>{0, 0, 1, 3, 2, 3}));
  EXPECT_EQ(m.regions.particles[0], (std::vector<int>{2, 1, 1, 2}));
  EXPECT_TRUE(m.regions.active(0, 0));
  EXPECT_FALSE(m.regions.active(0, 1));  // one particle: keeps the tilt's shift
  // Off: a 1 x 1 grid assigns nothing.
  EXPECT_FALSE(assign_tilt_regions(m, TiltRegionGrid{}).enabled());
}

TEST(TiltRegionsTest, correction_moves_the_particle_in_its_image_and_the_table_reads_back) {
  RefineModel m = model_with_particles({{-100, 0}, {100, 0}});
  TiltRegionGrid grid;
  grid.nx = 2;
  grid.min_particles = 1;
  m.regions = assign_tilt_regions(m, grid);
  const ProjectionPose before = projection_pose(m, m.projections[4]);  // particle 1, tilt 1
  m.regions.shift_A[0][1 * 3 + 1] = {2.5, -1.25};                        // region 1, tilt 1
  const ProjectionPose after = projection_pose(m, m.projections[4]);
  // The particle moves by +d in the image, so the origin shift (particle at -shift) moves by -d.
  EXPECT_NEAR(after.shift_x_A - before.shift_x_A, -2.5, 1e-12);
  EXPECT_NEAR(after.shift_y_A - before.shift_y_A, 1.25, 1e-12);
  EXPECT_EQ(projection_pose(m, m.projections[1]).shift_x_A, projection_pose(model_with_particles({{-100, 0}, {100, 0}}),
                                                                              m.projections[1]).shift_x_A);
  m.regions.shift_A[0][2] = {0.1 + 1e-13, 1.0 / 3.0};
  const std::string text = region_shifts_csv(m);
  RefineModel back = model_with_particles({{-100, 0}, {100, 0}});
  back.regions = assign_tilt_regions(back, grid);
  read_region_shifts_csv("region_shifts.csv", text, back);
  for (std::size_t k = 0; k < m.regions.shift_A[0].size(); ++k) EXPECT_EQ(back.regions.shift_A[0][k], m.regions.shift_A[0][k]);
  // A table of another grid is refused, naming the file.
  TiltRegionGrid other = grid;
  other.nx = 3;
  RefineModel wrong = model_with_particles({{-100, 0}, {100, 0}});
  wrong.regions = assign_tilt_regions(wrong, other);
  EXPECT_THROW(read_region_shifts_csv("region_shifts.csv", text, wrong), IoError);
}

// ---- refinement on a simulated deforming sample ----

// One series of 36 particles, 25 tilts (bisect36), high dose without damage (as RefineRunTest: the
// 7 kDa phantom then has the signal of a large particle). With `deformation_A` > 0 every tilt after
// the first moves the particles by a random linear gradient across the field, up to about +-8 A
// over the particles' disc (radius 328 A of a 512 A half-field, amplitude 12 A).
SimulationConfig deforming_config(double deformation_A) {
  SimulationConfig c = test::small_simulation_config(500, false);
  c.n_tilt_series = 1;
  c.particles_per_series = 36;
  c.tilt_scheme = "bisect36";
  c.deformation_A = deformation_A;
  return c;
}

// The start: particles and tilts at their truth, so what is left to find is the deformation.
void start_at_truth(const fs::path& dir) {
  Project p = io::read_project((dir / "project.h5").string());
  p.particles = p.truth->particles;
  for (std::size_t s = 0; s < p.tilt_series.size(); ++s) {
    p.tilt_series[s].tilts = p.truth->tilts[s];
    p.tilt_series[s].defocus_handedness = p.truth->defocus_handedness;
  }
  p.projections.clear();
  io::write_project((dir / "start.h5").string(), p);
}

class TiltRegionRefineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new fs::path(test::fresh_temp_dir("tilt_regions"));
    for (const char* name : {"deformed", "rigid"}) {
      const fs::path dir = *base_ / name;
      fs::create_directories(dir);
      test::simulate_small(deforming_config(std::string(name) == "deformed" ? 12.0 : 0.0), dir);
      start_at_truth(dir);
    }
  }
  static void TearDownTestSuite() {
    if (!std::getenv("CSPT_KEEP_TEST_FILES")) fs::remove_all(*base_);
    delete base_;
  }
  static RefineOptions options(const std::string& data, const std::string& run, bool regions) {
    const fs::path dir = *base_ / data;
    const fs::path project = dir / (run + ".h5");
    if (!fs::exists(dir / run)) fs::copy_file(dir / "start.h5", project, fs::copy_options::overwrite_existing);
    RefineOptions o;
    o.project_path = project.string();
    o.out_dir = (dir / run).string();
    o.reference_path = (dir / "truth" / "map.mrc").string();
    o.box_px = 64;
    o.symmetry = "D3";
    o.initial_resolution_A = 12;
    o.iterations = 2;
    o.refine_particles = false;  // the particles are true: the tilts' (and regions') shifts are what moves
    o.threads = 2;
    if (regions) {
      o.tilt.regions.nx = o.tilt.regions.ny = 2;  // about 9 particles per region
      o.tilt.regions.min_particles = 5;
    }
    return o;
  }
  // Runs (or, when already complete, reads) a refinement; returns its summary.
  static nlohmann::json refine(const RefineOptions& o) {
    auto ctx = parallel::make_local_context();
    run_refinement_collective(*ctx, o, nullptr);
    std::ifstream in(fs::path(o.out_dir) / "summary.json");
    return nlohmann::json::parse(in);
  }
  static fs::path* base_;
};
fs::path* TiltRegionRefineTest::base_ = nullptr;

void report(const char* what, const nlohmann::json& s) {
  std::printf("[ info     ] %s: median projection shift error %.2f A, FSC 0.5 vs truth %.2f A, gold standard %.2f A\n",
              what, s["median_shift_error_A"].get<double>(), s["resolution_vs_truth_A"].get<double>(),
              s["resolution_A"].get<double>());
}

TEST_F(TiltRegionRefineTest, refine_with_regions_recovers_a_deforming_sample) {
  const auto off = refine(options("deformed", "off", false));
  const auto on = refine(options("deformed", "on", true));
  report("deformed, regions off", off);
  report("deformed, regions 2x2", on);
  const double err_off = off["median_shift_error_A"].get<double>(), err_on = on["median_shift_error_A"].get<double>();
  // Measured: 2.04 A off (the tilts' axis and angle absorb part of the gradient), 1.11 A on; what is
  // left on is the gradient inside each region, which a constant per region cannot follow.
  EXPECT_LE(err_on, 1.5);
  EXPECT_LT(err_on, 0.7 * err_off);
  EXPECT_LE(on["resolution_vs_truth_A"].get<double>(), off["resolution_vs_truth_A"].get<double>() + 0.05);
  EXPECT_EQ(on["tilt_regions"]["regions_refined"].get<int>(), 4);
  EXPECT_TRUE(fs::exists(fs::path(options("deformed", "on", true).out_dir) / "iter_002" / "region_shifts.csv"));
}

TEST_F(TiltRegionRefineTest, refine_with_regions_on_a_rigid_sample_is_no_worse) {
  // The control: nothing region-dependent to find; four times the shift parameters must not fit noise.
  const auto off = refine(options("rigid", "off", false));
  const auto on = refine(options("rigid", "on", true));
  report("rigid, regions off", off);
  report("rigid, regions 2x2", on);
  EXPECT_LE(on["median_shift_error_A"].get<double>(), off["median_shift_error_A"].get<double>() + 0.5);
  EXPECT_LE(on["resolution_vs_truth_A"].get<double>(), off["resolution_vs_truth_A"].get<double>() + 0.3);
}

TEST_F(TiltRegionRefineTest, refine_with_regions_resumes_to_the_uninterrupted_result) {
  const RefineOptions straight = options("deformed", "on", true);
  refine(straight);
  RefineOptions resumed = options("deformed", "resumed", true);
  resumed.iterations = 1;
  refine(resumed);
  resumed.iterations = 2;
  refine(resumed);
  const auto read = [](const RefineOptions& o) {
    return io::read_mrc_volume((fs::path(o.out_dir) / "iter_002" / "map.mrc").string());
  };
  const Volume a = read(straight), b = read(resumed);
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, double(std::abs(a.data()[i] - b.data()[i])));
    norm = std::max(norm, double(std::abs(a.data()[i])));
  }
  EXPECT_LT(diff / norm, 1e-4);
  // A different grid in the same folder is refused.
  RefineOptions other = options("deformed", "resumed", true);
  other.tilt.regions.nx = 3;
  EXPECT_THROW(refine(other), ConfigError);
}

}  // namespace
}  // namespace cspt
