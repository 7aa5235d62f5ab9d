// Tests of RELION 3.1 particle import/export: fields, optics groups, paths, half-sets, errors,
// speed, and a round trip through RELION's own relion_star_handler.
#include "cspt/io/relion_particles.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cspt/io/star.hpp"
#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

namespace fs = std::filesystem;

const char* const kOpticsHeader =
    "# version 30001\n\ndata_optics\n\nloop_\n"
    "_rlnOpticsGroup #1\n_rlnOpticsGroupName #2\n_rlnVoltage #3\n_rlnSphericalAberration #4\n"
    "_rlnAmplitudeContrast #5\n_rlnImagePixelSize #6\n_rlnImageSize #7\n_rlnImageDimensionality "
    "#8\n";
const char* const kTwoGroups =
    "1 opticsGroup1 300.0 2.7 0.1 1.35 64 2\n"
    "2 \"optics group 2\" 200.0 2.0 0.07 1.35 64 2\n";

/// A RELION 3.1 file: the optics loop (header above, given rows), then data_particles; see
/// particle_line() for where each particle row lands.
std::string star_text(const std::vector<std::string>& columns, const std::vector<std::string>& rows,
                      const std::string& optics_rows = kTwoGroups) {
  std::string s =
      std::string(kOpticsHeader) + optics_rows + "\n\n# version 30001\n\ndata_particles\n\nloop_\n";
  for (std::size_t c = 0; c < columns.size(); ++c)
    s += "_" + columns[c] + " #" + std::to_string(c + 1) + "\n";
  for (const auto& r : rows) s += r + "\n";
  return s;
}

const std::vector<std::string> kFullColumns = {
    "rlnImageName",    "rlnAngleRot",     "rlnAngleTilt",     "rlnAnglePsi",
    "rlnOriginXAngst", "rlnOriginYAngst", "rlnDefocusU",      "rlnDefocusV",
    "rlnDefocusAngle", "rlnPhaseShift",   "rlnCtfBfactor",    "rlnCtfScalefactor",
    "rlnOpticsGroup",  "rlnRandomSubset", "rlnMicrographName"};

const std::vector<std::string> kFullRows = {
    "000001@Extract/stack_a.mrcs 10.5 20.25 -30.125 1.5 -2.25 15000.5 14000.25 45.5 0 -10 0.9 1 1 "
    "mic_a.mrc",
    "000002@Extract/stack_a.mrcs -170 90 179.5 0 3 21000 20500 -12 5 0 1 2 2 mic_a.mrc",
    "\"000003@Extract/stack b.mrcs\" 1e-3 +2 3 4 5 18000 18000 0 90 -25.5 1.1 2 2 'mic b.mrc'"};

/// A fresh folder per test with the stacks the files name; ctest runs tests in parallel processes.
class RelionParticlesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("cspt_relion_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "Extract");
    touch(dir_ / "Extract" / "stack_a.mrcs");
    touch(dir_ / "Extract" / "stack b.mrcs");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static void touch(const fs::path& p) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "stack";
  }
  std::string write_file(const std::string& name, const std::string& text) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string stack(const std::string& name) const { return (dir_ / "Extract" / name).string(); }
  fs::path dir_;
};

/// Line of particle row k in star_text(columns, rows) with two optics groups.
int particle_line(std::size_t n_columns, std::size_t k) {
  return static_cast<int>(13 + 2 + 7 + n_columns + k + 1);
}

template <class F>
void expect_io_error(F f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no IoError thrown";
  } catch (const IoError& e) {
    const std::string what = e.what();
    for (const auto& p : parts)
      EXPECT_NE(what.find(p), std::string::npos) << what << " lacks " << p;
  }
}

void expect_near_rel(double a, double b, double rel, const char* what) {
  EXPECT_LE(std::abs(a - b), rel * std::max(1.0, std::abs(b))) << what << ": " << a << " vs " << b;
}

