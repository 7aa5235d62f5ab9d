// The simulator's image mode: count statistics, determinism and projection geometry.
#include "bisect/specimen_render.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numbers>
#include <string>
#include <unistd.h>

#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"

namespace {

using bisect::RenderView;
using bisect::Specimen;
using bisect::SpecimenParams;

// A specimen of uniform density: no texture, holes or beads.
SpecimenParams flat_params(double od) {
  SpecimenParams p;
  p.texture_rms = 0.0;
  p.hole_diameter_um = 0.0;
  p.beads_per_um2 = 0.0;
  p.carbon_od = od;
  return p;
}

struct Moments {
  double mean = 0, variance = 0;
};

Moments moments(const cspt::Image& im) {
  double s = 0, s2 = 0;
  for (float v : im.values()) s += v, s2 += double(v) * v;
  const double n = double(im.size());
  return {s / n, s2 / n - (s / n) * (s / n)};
}

RenderView small_view(double dose, std::uint64_t seed) {
  RenderView v;
  v.nx = 256, v.ny = 256, v.pixel_size_A = 2.0, v.dose_e_per_A2 = dose, v.noise_seed = seed;
  return v;
}

// The centroid of (background − value) over the pixels darker than half the dip: a bead's position.
std::pair<double, double> dark_centroid(const cspt::Image& im, double background) {
  float lowest = im.at(0, 0);
  for (float v : im.values()) lowest = std::min(lowest, v);
  const double threshold = background - 0.5 * (background - lowest);
  double sw = 0, sx = 0, sy = 0;
  for (int y = 0; y < im.ny(); ++y)
    for (int x = 0; x < im.nx(); ++x)
      if (im.at(x, y) < threshold) {
        const double w = background - im.at(x, y);
        sw += w, sx += w * x, sy += w * y;
      }
  return {sx / sw, sy / sw};
}

TEST(SpecimenRenderTest, mean_counts_are_dose_times_pixel_area_and_poisson) {
  const Specimen vacuum(flat_params(0.0));
  for (double dose : {1.0, 25.0}) {  // 4 and 100 counts per pixel: both Poisson samplers
    const Moments m = moments(bisect::render(vacuum, small_view(dose, 7)));
    const double expected = dose * 2.0 * 2.0;
    EXPECT_NEAR(m.mean, expected, 0.02 * expected) << dose;
    EXPECT_NEAR(m.variance, expected, 0.05 * expected) << dose;  // Poisson: variance = mean
  }
}

TEST(SpecimenRenderTest, transmission_falls_as_exp_of_density_over_cos_tilt) {
  const Specimen carbon(flat_params(0.4));
  RenderView v = small_view(25.0, 3);
  v.poisson_noise = false;
  for (double tilt : {0.0, 60.0}) {
    v.tilt_deg = tilt;
    const double expected = 100.0 * std::exp(-0.4 / std::cos(tilt * std::numbers::pi / 180.0));
    EXPECT_NEAR(moments(bisect::render(carbon, v)).mean, expected, 1e-3 * expected) << tilt;
  }
}

TEST(SpecimenRenderTest, same_seed_same_image_other_seed_other_noise) {
  const Specimen specimen;
  const cspt::Image a = bisect::render(specimen, small_view(1.0, 11));
  const cspt::Image b = bisect::render(specimen, small_view(1.0, 11));
  const cspt::Image c = bisect::render(specimen, small_view(1.0, 12));
  EXPECT_EQ(a.values(), b.values());
  EXPECT_NE(a.values(), c.values());
}

TEST(SpecimenRenderTest, binned_render_has_the_statistics_of_render_then_bin) {
  const Specimen vacuum(flat_params(0.0));
  RenderView v = small_view(2.0, 5);
  const cspt::Image binned = bisect::render_binned(vacuum, v, 4);
  ASSERT_EQ(binned.nx(), 64);
  EXPECT_DOUBLE_EQ(binned.pixel_size_A(), 8.0);
  const Moments m = moments(binned);
  const double expected = 16 * 2.0 * 4.0;  // 16 pixels of 8 counts
  EXPECT_NEAR(m.mean, expected, 0.01 * expected);
  EXPECT_NEAR(m.variance, expected, 0.08 * expected);  // a sum of Poissons is Poisson

  // With structure: expected counts equal the block sums of the unbinned expected counts.
  const Specimen specimen;
  v.poisson_noise = false, v.pixel_size_A = 20.0;
  const cspt::Image fine = bisect::render(specimen, v);
  const cspt::Image coarse = bisect::render_binned(specimen, v, 2);
  for (int y : {0, 17, 63, 127})
    for (int x : {0, 40, 101, 127}) {
      const double block = fine.at(2 * x, 2 * y) + fine.at(2 * x + 1, 2 * y) + fine.at(2 * x, 2 * y + 1) +
                           fine.at(2 * x + 1, 2 * y + 1);
      EXPECT_NEAR(coarse.at(x, y), block, 1e-4 * block) << x << "," << y;
    }
}

TEST(SpecimenRenderTest, tilt_foreshortens_perpendicular_to_the_axis) {
  // One bead at untilted Y = 0.5 µm must appear at projected Y = 0.5·cos θ, i.e. at camera offset
  // Y·b / pixel with b = (−sin φ, cos φ) (the camera convention of docs/tracker-protocol.md).
  SpecimenParams p = flat_params(0.1);
  p.bead_diameter_nm = 20.0;
  p.extra_beads = {{0.0, 0.5}};
  const Specimen specimen(p);
  RenderView v;
  v.nx = v.ny = 512, v.pixel_size_A = 20.0, v.axis_from_x_deg = 30.0, v.poisson_noise = false;
  const double phi = 30.0 * std::numbers::pi / 180.0;
  for (double tilt : {0.0, 60.0, -45.0}) {
    v.tilt_deg = tilt;
    const cspt::Image im = bisect::render(specimen, v);
    const double y_px = 0.5 * std::cos(tilt * std::numbers::pi / 180.0) * 1e4 / v.pixel_size_A;
    const auto [cx, cy] = dark_centroid(im, im.at(0, 0));
    EXPECT_NEAR(cx, 256.0 - y_px * std::sin(phi), 0.1) << tilt;
    EXPECT_NEAR(cy, 256.0 + y_px * std::cos(phi), 0.1) << tilt;
  }
}

TEST(SpecimenRenderTest, holes_are_brighter_than_carbon_and_beads_are_dark) {
  SpecimenParams p;
  p.lattice_origin_x_um = 0.3, p.lattice_origin_y_um = -0.2;
  const Specimen s(p);
  EXPECT_DOUBLE_EQ(s.hole_fraction(0.3, -0.2), 1.0);
  EXPECT_DOUBLE_EQ(s.hole_fraction(0.3 + 1.25, -0.2 + 1.25), 0.0);  // between holes
  EXPECT_LT(s.film_density(0.3, -0.2), p.carbon_od);
  p.extra_beads = {{5.0, 5.0}};
  EXPECT_NEAR(Specimen(p).bead_density(5.0, 5.0) - s.bead_density(5.0, 5.0), p.bead_od, 1e-12);
}

TEST(SpecimenRenderTest, texture_has_unit_rms) {
  SpecimenParams p;
  const Specimen s(p);
  double s2 = 0, s1 = 0;
  const int n = 200;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double t = s.texture(i * 0.137, j * 0.211);
      s1 += t, s2 += t * t;
    }
  EXPECT_NEAR(std::sqrt(s2 / (n * n)), 1.0, 0.1);
  EXPECT_NEAR(s1 / (n * n), 0.0, 0.1);
}

