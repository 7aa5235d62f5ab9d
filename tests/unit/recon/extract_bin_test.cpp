// Binned extraction (extract --bin K): Fourier-cropping keeps every frequency below the binned
// Nyquist and aliases none above it, and particles cut at bin 2 with the true geometry reconstruct
// to the truth map downsampled to the binned pixel. Negative controls: the unbinned pixel size
// recorded, or boxes decimated in real space without anti-aliasing, must do clearly worse.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <filesystem>
#include <numbers>

#include "cspt/fft/transforms.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/recon/box_cut.hpp"
#include "cspt/recon/extract.hpp"
#include "cspt/recon/fsc.hpp"
#include "cspt/recon/image_source.hpp"
#include "cspt/recon/mask.hpp"
#include "cspt/recon/reconstruct.hpp"
#include "cspt/util/error.hpp"
#include "small_simulation.hpp"

namespace cspt {
namespace {
namespace fs = std::filesystem;

TEST(ExtractBinTest, fourier_crop_bin_keeps_low_frequencies_and_aliases_none) {
  // A 64 px image of a wave at 5 cycles (kept at 32 px) and one at 27 cycles (above the 16-cycle
  // Nyquist of 32 px, where plain decimation would fold it onto 5 cycles). Truth, sampled on the
  // binned grid x' = x / 2: the low wave alone, cos(2 pi 5 x' / 32), plus the mean.
  const int m = 64, n = 32;
  Image im(m, m, 1.5);
  for (int y = 0; y < m; ++y)
    for (int x = 0; x < m; ++x)
      im.at(x, y) = float(0.25 + std::cos(2 * std::numbers::pi * 5 * x / m) + 0.7 * std::cos(2 * std::numbers::pi * 27 * y / m));
  const Image out = fourier_crop(im, n);
  ASSERT_EQ(out.nx(), n);
  EXPECT_DOUBLE_EQ(out.pixel_size_A(), 3.0);
  double worst = 0;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      worst = std::max(worst, std::abs(out.at(x, y) - (0.25 + std::cos(2 * std::numbers::pi * 5 * x / n))));
  EXPECT_LT(worst, 1e-5);
  // Negative control: decimation (every second pixel) keeps the 27-cycle wave as a 5-cycle alias.
  double alias = 0;
  for (int y = 0; y < n; ++y) alias = std::max(alias, std::abs(im.at(0, 2 * y) - (0.25 + 1.0)));
  EXPECT_GT(alias, 0.5);
}

/// `v` (cubic, even) Fourier-cropped to n^3: an independent 3D path (zero the spectrum outside
/// |k| < n/2 on each axis, then keep the inner frequencies) to compare the binned maps with.
Volume crop_volume(const Volume& v, int n) {
  const int m = v.nx();
  FourierVolume big = fft::forward(v);
  FourierVolume small(n, v.pixel_size_A() * m / n);
  std::fill(small.data(), small.data() + small.size(), std::complex<float>(0.0f, 0.0f));
  const auto idx = [](int f, int size) { return f >= 0 ? f : f + size; };
  for (int fz = -n / 2 + 1; fz < n / 2; ++fz)
    for (int fy = -n / 2 + 1; fy < n / 2; ++fy)
      for (int fx = 0; fx < n / 2; ++fx)
        small.at(fx, idx(fy, n), idx(fz, n)) = big.at(fx, idx(fy, m), idx(fz, m)) * float(std::pow(double(n) / m, 3));
  Volume out = fft::inverse(small);
  out.set_pixel_size_A(v.pixel_size_A() * m / n);
  return out;
}

TEST(ExtractBinTest, bin_2_boxes_reconstruct_to_the_truth_at_the_binned_pixel) {
  const fs::path dir = test::fresh_temp_dir("extract_bin");
  // A dose at which shot noise matters (white, up to the raw Nyquist): decimation folds the noise
  // above the binned Nyquist into the band, Fourier cropping drops it.
  // Measured (seed 7): binned 0.96 at 0.7 Nyquist, decimated 0.87, unbinned pixel size < 0.
  SimulationConfig cfg = test::small_simulation_config(20.0);
  cfg.n_tilt_series = 2;
  const Project p = test::simulate_small(cfg, dir);
  ASSERT_TRUE(p.truth.has_value());
  const Volume truth = io::read_mrc_volume((dir / "truth" / "map.mrc").string());  // 64^3, 2 A
  const Volume truth_binned = crop_volume(truth, 32);                                // 32^3, 4 A
  auto ctx = parallel::make_local_context();
  ReconstructOptions ro;
  ro.threads = 2;
  const Volume mask = soft_sphere_mask(32, 4.0, 54.0, 8.0);
  const auto fsc_with_truth = [&](const ParticleSet& set, const ImageSource& images) {
    const auto r = reconstruct_collective(*ctx, set, images, ro, mask);
    return fourier_shell_correlation(r.map, truth_binned);
  };

  ExtractOptions eo;
  eo.box_px = 32;
  eo.bin = 2;
  eo.geometry = GeometrySource::truth;
  const std::string binned_stack = (dir / "bin2.mrcs").string();
  const ParticleSet set = extract_particles(p, dir.string(), eo, binned_stack);
  EXPECT_DOUBLE_EQ(set.pixel_size_A, 4.0);
  EXPECT_EQ(set.box_px, 32);
  const auto h = io::read_mrc_header(binned_stack);
  EXPECT_EQ(h.nx, 32);
  EXPECT_NEAR(h.pixel_size_A(), 4.0, 1e-6);
  auto images = make_stack_image_source(set);
  const auto fsc = fsc_with_truth(set, *images);
  const int last = int(0.7 * 16);  // 0.7 of the binned Nyquist: shell 11 of 16 (11.6 A; Nyquist 8 A)
  for (int s = 1; s <= last; ++s) EXPECT_GE(fsc[s], 0.9) << "shell " << s;

  // Negative control 1: the same boxes with the raw (unbinned) pixel size recorded.
  ParticleSet wrong_px = set;
  wrong_px.pixel_size_A = 2.0;
  const auto fsc_px = fsc_with_truth(wrong_px, *images);

  // Negative control 2: 64 px boxes at bin 1, decimated to 32 px in real space (no anti-aliasing).
  eo.box_px = 64;
  eo.bin = 1;
  const ParticleSet raw = extract_particles(p, dir.string(), eo, (dir / "bin1.mrcs").string());
  ASSERT_EQ(raw.projections.size(), set.projections.size());
  auto raw_images = make_stack_image_source(raw);
  ParticleSet decimated = raw;
  {
    io::MrcStackWriter w((dir / "decimated.mrcs").string(), 32, 32, 4.0);
    std::vector<float> big(64 * 64);
    Image small(32, 32, 4.0);
    for (auto& pr : decimated.projections) {
      raw_images->read(pr, big.data());
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) small.at(x, y) = big[std::size_t(2 * y) * 64 + 2 * x];
      pr.image = {0, w.count()};
      w.append(small);
    }
    w.close();
  }
  decimated.stack_paths = {(dir / "decimated.mrcs").string()};
  decimated.box_px = 32;
  decimated.pixel_size_A = 4.0;
  auto dec_images = make_stack_image_source(decimated);
  const auto fsc_dec = fsc_with_truth(decimated, *dec_images);