/// Every field of two sets agrees, numbers to rel relative (absolute below 1).
void expect_same_sets(const ParticleSet& a, const ParticleSet& b, double rel) {
  EXPECT_EQ(a.stack_paths, b.stack_paths);
  EXPECT_EQ(a.n_particles, b.n_particles);
  EXPECT_EQ(a.box_px, b.box_px);
  EXPECT_EQ(a.relion_ctf_sign, b.relion_ctf_sign);
  expect_near_rel(a.pixel_size_A, b.pixel_size_A, rel, "pixel");
  ASSERT_EQ(a.projections.size(), b.projections.size());
  for (std::size_t i = 0; i < a.projections.size(); ++i) {
    const Projection& p = a.projections[i];
    const Projection& q = b.projections[i];
    SCOPED_TRACE("projection " + std::to_string(i));
    EXPECT_EQ(p.image.file, q.image.file);
    EXPECT_EQ(p.image.section, q.image.section);
    EXPECT_EQ(p.particle, q.particle);
    EXPECT_EQ(p.half, q.half);
    expect_near_rel(p.rot_deg, q.rot_deg, rel, "rot");
    expect_near_rel(p.tilt_deg, q.tilt_deg, rel, "tilt");
    expect_near_rel(p.psi_deg, q.psi_deg, rel, "psi");
    expect_near_rel(p.shift_x_A, q.shift_x_A, rel, "shift x");
    expect_near_rel(p.shift_y_A, q.shift_y_A, rel, "shift y");
    expect_near_rel(p.ctf.voltage_kV, q.ctf.voltage_kV, rel, "voltage");
    expect_near_rel(p.ctf.cs_mm, q.ctf.cs_mm, rel, "cs");
    expect_near_rel(p.ctf.amplitude_contrast, q.ctf.amplitude_contrast, rel, "q0");
    expect_near_rel(p.ctf.defocus_u_A, q.ctf.defocus_u_A, rel, "defocus u");
    expect_near_rel(p.ctf.defocus_v_A, q.ctf.defocus_v_A, rel, "defocus v");
    expect_near_rel(p.ctf.defocus_angle_deg, q.ctf.defocus_angle_deg, rel, "defocus angle");
    expect_near_rel(p.ctf.phase_shift_deg, q.ctf.phase_shift_deg, rel, "phase shift");
    expect_near_rel(p.ctf.bfactor_A2, q.ctf.bfactor_A2, rel, "bfactor");
    expect_near_rel(p.ctf.scale, q.ctf.scale, rel, "scale");
  }
}

/// A set as extraction would make it: tomo particles with several tilts, two optics combinations.
ParticleSet synthetic_set(const std::vector<std::string>& stacks, int n_particles, int tilts) {
  ParticleSet set;
  set.stack_paths = stacks;
  set.pixel_size_A = 1.0 / 3.0 + 1.0;
  set.box_px = 96;
  set.relion_ctf_sign = true;
  set.n_particles = n_particles;
  for (int p = 0; p < n_particles; ++p)
    for (int t = 0; t < tilts; ++t) {
      Projection q;
      const double x = p * tilts + t;
      q.image = {p % static_cast<int>(stacks.size()), p * tilts + t};
      q.rot_deg = -179.0 + std::fmod(x * 37.123456789, 358.0);
      q.tilt_deg = std::fmod(x * 7.7, 180.0);
      q.psi_deg = 1.0 / (x + 3.0);
      q.shift_x_A = 0.1 * x - 3.3;
      q.shift_y_A = -1e-7 * x;
      q.ctf.voltage_kV = p % 3 == 0 ? 300.0 : 200.0;
      q.ctf.cs_mm = p % 3 == 0 ? 2.7 : 2.0;
      q.ctf.amplitude_contrast = 0.07;
      q.ctf.defocus_u_A = 20000.0 + x * 1.23456789;
      q.ctf.defocus_v_A = 19000.0 - x / 7.0;
      q.ctf.defocus_angle_deg = x * 3.1;
      q.ctf.phase_shift_deg = 0.5 * t;
      q.ctf.bfactor_A2 = -4.0 * t;
      q.ctf.scale = std::cos(t * 0.1);
      q.particle = p;
      q.half = 1 + (p * 7 % 5) % 2;
      set.projections.push_back(q);
    }
  return set;
}

