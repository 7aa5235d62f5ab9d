// Tests for the HDF5 project file: round trips, schema and layout errors, atomic replacement, h5dump.
#include "cspt/io/project_file.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "cspt/util/error.hpp"
#include "io/project_file_internal.hpp"

namespace {

namespace fs = std::filesystem;
using cspt::IoError;
using cspt::Optics;
using cspt::ParticleRecord;
using cspt::Project;
using cspt::ProjectionRecord;
using cspt::TiltRecord;
using cspt::TiltSeriesRecord;
using cspt::Truth;
using cspt::io::read_project;
using cspt::io::write_project;
namespace detail = cspt::io::project_detail;

// A fresh folder per test under the system temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("cspt_h5_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~TempDir() { fs::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    return names;
  }

 private:
  fs::path dir_;
};

// Every field gets its own value (seed-based), so a swapped or dropped column cannot go unnoticed.
TiltRecord make_tilt(int seed) {
  double v = seed * 100.0 + 0.25;
  const auto next = [&v] { return v += 1.0; };
  TiltRecord t;
  t.section = seed * 100 + 1;
  t.acquisition_order = seed * 100 + 2;
  t.nominal_tilt_deg = next();
  t.refined_tilt_deg = next();
  t.tilt_axis_deg = next();
  t.dose_e_per_A2 = next();
  t.prior_dose_e_per_A2 = next();
  t.target_defocus_A = next();
  t.defocus_u_A = next();
  t.defocus_v_A = next();
  t.defocus_angle_deg = next();
  t.ctf_score = next();
  t.ctf_resolution_A = next();
  t.shift_x_A = next();
  t.shift_y_A = next();
  t.inplane_rotation_deg = next();
  t.image_shift_x_um = next();
  t.image_shift_y_um = next();
  t.stage_x_um = next();
  t.stage_y_um = next();
  t.stage_z_um = next();
  t.timestamp_s = next();
  return t;
}

ParticleRecord make_particle(int seed, int series) {
  ParticleRecord r;
  r.tilt_series = series;
  r.x_A = seed + 0.5, r.y_A = seed + 1.5, r.z_A = -seed - 2.5;
  r.rot_deg = seed + 3.5, r.tilt_deg = seed + 4.5, r.psi_deg = seed - 5.5;
  r.half = 1 + seed % 2;
  r.score = seed * 0.001 + 0.125;
  return r;
}

ProjectionRecord make_projection(int particle, int tilt, double offset) {
  ProjectionRecord r;
  r.particle = particle, r.tilt = tilt;
  r.defocus_u_A = 20000.0 + particle * 10 + tilt + offset;
  r.defocus_v_A = 19000.0 + particle * 10 + tilt + offset;
  r.defocus_angle_deg = 30.0 + tilt + offset;
  r.score = 0.5 + particle * 0.01 + offset;
  return r;
}

// Two series of three tilts, particles in both, one projection per particle and tilt, and truth.
Project make_project() {
  Project p;
  p.created_by = "cspt test 0.1 (ünïcode)";
  p.optics = Optics{300.0, 2.7, 0.07, 1.35, 4096, 4096, "K2 Summit (cropped)"};
  for (int s = 0; s < 2; ++s) {
    TiltSeriesRecord ts;
    ts.name = "ts_00" + std::to_string(s + 1);
    ts.stack_path = "frames/" + ts.name + ".mrc";
    ts.mdoc_path = s == 0 ? ts.name + ".mrc.mdoc" : "";
    ts.nx_px = 1024 + s, ts.ny_px = 960 - s;
    ts.image_shift_x_um = 1.5 * (s + 1), ts.image_shift_y_um = -0.75 * (s + 1);
    for (int t = 0; t < 3; ++t) ts.tilts.push_back(make_tilt(10 * s + t));
    p.tilt_series.push_back(ts);
  }
  for (int k = 0; k < 5; ++k) p.particles.push_back(make_particle(k, k % 2));
  for (int k = 0; k < 5; ++k)
    for (int t = 0; t < 3; ++t) p.projections.push_back(make_projection(k, t, 0.0));
  Truth truth;
  truth.map_path = "truth/map.mrc";
  truth.defocus_handedness = -1.0;
  for (int k = 0; k < 4; ++k) truth.particles.push_back(make_particle(50 + k, (k + 1) % 2));
  for (int k = 0; k < 4; ++k) truth.projections.push_back(make_projection(k, 2 - k % 3, 0.5));
  for (int s = 0; s < 2; ++s) {
    truth.tilts.emplace_back();
    for (int t = 0; t < 3; ++t) truth.tilts.back().push_back(make_tilt(500 + 10 * s + t));
  }
  p.truth = truth;
  return p;
}