TEST(SpecimenRenderTest, uint16_mrc_round_trip) {
  const Specimen specimen;
  RenderView v = small_view(3.0, 9);
  v.nx = 96, v.ny = 64;
  const cspt::Image im = bisect::render(specimen, v);
  const std::vector<std::uint16_t> raw = bisect::to_uint16(im);
  const std::string path =
      (std::filesystem::temp_directory_path() / ("bisect_render_" + std::to_string(::getpid()) + ".mrc")).string();
  cspt::io::write_mrc_image_uint16(path, raw.data(), v.nx, v.ny, v.pixel_size_A);
  const cspt::io::MrcReader reader(path);
  EXPECT_EQ(reader.header().mode, 6);
  EXPECT_NEAR(reader.header().pixel_size_A(), 2.0, 1e-6);
  EXPECT_EQ(reader.read_section(0).values(), im.values());  // counts are integers
  std::filesystem::remove(path);

  cspt::Image odd(3, 1);
  odd.at(0, 0) = -4.0f, odd.at(1, 0) = 2.6f, odd.at(2, 0) = 1e6f;
  EXPECT_EQ(bisect::to_uint16(odd), (std::vector<std::uint16_t>{0, 3, 65535}));
}

TEST(SpecimenRenderTest, bad_input_names_the_field) {
  SpecimenParams p;
  p.hole_spacing_um = 1.0;  // smaller than the 1.2 µm holes
  try {
    Specimen s(p);
    FAIL();
  } catch (const cspt::ConfigError& e) {
    EXPECT_EQ(e.field(), "hole_spacing_um");
  }
  RenderView v = small_view(1.0, 1);
  v.tilt_deg = 90.0;
  try {
    bisect::render(Specimen(), v);
    FAIL();
  } catch (const cspt::ConfigError& e) {
    EXPECT_EQ(e.field(), "tilt_deg");
  }
  v.tilt_deg = 0.0;
  EXPECT_THROW(bisect::render_binned(Specimen(), v, 0), cspt::ConfigError);
}

}  // namespace