TEST_F(RelionParticlesTest, reads_31_file_with_two_optics_groups_and_quoting) {
  const std::string path = write_file("particles.star", star_text(kFullColumns, kFullRows));
  const ParticleSet set = read_relion_particles(path);
  EXPECT_EQ(set.source, path);
  EXPECT_TRUE(set.relion_ctf_sign);
  EXPECT_EQ(set.box_px, 64);
  EXPECT_DOUBLE_EQ(set.pixel_size_A, 1.35);
  EXPECT_EQ(set.stack_paths,
            (std::vector<std::string>{stack("stack_a.mrcs"), stack("stack b.mrcs")}));
  EXPECT_EQ(set.n_particles, 3);
  ASSERT_EQ(set.projections.size(), 3u);
  const Projection& a = set.projections[0];
  EXPECT_EQ(a.image.file, 0);
  EXPECT_EQ(a.image.section, 0);
  EXPECT_DOUBLE_EQ(a.rot_deg, 10.5);
  EXPECT_DOUBLE_EQ(a.tilt_deg, 20.25);
  EXPECT_DOUBLE_EQ(a.psi_deg, -30.125);
  EXPECT_DOUBLE_EQ(a.shift_x_A, 1.5);
  EXPECT_DOUBLE_EQ(a.shift_y_A, -2.25);
  EXPECT_DOUBLE_EQ(a.ctf.voltage_kV, 300.0);
  EXPECT_DOUBLE_EQ(a.ctf.cs_mm, 2.7);
  EXPECT_DOUBLE_EQ(a.ctf.amplitude_contrast, 0.1);
  EXPECT_DOUBLE_EQ(a.ctf.defocus_u_A, 15000.5);
  EXPECT_DOUBLE_EQ(a.ctf.defocus_v_A, 14000.25);
  EXPECT_DOUBLE_EQ(a.ctf.defocus_angle_deg, 45.5);
  EXPECT_DOUBLE_EQ(a.ctf.bfactor_A2, -10.0);
  EXPECT_DOUBLE_EQ(a.ctf.scale, 0.9);
  EXPECT_EQ(a.particle, 0);
  EXPECT_EQ(a.half, 1);
  const Projection& b = set.projections[1];
  EXPECT_EQ(b.image.section, 1);
  EXPECT_DOUBLE_EQ(b.ctf.voltage_kV, 200.0);
  EXPECT_DOUBLE_EQ(b.ctf.cs_mm, 2.0);
  EXPECT_DOUBLE_EQ(b.ctf.amplitude_contrast, 0.07);
  EXPECT_DOUBLE_EQ(b.ctf.phase_shift_deg, 5.0);
  EXPECT_EQ(b.half, 2);
  const Projection& c = set.projections[2];
  EXPECT_EQ(c.image.file, 1);
  EXPECT_EQ(c.image.section, 2);
  EXPECT_DOUBLE_EQ(c.rot_deg, 1e-3);
  EXPECT_DOUBLE_EQ(c.tilt_deg, 2.0);
  EXPECT_DOUBLE_EQ(c.ctf.phase_shift_deg, 90.0);
  EXPECT_EQ(c.particle, 2);
}

