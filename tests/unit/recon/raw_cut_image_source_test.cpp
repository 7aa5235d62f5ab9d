// The on-the-fly image source: boxes cut from the raw tilt series equal the stored extraction's
// stack section for section (bin 1 and 2), whether prepared for a rank's projections or cut one by
// one; a row naming a tilt image the stack lacks or a box leaving its image is an IoError.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cspt/recon/extract.hpp"
#include "cspt/recon/image_source.hpp"
#include "cspt/util/error.hpp"
#include "small_simulation.hpp"

namespace cspt {
namespace {
namespace fs = std::filesystem;

TEST(ExtractRawCutSourceTest, cuts_the_stored_stack_boxes_bit_for_bit) {
  const fs::path dir = test::fresh_temp_dir("raw_cut_source");
  SimulationConfig cfg = test::small_simulation_config();
  cfg.n_tilt_series = 1;
  const Project p = test::simulate_small(cfg, dir);
  for (int bin : {1, 2}) {
    ExtractOptions eo;
    eo.box_px = 64 / bin;
    eo.bin = bin;
    eo.geometry = GeometrySource::truth;
    eo.relion_contrast = true;
    const ParticleSet stored = extract_particles(p, dir.string(), eo, (dir / "stored.mrcs").string());
    const ParticleSet fly = extract_particles(p, dir.string(), eo, "");
    ASSERT_EQ(fly.raw_cuts.size(), stored.projections.size());
    EXPECT_TRUE(stored.raw_cuts.empty());
    auto stack = make_image_source(stored);
    auto raw = make_image_source(fly);
    ASSERT_EQ(raw->box_px(), stack->box_px());
    // A rank's share prepared (every other projection), the rest cut when read.
    std::vector<std::size_t> mine;
    for (std::size_t i = 0; i < fly.projections.size(); i += 2) mine.push_back(i);
    raw->prepare(mine);
    const std::size_t n = std::size_t(eo.box_px) * std::size_t(eo.box_px);
    std::vector<float> a(n), b(n);
    for (std::size_t i = 0; i < fly.projections.size(); ++i) {
      stack->read(stored.projections[i], a.data());
      raw->read(fly.projections[i], b.data());
      ASSERT_EQ(a, b) << "bin " << bin << ", projection " << i;
    }
  }
}

TEST(ExtractRawCutSourceTest, bad_rows_are_io_errors_naming_the_field) {
  const fs::path dir = test::fresh_temp_dir("raw_cut_source_bad");
  SimulationConfig cfg = test::small_simulation_config();
  cfg.n_tilt_series = 1;
  const Project p = test::simulate_small(cfg, dir);
  ExtractOptions eo;
  eo.box_px = 64;
  eo.geometry = GeometrySource::truth;
  ParticleSet fly = extract_particles(p, dir.string(), eo, "");
  fly.source = "fly.star";
  ParticleSet section = fly;
  section.raw_cuts[0].section = 999;
  try {
    make_image_source(section);
    FAIL() << "accepted a tilt image out of range";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("rlnMicrographName = 1000@"), std::string::npos) << e.what();
  }
  ParticleSet outside = fly;
  outside.raw_cuts[0].x_px = 3;
  try {
    make_image_source(outside);
    FAIL() << "accepted a box leaving its image";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("rlnCoordinateX"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cspt