#define EXPECT_SAME(field) EXPECT_EQ(a.field, b.field) << #field

void expect_equal(const TiltRecord& a, const TiltRecord& b) {
  EXPECT_SAME(section); EXPECT_SAME(acquisition_order); EXPECT_SAME(nominal_tilt_deg);
  EXPECT_SAME(refined_tilt_deg); EXPECT_SAME(tilt_axis_deg); EXPECT_SAME(dose_e_per_A2);
  EXPECT_SAME(prior_dose_e_per_A2); EXPECT_SAME(target_defocus_A); EXPECT_SAME(defocus_u_A);
  EXPECT_SAME(defocus_v_A); EXPECT_SAME(defocus_angle_deg); EXPECT_SAME(ctf_score);
  EXPECT_SAME(ctf_resolution_A); EXPECT_SAME(shift_x_A); EXPECT_SAME(shift_y_A);
  EXPECT_SAME(inplane_rotation_deg); EXPECT_SAME(image_shift_x_um); EXPECT_SAME(image_shift_y_um);
  EXPECT_SAME(stage_x_um); EXPECT_SAME(stage_y_um); EXPECT_SAME(stage_z_um); EXPECT_SAME(timestamp_s);
}

void expect_equal(const ParticleRecord& a, const ParticleRecord& b) {
  EXPECT_SAME(tilt_series); EXPECT_SAME(x_A); EXPECT_SAME(y_A); EXPECT_SAME(z_A); EXPECT_SAME(rot_deg);
  EXPECT_SAME(tilt_deg); EXPECT_SAME(psi_deg); EXPECT_SAME(half); EXPECT_SAME(score);
}

void expect_equal(const ProjectionRecord& a, const ProjectionRecord& b) {
  EXPECT_SAME(particle); EXPECT_SAME(tilt); EXPECT_SAME(defocus_u_A); EXPECT_SAME(defocus_v_A);
  EXPECT_SAME(defocus_angle_deg); EXPECT_SAME(score);
}

template <class T>
void expect_equal(const std::vector<T>& a, const std::vector<T>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(what + "[" + std::to_string(i) + "]");
    expect_equal(a[i], b[i]);
  }
}

void expect_equal(const Project& a, const Project& b) {
  EXPECT_SAME(created_by);
  EXPECT_SAME(optics.voltage_kV); EXPECT_SAME(optics.cs_mm); EXPECT_SAME(optics.amplitude_contrast);
  EXPECT_SAME(optics.pixel_size_A); EXPECT_SAME(optics.detector_nx_px); EXPECT_SAME(optics.detector_ny_px);
  EXPECT_SAME(optics.camera);
  ASSERT_EQ(a.tilt_series.size(), b.tilt_series.size());
  for (std::size_t s = 0; s < a.tilt_series.size(); ++s) {
    const TiltSeriesRecord& x = a.tilt_series[s];
    const TiltSeriesRecord& y = b.tilt_series[s];
    EXPECT_EQ(x.name, y.name); EXPECT_EQ(x.stack_path, y.stack_path); EXPECT_EQ(x.mdoc_path, y.mdoc_path);
    EXPECT_EQ(x.nx_px, y.nx_px); EXPECT_EQ(x.ny_px, y.ny_px);
    EXPECT_EQ(x.image_shift_x_um, y.image_shift_x_um); EXPECT_EQ(x.image_shift_y_um, y.image_shift_y_um);
    expect_equal(x.tilts, y.tilts, x.name + ".tilts");
  }
  expect_equal(a.particles, b.particles, "particles");
  expect_equal(a.projections, b.projections, "projections");
  ASSERT_EQ(a.truth.has_value(), b.truth.has_value());
  if (!a.truth) return;
  EXPECT_SAME(truth->map_path); EXPECT_SAME(truth->defocus_handedness);
  expect_equal(a.truth->particles, b.truth->particles, "truth.particles");
  expect_equal(a.truth->projections, b.truth->projections, "truth.projections");
  ASSERT_EQ(a.truth->tilts.size(), b.truth->tilts.size());
  for (std::size_t s = 0; s < a.truth->tilts.size(); ++s)
    expect_equal(a.truth->tilts[s], b.truth->tilts[s], "truth.tilts[" + std::to_string(s) + "]");
}