TEST_F(RelionParticlesTest, optional_columns_default) {
  const std::string path = write_file(
      "min.star", star_text({"rlnImageName", "rlnDefocusU"}, {"1@Extract/stack_a.mrcs 12000"},
                            "1 g 300 2.7 0.1 1.35 64 2\n"));
  const ParticleSet set = read_relion_particles(path);
  ASSERT_EQ(set.projections.size(), 1u);
  const Projection& p = set.projections[0];
  EXPECT_EQ(p.rot_deg, 0.0);
  EXPECT_EQ(p.tilt_deg, 0.0);
  EXPECT_EQ(p.psi_deg, 0.0);
  EXPECT_EQ(p.shift_x_A, 0.0);
  EXPECT_EQ(p.shift_y_A, 0.0);
  EXPECT_EQ(p.ctf.defocus_v_A, 12000.0);
  EXPECT_EQ(p.ctf.defocus_angle_deg, 0.0);
  EXPECT_EQ(p.ctf.phase_shift_deg, 0.0);
  EXPECT_EQ(p.ctf.bfactor_A2, 0.0);
  EXPECT_EQ(p.ctf.scale, 1.0);
  EXPECT_EQ(p.half, 1);
}

TEST_F(RelionParticlesTest, box_size_absent_leaves_zero) {
  const std::string text =
      "data_optics\nloop_\n_rlnOpticsGroup\n_rlnVoltage\n_rlnSphericalAberration\n"
      "_rlnAmplitudeContrast\n_rlnImagePixelSize\n1 300 2.7 0.1 2.5\n"
      "data_particles\nloop_\n_rlnImageName\n_rlnDefocusU\n_rlnOpticsGroup\n1@Extract/stack_a.mrcs "
      "1e4 1\n";
  const ParticleSet set = read_relion_particles(write_file("nobox.star", text));
  EXPECT_EQ(set.box_px, 0);
  EXPECT_DOUBLE_EQ(set.pixel_size_A, 2.5);
}

TEST_F(RelionParticlesTest, default_half_split_alternates_by_particle) {
  std::vector<std::string> rows;
  for (int i = 0; i < 6; ++i) rows.push_back(std::to_string(i + 1) + "@Extract/stack_a.mrcs 1e4 1");
  const std::string path =
      write_file("split.star", star_text({"rlnImageName", "rlnDefocusU", "rlnOpticsGroup"}, rows));
  const ParticleSet set = read_relion_particles(path);
  ASSERT_EQ(set.projections.size(), 6u);
  EXPECT_EQ(set.n_particles, 6);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(set.projections[i].particle, i);
    EXPECT_EQ(set.projections[i].half, i % 2 == 0 ? 1 : 2);
  }
}

TEST_F(RelionParticlesTest, tomo_particle_name_groups_projections) {
  const std::vector<std::string> cols = {"rlnImageName", "rlnDefocusU", "rlnOpticsGroup",
                                         "rlnTomoParticleName"};
  const std::vector<std::string> rows = {
      "1@Extract/stack_a.mrcs 1e4 1 TS_01/1", "2@Extract/stack_a.mrcs 1e4 1 TS_01/1",
      "3@Extract/stack_a.mrcs 1e4 1 TS_01/7", "4@Extract/stack_a.mrcs 1e4 1 TS_02/1",
      "5@Extract/stack_a.mrcs 1e4 1 TS_01/7"};
  const ParticleSet set = read_relion_particles(write_file("tomo.star", star_text(cols, rows)));
  EXPECT_EQ(set.n_particles, 3);
  const std::vector<int> particle = {0, 0, 1, 2, 1}, half = {1, 1, 2, 1, 2};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(set.projections[i].particle, particle[i]) << i;
    EXPECT_EQ(set.projections[i].half, half[i]) << i;
  }
}

