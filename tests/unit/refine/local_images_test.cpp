// On-the-fly extraction: the boxes a rank cuts from the raw tilt series are the stored stack's,
// bit for bit, and each is the raw tilt image's contrast around the box table's centre.
#include "cspt/refine/rank_scoring.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "cspt/io/mrc.hpp"
#include "cspt/recon/extract.hpp"
#include "small_simulation.hpp"

namespace cspt {
namespace {
namespace fs = std::filesystem;

TEST(LocalImagesTest, onthefly_cut_equals_the_stored_stack_bit_for_bit) {
  const fs::path dir = test::fresh_temp_dir("local_images");
  SimulationConfig cfg = test::small_simulation_config();
  cfg.n_tilt_series = 2;
  cfg.particles_per_series = 3;
  cfg.image_nx_px = cfg.image_ny_px = 256;
  Project p = test::simulate_small(cfg, dir);
  for (std::size_t s = 0; s < p.tilt_series.size(); ++s)  // the CTF stage's place: the true defocus
    for (std::size_t t = 0; t < p.tilt_series[s].tilts.size(); ++t) {
      auto& tr = p.tilt_series[s].tilts[t];
      const auto& truth = p.truth->tilts[s][t];
      tr.defocus_u_A = truth.defocus_u_A;
      tr.defocus_v_A = truth.defocus_v_A;
      tr.defocus_angle_deg = truth.defocus_angle_deg;
    }
  p.projections = projections_from_tilt_ctf(p, GeometrySource::project);
  const std::string stack = (dir / "particles.mrcs").string();
  const ParticleSet set = extract_particles(p, dir.string(), 64, stack);
  const auto boxes = boxes_from_extraction(p, set);
  ASSERT_GT(boxes.size(), 100u);
  // A rank holding every other projection, as a partition would give it.
  std::vector<std::size_t> mine;
  std::vector<int> section_of(boxes.size());
  for (std::size_t j = 0; j < boxes.size(); ++j) {
    section_of[j] = boxes[j].section;
    if (j % 2) mine.push_back(j);
  }
  const LocalImages stored(stack, section_of, mine, 64);
  const auto fly = LocalImages::cut_from_tilt_series(p, dir.string(), boxes, mine, 64);
  ASSERT_EQ(fly->held(), stored.held());
  std::size_t differing = 0;
  for (std::size_t k = 0; k < mine.size(); ++k) {
    EXPECT_EQ(fly->local_index(mine[k]), int(k));
    if (std::memcmp(fly->image(int(k)), stored.image(int(k)), sizeof(float) * 64 * 64) != 0) ++differing;
  }
  EXPECT_EQ(differing, 0u);
  // Only the tilt images holding its boxes were read: at most one per series and tilt.
  EXPECT_LE(fly->tilt_images_read(), 2 * 41);
  EXPECT_GT(fly->tilt_images_read(), 0);

  // Independently: the box centre pixel is the raw tilt image's contrast at the table's centre.
  const auto& b = boxes[mine[0]];
  const auto& ts = p.tilt_series[std::size_t(p.particles[std::size_t(b.particle)].tilt_series)];
  const io::MrcReader raw((dir / ts.stack_path).string());
  const Image im = raw.read_section(ts.tilts[std::size_t(b.tilt)].section);
  double mean = 0;
  for (float v : im.values()) mean += v;
  mean /= double(im.size());
  const double px = p.optics.pixel_size_A;
  const int ix = int(std::lround(b.centre_A.x() / px + 128)), iy = int(std::lround(b.centre_A.y() / px + 128));
  EXPECT_NEAR(b.centre_A.x() / px + 128, ix, 1e-6);  // the table's centres are whole raw pixels
  EXPECT_NEAR(fly->image(0)[32 * 64 + 32], im.at(ix, iy) / mean - 1.0, 1e-5);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cspt