// The IoError read_project throws for path (fails the test if there is none).
IoError read_error(const std::string& path) {
  try {
    read_project(path);
  } catch (const IoError& e) {
    return e;
  }
  ADD_FAILURE() << "read_project(" << path << ") did not throw";
  return IoError(path, "", "", "");
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool has_temporary(const TempDir& dir) {
  for (const auto& name : dir.entries())
    if (name.find(".tmp-") != std::string::npos) return true;
  return false;
}

TEST(ProjectFileTest, round_trip_keeps_every_field) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  const Project p = make_project();
  write_project(path, p);
  EXPECT_EQ(cspt::io::project_schema_version(path), 1);
  expect_equal(read_project(path), p);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"p.h5"});
}

TEST(ProjectFileTest, truth_projection_shifts_round_trip_and_must_match_the_projections) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  Project p = make_project();
  for (std::size_t k = 0; k < p.truth->projections.size(); ++k) p.truth->projection_shifts.push_back({0.25 * double(k), -1.5});
  write_project(path, p);
  const Project q = read_project(path);
  ASSERT_EQ(q.truth->projection_shifts.size(), p.truth->projection_shifts.size());
  for (std::size_t k = 0; k < p.truth->projection_shifts.size(); ++k) {
    EXPECT_EQ(q.truth->projection_shifts[k].shift_x_A, p.truth->projection_shifts[k].shift_x_A);
    EXPECT_EQ(q.truth->projection_shifts[k].shift_y_A, p.truth->projection_shifts[k].shift_y_A);
  }
  p.truth->projection_shifts.pop_back();
  try {
    write_project(dir.file("bad.h5"), p);
    ADD_FAILURE() << "a shift table shorter than the projections was written";
  } catch (const IoError& e) {
    EXPECT_EQ(e.field(), "/truth/projection_shifts");
  }
}

TEST(ProjectFileTest, series_come_back_in_written_order) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  Project p = make_project();
  std::swap(p.tilt_series[0], p.tilt_series[1]);  // "ts_002" before "ts_001": not alphabetical
  for (auto& particle : p.particles) particle.tilt_series = 1 - particle.tilt_series;
  for (auto& particle : p.truth->particles) particle.tilt_series = 1 - particle.tilt_series;
  std::swap(p.truth->tilts[0], p.truth->tilts[1]);
  write_project(path, p);
  const Project q = read_project(path);
  ASSERT_EQ(q.tilt_series.size(), 2u);
  EXPECT_EQ(q.tilt_series[0].name, "ts_002");
  expect_equal(q, p);
}

TEST(ProjectFileTest, threads_may_read_and_write_at_once) {
  TempDir dir;
  const Project p = make_project();
  write_project(dir.file("shared.h5"), p);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const std::string own = dir.file("own_" + std::to_string(t) + ".h5");
      for (int i = 0; i < 5; ++i) {
        write_project(own, p);
        ok[std::size_t(t)] += read_project(dir.file("shared.h5")).particles.size() == p.particles.size();
        ok[std::size_t(t)] += read_project(own).tilt_series.size() == p.tilt_series.size();
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, std::vector<int>(4, 10));
}

TEST(ProjectFileTest, project_without_truth_reads_back_without_truth) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  Project p = make_project();
  p.truth.reset();
  write_project(path, p);
  const Project q = read_project(path);
  EXPECT_FALSE(q.truth.has_value());
  expect_equal(q, p);
}

TEST(ProjectFileTest, empty_particle_list_round_trips) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  Project p = make_project();
  p.particles.clear();
  p.projections.clear();
  p.truth->particles.clear();
  p.truth->projections.clear();
  p.truth->tilts.clear();  // no per-tilt truth
  write_project(path, p);
  expect_equal(read_project(path), p);
}