TEST_F(RelionParticlesTest, image_paths_resolve_like_relion) {
  struct CwdGuard {
    fs::path old = fs::current_path();
    ~CwdGuard() { fs::current_path(old); }
  } guard;
  fs::create_directories(dir_ / "star" / "Extract");
  fs::create_directories(dir_ / "cwd");
  touch(dir_ / "star" / "Extract" / "s.mrcs");
  const std::string abs = stack("stack_a.mrcs");
  const std::string path = (dir_ / "star" / "p.star").string();
  std::ofstream(path) << star_text({"rlnImageName", "rlnDefocusU", "rlnOpticsGroup"},
                                   {"1@Extract/s.mrcs 1e4 1", "2@" + abs + " 1e4 1"});
  fs::current_path(dir_ / "cwd");
  ParticleSet set = read_relion_particles(path);  // not in the working directory: next to the file
  EXPECT_EQ(set.stack_paths,
            (std::vector<std::string>{(dir_ / "star" / "Extract" / "s.mrcs").string(), abs}));
  touch(dir_ / "cwd" / "Extract" / "s.mrcs");
  set = read_relion_particles(path);  // the working directory wins, the name is kept
  EXPECT_EQ(set.stack_paths, (std::vector<std::string>{"Extract/s.mrcs", abs}));
}

TEST_F(RelionParticlesTest, missing_required_column_names_file_table_and_column) {
  const std::string path = write_file(
      "nodef.star", star_text({"rlnImageName", "rlnOpticsGroup"}, {"1@Extract/stack_a.mrcs 1"}));
  expect_io_error([&] { read_relion_particles(path); },
                  {path, "rlnDefocusU", "missing", "data_particles"});
  const std::string no_voltage = write_file(
      "novolt.star",
      "data_optics\nloop_\n_rlnOpticsGroup\n_rlnImagePixelSize\n_rlnSphericalAberration\n"
      "_rlnAmplitudeContrast\n1 1.0 2.7 0.1\ndata_particles\nloop_\n_rlnImageName\n_rlnDefocusU\n"
      "1@Extract/stack_a.mrcs 1e4\n");
  expect_io_error([&] { read_relion_particles(no_voltage); },
                  {no_voltage, "rlnVoltage", "missing"});
}

TEST_F(RelionParticlesTest, bad_and_non_finite_numbers_name_line_column_and_value) {
  const std::vector<std::string> cols = {"rlnImageName", "rlnDefocusU", "rlnAngleRot",
                                         "rlnOpticsGroup"};
  const std::string path = write_file(
      "badnum.star",
      star_text(cols, {"1@Extract/stack_a.mrcs 1e4 0 1", "2@Extract/stack_a.mrcs 1e4 12x 1"}));
  expect_io_error(
      [&] { read_relion_particles(path); },
      {path + ":" + std::to_string(particle_line(cols.size(), 1)), "rlnAngleRot", "12x", "row 2"});
  for (const char* v : {"nan", "inf", "-inf", "1e999"}) {
    const std::string p = write_file(
        "nonfinite.star", star_text(cols, {std::string("1@Extract/stack_a.mrcs ") + v + " 0 1"}));
    expect_io_error([&] { read_relion_particles(p); }, {p, "rlnDefocusU", v, "finite"});
  }
}

TEST_F(RelionParticlesTest, wrong_field_count_names_line) {
  const std::vector<std::string> cols = {"rlnImageName", "rlnDefocusU", "rlnOpticsGroup"};
  const std::string path =
      write_file("fields.star",
                 star_text(cols, {"1@Extract/stack_a.mrcs 1e4 1", "2@Extract/stack_a.mrcs 1e4"}));
  expect_io_error([&] { read_relion_particles(path); },
                  {path + ":" + std::to_string(particle_line(cols.size(), 1)), "data_particles"});
}

TEST_F(RelionParticlesTest, empty_particle_table_is_an_error) {
  const std::string path = write_file("empty.star", star_text({"rlnImageName", "rlnDefocusU"}, {}));
  expect_io_error([&] { read_relion_particles(path); }, {path, "data_particles", "0 rows"});
  const std::string none = write_file("none.star", std::string(kOpticsHeader) + kTwoGroups);
  expect_io_error([&] { read_relion_particles(none); }, {none, "data_particles"});
}

