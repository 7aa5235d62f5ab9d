// Tests for write_report on hand-made inputs: every figure's files are written and linked, absent
// inputs give notes instead of figures, and malformed tables are named in the error.
#include "cspt/report/report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "cspt/io/mrc.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {
namespace fs = std::filesystem;

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("cspt_report_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "out");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

  /// A simulated-looking project: one series of three fitted tilts, two particles, their truth and
  /// a true map of 16^3 voxels.
  std::string make_project() {
    Project p;
    p.optics.pixel_size_A = 2.0;
    TiltSeriesRecord ts;
    ts.name = "ts_001";
    ts.stack_path = "ts_001.mrc";
    ts.nx_px = ts.ny_px = 64;
    for (int i = 0; i < 3; ++i) {
      TiltRecord t;
      t.section = t.acquisition_order = i;
      t.nominal_tilt_deg = t.refined_tilt_deg = i == 0 ? 0.0 : i == 1 ? 3.0 : -3.0;
      t.defocus_u_A = 15000 + 100 * i;
      t.defocus_v_A = 14800 + 100 * i;
      t.defocus_angle_deg = 20;
      ts.tilts.push_back(t);
    }
    p.tilt_series.push_back(ts);
    for (int k = 0; k < 2; ++k) {
      ParticleRecord q;
      q.rot_deg = 10 + 40 * k;
      q.tilt_deg = 50;
      q.psi_deg = 5;
      q.half = 1 + k;
      p.particles.push_back(q);
      for (int i = 0; i < 3; ++i) p.projections.push_back({k, i, 15000, 14800, 20, 0.3});
    }
    Truth t;
    t.map_path = "truth/map.mrc";
    t.particles = p.particles;
    t.particles[1].rot_deg += 4;
    t.tilts = {p.tilt_series[0].tilts};
    p.truth = t;
    fs::create_directories(dir_ / "sim" / "truth");
    io::write_mrc_volume((dir_ / "sim" / "truth" / "map.mrc").string(), map());
    const std::string path = (dir_ / "sim" / "project.h5").string();
    io::write_project(path, p);
    return path;
  }

  static Volume map() {
    Volume v(16, 2.0);
    std::mt19937 rng(3);
    std::normal_distribution<float> g;
    for (float& x : v.values()) x = g(rng);
    return v;
  }

  /// A refinement folder with one iteration whose map is the true map.
  std::string make_refine() {
    const fs::path it = dir_ / "refine" / "iter_001";
    std::string fsc = "shell,frequency_per_A,resolution_A,fsc_unmasked,fsc_masked,fsc_masked_randomized,fsc_corrected\n";
    for (int i = 0; i <= 8; ++i) {
      const double c = 1.0 - i / 8.0;
      fsc += std::to_string(i) + "," + std::to_string(i / 32.0) + ",0," + std::to_string(c) + "," + std::to_string(c) +
             ",0," + std::to_string(c) + "\n";
    }
    write(it / "fsc.csv", fsc);
    write(it / "tilt_scores.csv",
          "acquisition_order,mean_tilt_deg,mean_score,n_projections,prior_dose_e_per_A2\n0,0,0.3,2,0\n1,3,0.25,2,3\n2,-3,0.2,2,6\n");
    std::string weights = "acquisition_order";
    for (int i = 0; i < 10; ++i) weights += ",shell_" + std::to_string(i);
    weights += "\n";
    for (int f = 0; f < 3; ++f) {
      weights += std::to_string(f);
      for (int i = 0; i < 10; ++i) weights += "," + std::to_string(1.0 / (1 + f + i));
      weights += "\n";
    }
    write(it / "weights.csv", weights);
    write(it / "projections.csv", "particle,rot_deg,tilt_deg,psi_deg\n0,10,50,5\n1,50,50,5\n");
    write(it / "summary.json", R"({"iteration": 1, "stage_s": {"tilts": 1.5, "reconstruction": 2.0}})");
    write(dir_ / "refine" / "summary.json", R"({"iteration": 1, "resolution_A": 5.3})");
    write(dir_ / "refine" / "refine_options.json", R"({"symmetry": "C1", "mask_radius_A": 0, "mask_edge_A": 4})");
    io::write_mrc_volume((it / "map.mrc").string(), map());
    return (dir_ / "refine").string();
  }

  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path dir_;
};