TEST(ProjectFileTest, default_project_round_trips) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  const Project p;  // no series, no particles, empty strings
  write_project(path, p);
  expect_equal(read_project(path), p);
}

TEST(ProjectFileTest, overwrite_replaces_the_whole_file) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  write_project(path, make_project());
  Project smaller;
  smaller.created_by = "second";
  write_project(path, smaller);
  expect_equal(read_project(path), smaller);
}

TEST(ProjectFileTest, other_schema_version_names_found_and_supported) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  write_project(path, make_project());
  detail::set_schema_version_for_tests(path, 2);
  EXPECT_EQ(cspt::io::project_schema_version(path), 2);
  const IoError e = read_error(path);
  EXPECT_EQ(e.where(), path);
  EXPECT_EQ(e.field(), "/@cspt_schema_version");
  EXPECT_EQ(e.value(), "2");
  EXPECT_NE(e.expectation().find("supported: 1"), std::string::npos) << e.what();
}

TEST(ProjectFileTest, missing_dataset_names_its_hdf5_path) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  write_project(path, make_project());
  detail::delete_object_for_tests(path, "/tilt_series/ts_001/tilts/dose_e_per_A2");
  const IoError e = read_error(path);
  EXPECT_EQ(std::string(e.what()),
            path + ": /tilt_series/ts_001/tilts/dose_e_per_A2 = missing: a dataset of schema v1");
}

TEST(ProjectFileTest, missing_group_names_its_hdf5_path) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  write_project(path, make_project());
  detail::delete_object_for_tests(path, "/truth/tilts/ts_002");
  IoError e = read_error(path);
  EXPECT_EQ(e.field(), "/truth/tilts");  // one of two series left: a half-edited file
  EXPECT_EQ(e.value(), "1 groups");
  detail::delete_object_for_tests(path, "/optics");
  e = read_error(path);
  EXPECT_EQ(e.field(), "/optics");
  EXPECT_EQ(e.value(), "missing");
}

TEST(ProjectFileTest, column_of_wrong_length_names_both_lengths) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  write_project(path, make_project());  // 5 particles
  detail::resize_column_for_tests(path, "/particles/z_A", 7);
  const IoError e = read_error(path);
  EXPECT_EQ(e.field(), "/particles/z_A");
  EXPECT_EQ(e.value(), "7 rows");
  EXPECT_EQ(e.expectation(), "as many as /particles/tilt_series (5 rows)");
}

TEST(ProjectFileTest, missing_and_foreign_files_are_rejected) {
  TempDir dir;
  IoError e = read_error(dir.file("none.h5"));
  EXPECT_EQ(e.field(), "file");
  EXPECT_EQ(e.value(), "missing");
  const std::string text = dir.file("text.h5");
  std::ofstream(text) << "not an HDF5 file\n";
  e = read_error(text);
  EXPECT_EQ(e.where(), text);
  EXPECT_EQ(e.value(), "no HDF5 signature");
  EXPECT_THROW(cspt::io::project_schema_version(text), IoError);
  e = read_error(dir.file(""));  // the folder itself
  EXPECT_EQ(e.value(), "a folder");
}

// The corruption a disk full or an interrupted copy leaves: a file cut short anywhere, or with a
// block of its bytes zeroed, is refused with an IoError naming it (never a crash or a partial read).
// Edits of a well-formed file's values are fuzzed by tests/fuzz/targets/project.cpp.
TEST(ProjectFileTest, truncated_or_zeroed_files_are_refused) {
  TempDir dir;
  const std::string good = dir.file("good.h5");
  write_project(good, make_project());
  std::ifstream in(good, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 4096u);
  const std::string bad = dir.file("bad.h5");
  for (const std::size_t cut : {std::size_t(0), std::size_t(7), std::size_t(100), std::size_t(800),
                                bytes.size() / 2, bytes.size() - 1}) {
    std::ofstream(bad, std::ios::binary | std::ios::trunc) << bytes.substr(0, cut);
    const IoError e = read_error(bad);
    EXPECT_EQ(e.where(), bad) << "cut at " << cut;
  }
  for (std::size_t at = 0; at + 512 <= bytes.size(); at += bytes.size() / 7) {
    std::string zeroed = bytes;
    std::fill(zeroed.begin() + std::ptrdiff_t(at), zeroed.begin() + std::ptrdiff_t(at + 512), '\0');
    std::ofstream(bad, std::ios::binary | std::ios::trunc) << zeroed;
    try {
      (void)read_project(bad);  // a zeroed block inside raw data may leave a readable, valid file
    } catch (const IoError& e) {
      EXPECT_EQ(e.where(), bad) << "zeroed at " << at;
    }
  }
}