TEST_F(RelionParticlesTest, bad_random_subset_names_row) {
  const std::vector<std::string> cols = {"rlnImageName", "rlnDefocusU", "rlnOpticsGroup",
                                         "rlnRandomSubset"};
  const std::string path = write_file(
      "subset.star",
      star_text(cols, {"1@Extract/stack_a.mrcs 1e4 1 1", "2@Extract/stack_a.mrcs 1e4 1 3"}));
  expect_io_error([&] { read_relion_particles(path); },
                  {path + ":" + std::to_string(particle_line(cols.size(), 1)), "rlnRandomSubset",
                   "3", "row 2", "1 or 2"});
}

TEST_F(RelionParticlesTest, random_subset_must_agree_within_a_particle) {
  const std::vector<std::string> cols = {"rlnImageName", "rlnDefocusU", "rlnOpticsGroup",
                                         "rlnRandomSubset", "rlnTomoParticleName"};
  const std::string path = write_file(
      "mixed.star",
      star_text(cols, {"1@Extract/stack_a.mrcs 1e4 1 1 A", "2@Extract/stack_a.mrcs 1e4 1 2 B",
                       "3@Extract/stack_a.mrcs 1e4 1 2 A"}));
  expect_io_error([&] { read_relion_particles(path); },
                  {path, "rlnRandomSubset", "row 3", "per particle"});
}

TEST_F(RelionParticlesTest, mixed_pixel_or_box_sizes_are_errors_only_when_used) {
  const std::vector<std::string> cols = {"rlnImageName", "rlnDefocusU", "rlnOpticsGroup"};
  const std::string groups =
      "1 g1 300 2.7 0.1 1.35 64 2\n2 g2 300 2.7 0.1 1.1 64 2\n3 g3 300 2.7 0.1 1.35 128 2\n";
  const std::string used_one =
      write_file("one.star", star_text(cols, {"1@Extract/stack_a.mrcs 1e4 1"}, groups));
  EXPECT_EQ(read_relion_particles(used_one).projections.size(), 1u);
  const std::string pixel = write_file(
      "pixel.star",
      star_text(cols, {"1@Extract/stack_a.mrcs 1e4 1", "2@Extract/stack_a.mrcs 1e4 2"}, groups));
  expect_io_error([&] { read_relion_particles(pixel); }, {pixel, "rlnImagePixelSize", "1.35", "1.1",
                                                          "one pixel size for all optics groups"});
  const std::string box = write_file(
      "box.star",
      star_text(cols, {"1@Extract/stack_a.mrcs 1e4 1", "2@Extract/stack_a.mrcs 1e4 3"}, groups));
  expect_io_error([&] { read_relion_particles(box); }, {box, "rlnImageSize", "64", "128"});
}

TEST_F(RelionParticlesTest, missing_stack_and_unknown_group_are_errors) {
  const std::vector<std::string> cols = {"rlnImageName", "rlnDefocusU", "rlnOpticsGroup"};
  const std::string stack_missing =
      write_file("nostack.star", star_text(cols, {"1@Extract/missing.mrcs 1e4 1"}));
  expect_io_error(
      [&] { read_relion_particles(stack_missing); },
      {stack_missing, "rlnImageName", "1@Extract/missing.mrcs", "an existing image stack"});
  const std::string bad_index =
      write_file("index.star", star_text(cols, {"0@Extract/stack_a.mrcs 1e4 1"}));
  expect_io_error([&] { read_relion_particles(bad_index); },
                  {bad_index, "rlnImageName", "1-based"});
  const std::string group =
      write_file("group.star", star_text(cols, {"1@Extract/stack_a.mrcs 1e4 7"}));
  expect_io_error([&] { read_relion_particles(group); }, {group, "rlnOpticsGroup", "7"});
}

