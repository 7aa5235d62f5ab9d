// Tests for project subsets (job-array shares) and relocated copies.
#include "cspt/project/project_subset.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"

namespace {
namespace fs = std::filesystem;
using namespace cspt;

Project three_series() {
  Project p;
  for (int s = 0; s < 3; ++s) {
    TiltSeriesRecord ts;
    ts.name = "ts_00" + std::to_string(s);
    ts.stack_path = "tilt_series/" + ts.name + ".mrc";
    ts.mdoc_path = ts.stack_path + ".mdoc";
    ts.nx_px = ts.ny_px = 64;
    for (int i = 0; i < 2; ++i) {
      TiltRecord t;
      t.section = t.acquisition_order = i;
      t.nominal_tilt_deg = t.refined_tilt_deg = 3.0 * i;
      ts.tilts.push_back(t);
    }
    p.tilt_series.push_back(ts);
  }
  // Particles 0,1 in series 0; 2 in series 1; 3,4 in series 2.
  const int series_of[] = {0, 0, 1, 2, 2};
  Truth truth;
  truth.map_path = "truth/map.mrc";
  for (int i = 0; i < 5; ++i) {
    ParticleRecord r;
    r.tilt_series = series_of[i];
    r.x_A = 10.0 * i;
    p.particles.push_back(r);
    truth.particles.push_back(r);
    for (int t = 0; t < 2; ++t) {
      ProjectionRecord pr;
      pr.particle = i;
      pr.tilt = t;
      pr.defocus_u_A = 1000.0 * i + t;
      p.projections.push_back(pr);
      truth.projections.push_back(pr);
    }
  }
  for (int s = 0; s < 3; ++s) truth.tilts.push_back(p.tilt_series[std::size_t(s)].tilts);
  p.truth = truth;
  return p;
}

TEST(ProjectSubsetTest, KeepsOneSeriesWithItsParticlesReindexed) {
  const Project p = three_series();
  const Project sub = subset_project(p, {2}, "--series-index");
  ASSERT_EQ(sub.tilt_series.size(), 1u);
  EXPECT_EQ(sub.tilt_series[0].name, "ts_002");
  ASSERT_EQ(sub.particles.size(), 2u);
  EXPECT_EQ(sub.particles[0].tilt_series, 0);
  EXPECT_DOUBLE_EQ(sub.particles[0].x_A, 30.0);
  EXPECT_DOUBLE_EQ(sub.particles[1].x_A, 40.0);
  ASSERT_EQ(sub.projections.size(), 4u);
  EXPECT_EQ(sub.projections[0].particle, 0);
  EXPECT_DOUBLE_EQ(sub.projections[0].defocus_u_A, 3000.0);
  EXPECT_EQ(sub.projections[3].particle, 1);
  EXPECT_DOUBLE_EQ(sub.projections[3].defocus_u_A, 4001.0);
  ASSERT_TRUE(sub.truth.has_value());
  EXPECT_EQ(sub.truth->particles.size(), 2u);
  EXPECT_EQ(sub.truth->tilts.size(), 1u);
  EXPECT_EQ(sub.truth->projections.size(), 4u);
  EXPECT_EQ(sub.truth->projections[2].particle, 1);
}

TEST(ProjectSubsetTest, RefusesAnIndexOutOfRange) {
  try {
    subset_project(three_series(), {3}, "--series-index");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--series-index"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("0 to 2"), std::string::npos);
  }
}

TEST(ProjectSubsetTest, RebasedReferencesPointAtTheSameFiles) {
  Project p = three_series();
  rebase_file_references(p, "/data/run/simulate", "/data/run/ctf/parts/ts_000");
  EXPECT_EQ(p.tilt_series[0].stack_path, "../../../simulate/tilt_series/ts_000.mrc");
  EXPECT_EQ(p.tilt_series[0].mdoc_path, "../../../simulate/tilt_series/ts_000.mrc.mdoc");
  EXPECT_EQ(p.truth->map_path, "../../../simulate/truth/map.mrc");
  Project q = three_series();
  q.tilt_series[1].stack_path = "/abs/stack.mrc";
  rebase_file_references(q, "a", "b");
  EXPECT_EQ(q.tilt_series[1].stack_path, "/abs/stack.mrc");
  EXPECT_EQ(q.tilt_series[0].stack_path, "../a/tilt_series/ts_000.mrc");
}

TEST(ProjectSubsetTest, CopyReadsBackWithTheSameContent) {
  const fs::path dir = fs::temp_directory_path() / ("cspt_subset_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "a");
  io::write_project((dir / "a" / "project.h5").string(), three_series());
  fs::create_directories(dir / "b" / "c");
  copy_project((dir / "a" / "project.h5").string(), (dir / "b" / "c" / "project.h5").string());
  const Project q = io::read_project((dir / "b" / "c" / "project.h5").string());
  EXPECT_EQ(q.tilt_series[2].stack_path, "../../a/tilt_series/ts_002.mrc");
  EXPECT_EQ(q.particles.size(), 5u);
  EXPECT_EQ(q.projections.size(), 10u);
  fs::remove_all(dir);
}

}  // namespace