TEST(ProjectFileTest, inconsistent_project_is_refused_and_old_file_kept) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  const Project good = make_project();
  write_project(path, good);
  Project bad = good;
  bad.particles[3].tilt_series = 2;
  try {
    write_project(path, bad);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": /particles/tilt_series[3] = 2: an index into /tilt_series@order (2 series)");
  }
  bad = good;
  bad.tilt_series[1].name = "ts_001";
  EXPECT_THROW(write_project(path, bad), IoError);
  bad = good;
  bad.tilt_series[1].name = "a/b";
  EXPECT_THROW(write_project(path, bad), IoError);
  bad = good;
  bad.projections[4].tilt = 3;
  EXPECT_THROW(write_project(path, bad), IoError);
  bad = good;
  bad.truth->tilts[1].pop_back();
  EXPECT_THROW(write_project(path, bad), IoError);
  expect_equal(read_project(path), good);
  EXPECT_FALSE(has_temporary(dir));
}

TEST(ProjectFileTest, unwritable_location_names_the_path) {
  TempDir dir;
  const std::string path = dir.file("no_such_folder/p.h5");
  try {
    write_project(path, make_project());
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(e.where(), path);
    EXPECT_EQ(e.field(), "file");
  }
}

TEST(ProjectFileTest, stale_temporaries_of_dead_writers_are_removed) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // its pid now names no process
  const std::string stale = path + ".tmp-" + std::to_string(child);
  const std::string live = path + ".tmp-1";      // pid 1 always runs
  const std::string other = dir.file("q.h5.tmp-" + std::to_string(child));  // another project's
  for (const auto& f : {stale, live, other}) std::ofstream(f) << "partial";
  write_project(path, make_project());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(other));
}

// A writer killed at any moment leaves the old or the new project at path, never a broken one.
TEST(ProjectFileTest, kill_during_write_leaves_old_or_new_project) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  Project small = make_project();
  small.created_by = "small";
  Project big;  // 2 million particles (about 130 MB): a write takes long enough to be interrupted
  big.created_by = "big";
  big.tilt_series.push_back(small.tilt_series[0]);
  big.particles.resize(2'000'000);
  for (std::size_t i = 0; i < big.particles.size(); ++i) big.particles[i].x_A = double(i);

  // Kill times relative to one measured write, so that on any machine some kills land before,
  // some inside and some after the first rename.
  const auto start = std::chrono::steady_clock::now();
  write_project(path, big);
  const auto write_time = std::chrono::steady_clock::now() - start;
  std::vector<std::chrono::microseconds> delays{std::chrono::milliseconds(1), std::chrono::milliseconds(5)};
  for (const double f : {0.2, 0.5, 0.8, 0.95, 1.1, 1.3, 1.7, 2.5})
    delays.push_back(std::chrono::duration_cast<std::chrono::microseconds>(write_time * f));

  int interrupted = 0, saw_small = 0, saw_big = 0;
  for (const auto delay : delays) {
    SCOPED_TRACE("kill after " + std::to_string(delay.count()) + " us");
    write_project(path, small);  // the old content
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {  // replaces small with big, again and again, until killed
      try {
        for (;;) write_project(path, big);
      } catch (...) {
      }
      ::_exit(3);
    }
    std::this_thread::sleep_for(delay);
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
    if (fs::exists(path + ".tmp-" + std::to_string(child))) ++interrupted;
    Project q;
    ASSERT_NO_THROW(q = read_project(path));
    if (q.created_by == "big") {
      ++saw_big;
      ASSERT_EQ(q.particles.size(), big.particles.size());
      EXPECT_EQ(q.particles.back().x_A, big.particles.back().x_A);
    } else {
      ++saw_small;
      expect_equal(q, small);
    }
  }
  RecordProperty("write_ms", int(std::chrono::duration_cast<std::chrono::milliseconds>(write_time).count()));
  RecordProperty("kills_inside_a_write", interrupted);
  RecordProperty("old_project_seen", saw_small);
  RecordProperty("new_project_seen", saw_big);
  EXPECT_GT(interrupted, 0) << "no kill landed inside a write; the test proved nothing";
  write_project(path, small);  // also removes the killed writers' temporaries
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"p.h5"});
}