TEST_F(RelionParticlesTest, write_then_read_round_trips_exactly) {
  const ParticleSet set = synthetic_set({stack("stack_a.mrcs"), "Extract/stack b.mrcs"}, 7, 5);
  struct CwdGuard {
    fs::path old = fs::current_path();
    ~CwdGuard() { fs::current_path(old); }
  } guard;
  fs::current_path(dir_);  // the relative stack name resolves from here
  const std::string path = (dir_ / "round.star").string();
  write_relion_particles(path, set);
  ParticleSet back = read_relion_particles(path);
  EXPECT_EQ(back.source, path);
  back.source = set.source;
  expect_same_sets(back, set, 1e-15);  // shortest round-trip text: exact
  const StarFile f = read_star(path);
  ASSERT_NE(f.find("optics"), nullptr);
  EXPECT_EQ(f.find("optics")->rows.size(), 2u);  // (300, 2.7, 0.07) and (200, 2.0, 0.07)
  EXPECT_GE(f.find("particles")->column("rlnTomoParticleName"), 0);
}

TEST_F(RelionParticlesTest, on_the_fly_set_round_trips_its_raw_cuts) {
  // An on-the-fly set: no stack, each projection cut from a raw tilt stack at an integer centre.
  ParticleSet set = synthetic_set({stack("stack_a.mrcs")}, 4, 3);
  set.stack_paths.clear();
  set.raw_stack_paths = {stack("stack b.mrcs"), stack("stack_a.mrcs")};
  set.bin = 2;
  for (std::size_t i = 0; i < set.projections.size(); ++i) {
    set.projections[i].image = {};
    set.raw_cuts.push_back({int(i % 2), int(i), 100 + int(i), 200 - int(i)});
  }
  const std::string path = (dir_ / "fly.star").string();
  write_relion_particles(path, set);
  const StarFile f = read_star(path);
  EXPECT_EQ(f.find("particles")->column("rlnImageName"), -1);
  EXPECT_EQ(f.find("particles")->column("rlnMicrographName"), 0);
  EXPECT_GE(f.find("optics")->column("csptBin"), 0);
  ParticleSet back = read_relion_particles(path);
  back.source = set.source;
  expect_same_sets(back, set, 1e-15);
  EXPECT_EQ(back.bin, 2);
  EXPECT_TRUE(back.stack_paths.empty());
  EXPECT_EQ(back.raw_stack_paths, set.raw_stack_paths);
  ASSERT_EQ(back.raw_cuts.size(), set.raw_cuts.size());
  for (std::size_t i = 0; i < set.raw_cuts.size(); ++i) {
    EXPECT_EQ(back.raw_cuts[i].stack, set.raw_cuts[i].stack) << i;
    EXPECT_EQ(back.raw_cuts[i].section, set.raw_cuts[i].section) << i;
    EXPECT_EQ(back.raw_cuts[i].x_px, set.raw_cuts[i].x_px) << i;
    EXPECT_EQ(back.raw_cuts[i].y_px, set.raw_cuts[i].y_px) << i;
  }
  // A raw stack that is not there: the row's rlnMicrographName, named with the file.
  const std::vector<std::string> cols = {"rlnMicrographName", "rlnCoordinateX", "rlnCoordinateY", "rlnDefocusU",
                                         "rlnOpticsGroup"};
  const std::string missing = write_file("nostack_fly.star", star_text(cols, {"3@Extract/missing.mrc 10 20 1e4 1"}));
  expect_io_error([&] { read_relion_particles(missing); },
                  {missing, "rlnMicrographName", "3@Extract/missing.mrc", "an existing raw tilt stack"});
  // Coordinates are integer raw pixels.
  const std::string frac = write_file("frac.star", star_text(cols, {"3@Extract/stack_a.mrcs 10.5 20 1e4 1"}));
  expect_io_error([&] { read_relion_particles(frac); }, {frac, "rlnCoordinateX", "10.5", "an integer"});
}