  std::printf("[ info     ] FSC(bin-2 map, truth cropped to 4 A) at shells 4/8/11/14: binned %.3f %.3f %.3f %.3f; "
              "unbinned pixel size %.3f %.3f %.3f %.3f; decimated %.3f %.3f %.3f %.3f\n",
              fsc[4], fsc[8], fsc[11], fsc[14], fsc_px[4], fsc_px[8], fsc_px[11], fsc_px[14], fsc_dec[4], fsc_dec[8],
              fsc_dec[11], fsc_dec[14]);
  EXPECT_LT(fsc_px[last], 0.5);
  EXPECT_LT(fsc_dec[last], fsc[last] - 0.05);
  fs::remove_all(dir);
}

TEST(ExtractBinTest, a_box_times_bin_larger_than_the_tilt_image_is_a_one_line_error) {
  const fs::path dir = test::fresh_temp_dir("extract_bin_large");
  SimulationConfig cfg = test::small_simulation_config();
  cfg.n_tilt_series = 1;
  cfg.particles_per_series = 1;
  cfg.image_nx_px = cfg.image_ny_px = 128;
  const Project p = test::simulate_small(cfg, dir);
  ExtractOptions eo;
  eo.box_px = 64;
  eo.bin = 4;  // 256 raw px > 128
  eo.geometry = GeometrySource::truth;
  try {
    extract_particles(p, dir.string(), eo, (dir / "x.mrcs").string());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), e.where() + ": box x bin = 64 x 4 = 256 px: a raw box no larger than the tilt "
                                                  "images (128 x 128 px)");
    EXPECT_NE(e.where().find("ts_001.mrc"), std::string::npos) << e.what();
  }
  eo.bin = 0;
  EXPECT_THROW(extract_particles(p, dir.string(), eo, (dir / "y.mrcs").string()), ConfigError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cspt