TEST(ProjectFileTest, h5dump_shows_schema_version_and_units) {
  ASSERT_EQ(std::system("command -v h5dump > /dev/null 2>&1"), 0)
      << "h5dump not found: install the Debian package hdf5-tools (scripts/install-deps)";
  TempDir dir;
  const std::string path = dir.file("p.h5");
  const std::string out = dir.file("dump.txt");
  write_project(path, make_project());
  const std::string command = "h5dump -A '" + path + "' > '" + out + "' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << slurp(out);
  const std::string dump = slurp(out);
  EXPECT_NE(dump.find("cspt_schema_version"), std::string::npos) << dump;
  EXPECT_NE(dump.find("\"K2 Summit (cropped)\""), std::string::npos) << dump;  // strings as text
  EXPECT_NE(dump.find("\"e/A^2\""), std::string::npos) << dump;
}

}  // namespace

namespace cspt::io {
namespace {

TEST(ProjectFileTest, acquisition_record_round_trips) {
  const TempDir dir;
  Project p = make_project();
  AcquisitionRecord a;
  a.plan_json = R"({"name": "sp001", "rois": [["001", -2.5, 1.25]]})";
  a.state_json = std::string(200000, 'x');  // longer than an attribute could hold
  a.events = {"0.000 begin", "1.500 tilted to 0.01 deg", "unicode µm survives"};
  a.tables.push_back({"tracking", {{"tilt_deg", "deg", {0.01, 3.02, -2.98}}, {"shift_x_nm", "nm", {1.5, -2.25, 0.0}}}});
  a.tables.push_back({"roi_001", {{"ctf_defocus_um", "um", {std::nan(""), -3.1}}, {"order", "", {0.0, 1.0}}}});
  a.tables.push_back({"empty", {{"x", "um", {}}}});
  p.acquisition = a;
  const std::string path = dir.file("p.h5");
  write_project(path, p);
  const Project q = read_project(path);
  ASSERT_TRUE(q.acquisition.has_value());
  EXPECT_EQ(q.acquisition->plan_json, a.plan_json);
  EXPECT_EQ(q.acquisition->state_json, a.state_json);
  EXPECT_EQ(q.acquisition->events, a.events);
  ASSERT_EQ(q.acquisition->tables.size(), 3u);
  for (std::size_t t = 0; t < a.tables.size(); ++t) {
    const auto &want = a.tables[t], &got = q.acquisition->tables[t];
    EXPECT_EQ(got.name, want.name);
    ASSERT_EQ(got.columns.size(), want.columns.size());
    for (std::size_t c = 0; c < want.columns.size(); ++c) {
      EXPECT_EQ(got.columns[c].name, want.columns[c].name);
      EXPECT_EQ(got.columns[c].unit, want.columns[c].unit);
      ASSERT_EQ(got.columns[c].values.size(), want.columns[c].values.size());
      for (std::size_t r = 0; r < want.columns[c].values.size(); ++r) {
        const double w = want.columns[c].values[r], g = got.columns[c].values[r];
        if (std::isnan(w)) EXPECT_TRUE(std::isnan(g));
        else EXPECT_EQ(g, w);
      }
    }
  }
  // A project without an acquisition reads back without one.
  p.acquisition.reset();
  write_project(path, p);
  EXPECT_FALSE(read_project(path).acquisition.has_value());
  // Columns of unequal length cannot be stored as one table.
  a.tables[0].columns[1].values.pop_back();
  p.acquisition = a;
  EXPECT_THROW(write_project(path, p), IoError);
}

}  // namespace
}  // namespace cspt::io