TEST_F(RelionParticlesTest, read_write_read_keeps_hand_written_file) {
  const ParticleSet first =
      read_relion_particles(write_file("hand.star", star_text(kFullColumns, kFullRows)));
  const std::string path = (dir_ / "again.star").string();
  write_relion_particles(path, first);
  const ParticleSet second = read_relion_particles(path);
  expect_same_sets(second, first, 1e-15);
  EXPECT_EQ(read_star(path).find("particles")->column("rlnTomoParticleName"), -1);  // one row each
}

TEST_F(RelionParticlesTest, writer_refuses_sets_that_would_not_read_back) {
  const std::string path = (dir_ / "w.star").string();
  ParticleSet set = synthetic_set({stack("stack_a.mrcs")}, 2, 2);
  set.relion_ctf_sign = false;
  expect_io_error([&] { write_relion_particles(path, set); }, {path, "relion_ctf_sign"});
  set.relion_ctf_sign = true;
  set.pixel_size_A = 0.0;
  expect_io_error([&] { write_relion_particles(path, set); }, {path, "pixel_size_A"});
  set.pixel_size_A = 1.0;
  set.projections[1].half = 3 - set.projections[0].half;
  expect_io_error([&] { write_relion_particles(path, set); }, {path, "half"});
  set = synthetic_set({stack("stack_a.mrcs")}, 2, 2);
  set.projections[0].ctf.defocus_u_A = std::nan("");
  expect_io_error([&] { write_relion_particles(path, set); }, {path, "defocus_u_A"});
  set = synthetic_set({stack("stack_a.mrcs")}, 2, 2);
  set.projections[3].image.file = 5;
  expect_io_error([&] { write_relion_particles(path, set); }, {path, "image"});
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(RelionParticlesTest, reads_20000_rows_quickly) {
  std::string text = std::string(kOpticsHeader) + kTwoGroups + "\ndata_particles\n\nloop_\n";
  for (std::size_t c = 0; c + 1 < kFullColumns.size(); ++c)
    text += "_" + kFullColumns[c] + " #" + std::to_string(c + 1) + "\n";
  text += "_rlnTomoParticleName #15\n";
  for (int i = 0; i < 20000; ++i) {
    const int g = 1 + i % 2;
    text += std::to_string(i + 1) +
            "@Extract/stack_a.mrcs   12.345678 -45.678901  170.123456 "
            "1.234567 -2.345678 12345.678901 11111.111111 33.333333 0.000000 0.000000 1.000000 " +
            std::to_string(g) + " " + std::to_string(1 + (i / 40) % 2) + " TS_01/" +
            std::to_string(i / 40) + "\n";
  }
  const std::string path = write_file("big.star", text);
  const auto t0 = std::chrono::steady_clock::now();
  const ParticleSet set = read_relion_particles(path);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(set.projections.size(), 20000u);
  EXPECT_EQ(set.n_particles, 500);
  EXPECT_LT(seconds, 2.0);  // target well under 0.5 s in Release
}

TEST_F(RelionParticlesTest, relion_star_handler_reads_and_rewrites_our_file) {
  const ParticleSet set = synthetic_set({stack("stack_a.mrcs")}, 5, 3);
  const std::string ours = (dir_ / "ours.star").string();
  const std::string theirs = (dir_ / "theirs.star").string();
  write_relion_particles(ours, set);
  const std::string cmd = "relion_star_handler --i '" + ours + "' --o '" + theirs + "' > '" +
                          (dir_ / "relion.log").string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << "relion_star_handler (Debian package relion) failed or is not installed: "
                   << cmd;
  ASSERT_TRUE(fs::exists(theirs));
  ParticleSet back = read_relion_particles(theirs);
  back.source = set.source;
  // RELION prints about 7 significant digits (%12.6f or %12.6e).
  expect_same_sets(back, set, 2e-6);
}

}  // namespace
}  // namespace cspt::io