TEST_F(ReportTest, every_figure_file_is_written_and_linked) {
  ReportInputs in;
  in.project_path = make_project();
  in.refine_dir = make_refine();
  const ReportOutcome r = write_report(in, (dir_ / "out").string());
  ASSERT_FALSE(r.files.empty());
  EXPECT_EQ(r.files.back(), "index.html");
  const std::string html = read(dir_ / "out" / "index.html");
  for (const auto& f : r.files) {
    EXPECT_TRUE(fs::exists(dir_ / "out" / f)) << f;
    if (f.size() > 4 && f.substr(f.size() - 4) == ".csv") EXPECT_NE(html.find("href=\"" + f + "\""), std::string::npos) << f;
  }
  // Overview (2), FSC (2), map (2), weighting (4), CTF (3), defocus change (1), orientations (2),
  // truth: angular error, FSC against the truth, CTF errors (3).
  EXPECT_EQ(r.figures, 19);
  EXPECT_NE(html.find("Figure 19."), std::string::npos);
  EXPECT_NE(html.find("No acquisition record in this project"), std::string::npos);
  EXPECT_NE(html.find("No CTF diagnostics folder given"), std::string::npos);
  // The refined map is the true map: the FSC against the truth reaches Nyquist (4 A).
  EXPECT_NE(html.find("<td>FSC 0.5 against the true map (masked)</td><td>4 A</td>"), std::string::npos);
  // Particle 1 is 4 degrees of rot from its truth, particle 0 exact: median 2 degrees.
  EXPECT_NE(html.find("<td>median angular error (C1)</td><td>2 deg</td>"), std::string::npos);
  EXPECT_NE(read(dir_ / "out" / "fsc_resolution.csv").find("1,"), std::string::npos);
}

TEST_F(ReportTest, orientations_come_from_the_last_iteration_when_it_wrote_a_project) {
  ReportInputs in;
  in.project_path = make_project();
  in.refine_dir = make_refine();
  Project refined = io::read_project(in.project_path);
  refined.particles = refined.truth->particles;  // the refinement found the truth
  const std::string iter_project = (dir_ / "refine" / "iter_001" / "project.h5").string();
  io::write_project(iter_project, refined);
  write_report(in, (dir_ / "out").string());
  EXPECT_NE(read(dir_ / "out" / "index.html").find("<td>orientations from</td><td>" + iter_project + "</td>"),
            std::string::npos);
  const std::string errors = read(dir_ / "out" / "angular_errors.csv");
  EXPECT_EQ(errors.substr(0, errors.find('\n')), "particle,tilt_series,angular_error_deg");
  EXPECT_LT(std::stod(errors.substr(errors.rfind(',') + 1)), 1e-3);  // particle 1: 4 degrees off in -p, 0 here
}

TEST_F(ReportTest, a_bare_project_gives_notes_instead_of_figures) {
  ReportInputs in;
  in.project_path = make_project();
  const ReportOutcome r = write_report(in, (dir_ / "out").string());
  const std::string html = read(dir_ / "out" / "index.html");
  for (const char* note : {"No refinement folder given", "No acquisition record in this project", "No refined map",
                           "No CTF diagnostics folder given"})
    EXPECT_NE(html.find(note), std::string::npos) << note;
  EXPECT_GE(r.figures, 5);  // counts, CTF (3), defocus change, orientations, truth
}

TEST_F(ReportTest, a_malformed_table_is_named) {
  ReportInputs in;
  in.project_path = make_project();
  in.refine_dir = make_refine();
  write(dir_ / "refine" / "iter_001" / "tilt_scores.csv", "acquisition_order,mean_score\n0,oops\n");
  try {
    write_report(in, (dir_ / "out").string());
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(e.where().find("tilt_scores.csv"), std::string::npos) << e.what();
  }
  in.refine_dir = (dir_ / "nope").string();
  EXPECT_THROW(write_report(in, (dir_ / "out").string()), IoError);
  in.refine_dir.clear();
  in.project_path = (dir_ / "missing.h5").string();
  EXPECT_THROW(write_report(in, (dir_ / "out").string()), IoError);
}

}  // namespace
}  // namespace cspt::report
