// Tracking alignment: known shifts from the renderer's geometry, cosine stretch, negative control,
// series reference (and its bit-identical restore), binning and sign conventions.
#include "bisect/image_align.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <numbers>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bisect/specimen_render.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"

namespace {

using bisect::AlignFilter;
using bisect::AlignResult;
using bisect::RenderView;
using bisect::SeriesReference;
using bisect::Specimen;

constexpr double kPi = std::numbers::pi;
constexpr double kAxisDeg = 84.8;  // a Krios mdoc RotationAngle, minus 90 (acquisition.md §1.3)
constexpr double kPixelA = 10.0;
constexpr int kSize = 1024;

// The projected specimen displacement (µm) of a camera displacement s (px), written from the
// convention of docs/tracker-protocol.md (X = s·a, Y = s·b), independently of the code under test.
std::pair<double, double> projected_um(double sx, double sy, double pixel_A, double axis_deg) {
  const double ax = std::cos(axis_deg * kPi / 180), ay = std::sin(axis_deg * kPi / 180);
  return {(sx * ax + sy * ay) * pixel_A * 1e-4, (-sx * ay + sy * ax) * pixel_A * 1e-4};
}

// A view at tilt_deg in which the specimen point (x0, y0) of the untilted plane (the centre of the
// reference view) appears moved by +s camera pixels from the image centre.
RenderView view_of(double x0_um, double y0_um, double tilt_deg, double sx, double sy, std::uint64_t seed) {
  RenderView v;
  v.nx = v.ny = kSize, v.pixel_size_A = kPixelA, v.axis_from_x_deg = kAxisDeg;
  v.dose_e_per_A2 = 0.2, v.noise_seed = seed, v.tilt_deg = tilt_deg;
  const auto [dx, dy] = projected_um(sx, sy, kPixelA, kAxisDeg);
  v.centre_x_um = x0_um - dx;
  v.centre_y_um = y0_um * std::cos(tilt_deg * kPi / 180) - dy;
  return v;
}

constexpr double kX0 = 0.9, kY0 = 0.4;  // on carbon, with a hole edge in view

bool same_bits(const AlignResult& a, const AlignResult& b) {
  return std::memcmp(&a, &b, sizeof(AlignResult)) == 0;
}

TEST(ImageAlignTest, recovers_a_known_shift_at_zero_tilt) {
  // 0.5 e/Å² at 10 Å: 50 counts per pixel. Noise-free, the error is below 0.05 px; at 0.2 e/Å²
  // its rms is about 0.2 px, so this dose leaves the 0.25 px bound a margin.
  const Specimen specimen;
  const double sx = 37.3, sy = -12.6;
  for (int place = 0; place < 3; ++place) {
    const double x0 = kX0 + 1.7 * place, y0 = kY0 - 0.9 * place;
    RenderView rv = view_of(x0, y0, 0, 0, 0, 1 + place), iv = view_of(x0, y0, 0, sx, sy, 11 + place);
    rv.dose_e_per_A2 = iv.dose_e_per_A2 = 0.5;
    const AlignResult r = bisect::align_pair(bisect::render(specimen, rv), 0.0, bisect::render(specimen, iv), 0.0,
                                             kAxisDeg);
    EXPECT_NEAR(r.shift_x_px, sx, 0.25) << place;
    EXPECT_NEAR(r.shift_y_px, sy, 0.25) << place;
    EXPECT_GT(r.cc_peak, 0.25) << place;
    EXPECT_LE(r.cc_peak, 1.0) << place;
    EXPECT_GT(r.psr, 5.0) << place;
  }
}

TEST(ImageAlignTest, cosine_stretch_aligns_sixty_degrees_to_zero) {
  const Specimen specimen;
  const double sx = 25.0, sy = -40.0;
  const cspt::Image ref = bisect::render(specimen, view_of(kX0, kY0, 0, 0, 0, 3));
  const cspt::Image img = bisect::render(specimen, view_of(kX0, kY0, 60, sx, sy, 4));
  const AlignResult with = bisect::align_pair(ref, 0.0, img, 60.0, kAxisDeg);
  EXPECT_NEAR(with.shift_x_px, sx, 2.0);  // 1 binned pixel
  EXPECT_NEAR(with.shift_y_px, sy, 2.0);
  // The other way round the 0° image is the less tilted and the 60° reference is stretched onto
  // it. The 60° image's centre point lies at −Δ from the 0° centre's point (Δ projected), i.e. at
  // untilted −(Δx, Δy / cos 60°): the 0° image shows it at −A(2)·s, A(k) = a·aᵀ + k·b·bᵀ.
  const double ax = std::cos(kAxisDeg * kPi / 180), ay = std::sin(kAxisDeg * kPi / 180);
  const double s_a = sx * ax + sy * ay, s_b = -sx * ay + sy * ax;  // components along a and b
  const AlignResult back = bisect::align_pair(img, 60.0, ref, 0.0, kAxisDeg);
  EXPECT_NEAR(back.shift_x_px, -(s_a * ax - 2 * s_b * ay), 2.0);
  EXPECT_NEAR(back.shift_y_px, -(s_a * ay + 2 * s_b * ax), 2.0);

  AlignFilter no_stretch;
  no_stretch.cosine_stretch = false;
  const AlignResult without = bisect::align_pair(ref, 0.0, img, 60.0, kAxisDeg, no_stretch);
  const double err_with = std::hypot(with.shift_x_px - sx, with.shift_y_px - sy);
  const double err_without = std::hypot(without.shift_x_px - sx, without.shift_y_px - sy);
  // Measured: with stretch 0.06 px, cc 0.37, PSR 22; without, 160 px off, cc 0.02, PSR 1.2.
  EXPECT_TRUE(err_without > 2.0 * err_with + 1.0 || without.psr < 0.7 * with.psr)
      << "error with/without stretch " << err_with << " / " << err_without << " px, psr " << with.psr << " / "
      << without.psr;
  EXPECT_LT(without.cc_peak, 0.7 * with.cc_peak);
}

TEST(ImageAlignTest, stretch_matches_the_renderers_foreshortening) {
  bisect::SpecimenParams p;
  p.beads_per_um2 = 0.0, p.texture_finest_nm = 40.0;
  const Specimen specimen(p);
  RenderView v = view_of(kX0, kY0, 0, 0, 0, 1);
  v.nx = v.ny = 256, v.pixel_size_A = 20.0, v.poisson_noise = false;
  const cspt::Image flat = bisect::render(specimen, v);
  v.tilt_deg = 60.0, v.centre_y_um = kY0 * 0.5;
  const cspt::Image tilted = bisect::render(specimen, v);
  // Film density is 1/cos θ stronger at 60°: compare log-transmissions scaled back.
  cspt::Image log_tilted = tilted;
  for (float& x : log_tilted.values()) x = float(0.5 * std::log(x));
  const cspt::Image stretched = bisect::stretch_about(log_tilted, 128, 128, kAxisDeg, 2.0);
  double sab = 0, saa = 0, sbb = 0, sa = 0, sb = 0, n = 0;
  for (int y = 32; y < 224; ++y)
    for (int x = 32; x < 224; ++x) {
      const double a = std::log(flat.at(x, y)), b = stretched.at(x, y);
      sa += a, sb += b, sab += a * b, saa += a * a, sbb += b * b, n += 1;
    }
  const double corr = (sab - sa * sb / n) / std::sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
  EXPECT_GT(corr, 0.97);
}

TEST(ImageAlignTest, specimen_shift_sign_and_axis_round_trip) {
  for (double axis : {84.8, -5.0}) {
    const double a = axis * kPi / 180;
    const bisect::SpecimenShiftNm d = bisect::specimen_shift_nm(10.0, -3.0, 2.0, axis);
    EXPECT_NEAR(d.x_nm, (10.0 * std::cos(a) - 3.0 * std::sin(a)) * 0.2, 1e-12);
    EXPECT_NEAR(d.y_nm, (-10.0 * std::sin(a) - 3.0 * std::cos(a)) * 0.2, 1e-12);
    const bisect::CameraShiftPx back = bisect::camera_shift_px(d.x_nm, d.y_nm, 2.0, axis);
    EXPECT_NEAR(back.x_px, 10.0, 1e-12);
    EXPECT_NEAR(back.y_px, -3.0, 1e-12);
  }
  // Content moved along the axis direction reads as +X only.
  const bisect::SpecimenShiftNm along = bisect::specimen_shift_nm(0.0, 5.0, 4.0, 90.0);
  EXPECT_NEAR(along.x_nm, 2.0, 1e-12);
  EXPECT_NEAR(along.y_nm, 0.0, 1e-12);

  // Cross-check with the renderer: a bead 50 nm along the axis and 30 nm across from the view
  // centre, found in the image, converts back to (50, 30) nm.
  bisect::SpecimenParams p;
  p.texture_rms = 0, p.hole_diameter_um = 0, p.beads_per_um2 = 0, p.bead_diameter_nm = 20;
  p.extra_beads = {{0.05, 0.03}};
  RenderView v;
  v.nx = v.ny = 256, v.pixel_size_A = 8.0, v.axis_from_x_deg = -5.0, v.poisson_noise = false;
  const cspt::Image im = bisect::render(Specimen(p), v);
  double sw = 0, sx = 0, sy = 0;
  for (int y = 0; y < 256; ++y)
    for (int x = 0; x < 256; ++x) {
      const double w = im.at(0, 0) - im.at(x, y);
      if (w > 0.1 * im.at(0, 0)) sw += w, sx += w * x, sy += w * y;
    }
  const bisect::SpecimenShiftNm found = bisect::specimen_shift_nm(sx / sw - 128, sy / sw - 128, 8.0, -5.0);
  EXPECT_NEAR(found.x_nm, 50.0, 0.1);
  EXPECT_NEAR(found.y_nm, 30.0, 0.1);
}

TEST(ImageAlignTest, pure_noise_does_not_align) {
  bisect::SpecimenParams p;
  p.texture_rms = 0, p.hole_diameter_um = 0, p.beads_per_um2 = 0;
  const Specimen nothing(p);
  const cspt::Image a = bisect::render(nothing, view_of(0, 0, 0, 0, 0, 21));
  const cspt::Image b = bisect::render(nothing, view_of(0, 0, 30, 0, 0, 22));
  const AlignResult r = bisect::align_pair(a, 0.0, b, 30.0, kAxisDeg);
  EXPECT_LT(r.psr, 1.5);
  EXPECT_LT(std::abs(r.cc_peak), 0.05);
}

// ---- series reference ----------------------------------------------------------------------------

struct Tilt {
  double tilt_deg, sx, sy;
};

cspt::Image render_binned_tilt(const Specimen& s, const Tilt& t, std::uint64_t seed) {
  return bisect::render_binned(s, view_of(kX0, kY0, t.tilt_deg, t.sx, t.sy, seed), 2);
}

SeriesReference build_reference(const Specimen& s, double ref_tilt_deg, const std::vector<Tilt>& tilts) {
  SeriesReference ref(kSize, kSize, kAxisDeg, ref_tilt_deg);
  std::uint64_t seed = 100;
  for (const Tilt& t : tilts)
    ref.add_binned(render_binned_tilt(s, t, seed++), t.tilt_deg, t.sx, t.sy, std::cos(t.tilt_deg * kPi / 180));
  return ref;
}

// Five tilts of a dose-symmetric start with known shifts, accumulated at θ0 = 0 (built once).
const SeriesReference& five_tilt_reference() {
  static const SeriesReference ref = build_reference(
      Specimen(), 0.0, {{0, 0, 0}, {3, 12.5, -7.0}, {-3, -20.0, 4.5}, {6, 31.0, 9.0}, {-6, -8.0, -26.0}});
  return ref;
}

TEST(SeriesReferenceTest, aligns_new_tilts_to_the_whole_series) {
  const Specimen s;
  const SeriesReference& ref = five_tilt_reference();
  EXPECT_FALSE(ref.empty());
  EXPECT_EQ(ref.binning(), 2);
  EXPECT_EQ(ref.state().count, 5);
  for (const Tilt& t : {Tilt{9, -17.2, 28.9}, Tilt{-42, 40.0, -15.0}}) {
    const AlignResult r = ref.align_binned(render_binned_tilt(s, t, 7), t.tilt_deg);
    EXPECT_NEAR(r.shift_x_px, t.sx, 1.0) << t.tilt_deg;  // 0.5 binned pixel (measured: < 0.06)
    EXPECT_NEAR(r.shift_y_px, t.sy, 1.0) << t.tilt_deg;
    EXPECT_GT(r.psr, 2.0) << t.tilt_deg;
  }
}

TEST(SeriesReferenceTest, a_new_image_less_tilted_than_the_reference_tilt) {
  const Specimen s;
  const SeriesReference ref = build_reference(s, 30.0, {{30, 5.0, 5.0}, {33, -11.0, 3.0}});
  const Tilt t{10, 14.4, -22.1};
  const AlignResult r = ref.align_binned(render_binned_tilt(s, t, 8), t.tilt_deg);
  EXPECT_NEAR(r.shift_x_px, t.sx, 1.0);
  EXPECT_NEAR(r.shift_y_px, t.sy, 1.0);
}

TEST(SeriesReferenceTest, restored_state_gives_identical_bits) {
  const Specimen s;
  SeriesReference live = five_tilt_reference();
  // Persist as a restarted tracker would: float pixels, the weight sum, the count.
  const SeriesReference::State& st = live.state();
  const std::vector<float> stored(st.sum_binned.values());
  SeriesReference::State loaded;
  loaded.sum_binned = cspt::Image(st.sum_binned.nx(), st.sum_binned.ny());
  loaded.sum_binned.values() = stored;
  loaded.weight_sum = st.weight_sum, loaded.count = st.count;
  SeriesReference restarted(kSize, kSize, kAxisDeg, 0.0, AlignFilter{}, loaded);

  const Tilt t{9, -17.2, 28.9};
  const cspt::Image next = render_binned_tilt(s, t, 7);
  EXPECT_TRUE(same_bits(live.align_binned(next, 9), restarted.align_binned(next, 9)));
  live.add_binned(next, 9, t.sx, t.sy, 0.9);
  restarted.add_binned(next, 9, t.sx, t.sy, 0.9);
  const cspt::Image after = render_binned_tilt(s, {-9, 3, 3}, 8);
  EXPECT_TRUE(same_bits(live.align_binned(after, -9), restarted.align_binned(after, -9)));

  SeriesReference later(kSize, kSize, kAxisDeg, 0.0);
  later.restore(live.state());
  EXPECT_TRUE(same_bits(live.align_binned(after, -9), later.align_binned(after, -9)));
}

TEST(SeriesReferenceTest, concurrent_objects_give_the_serial_results) {
  const Specimen s;
  const SeriesReference& a = five_tilt_reference();
  const SeriesReference b = a;
  const cspt::Image img = render_binned_tilt(s, {6, 10, -10}, 9);
  const AlignResult serial = a.align_binned(img, 6);
  std::vector<AlignResult> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] { results[std::size_t(i)] = (i % 2 ? a : b).align_binned(img, 6); });
  for (auto& th : threads) th.join();
  for (const AlignResult& r : results) EXPECT_TRUE(same_bits(r, serial));
}

TEST(SeriesReferenceTest, raw_float_and_prebinned_inputs_agree) {
  const SeriesReference& ref = five_tilt_reference();
  const cspt::Image counts = bisect::render(Specimen(), view_of(kX0, kY0, 12, -9.0, 14.0, 31));
  const std::vector<std::uint16_t> raw = bisect::to_uint16(counts);
  const AlignResult from_raw = ref.align(raw.data(), kSize, kSize, 12);
  EXPECT_TRUE(same_bits(from_raw, ref.align(counts, 12)));
  EXPECT_TRUE(same_bits(from_raw, ref.align_binned(bisect::bin_image(raw.data(), kSize, kSize, 2), 12)));
  EXPECT_NEAR(from_raw.shift_x_px, -9.0, 1.0);
  EXPECT_NEAR(from_raw.shift_y_px, 14.0, 1.0);
}

TEST(SeriesReferenceTest, bad_use_names_the_field) {
  SeriesReference ref(kSize, kSize, kAxisDeg, 0.0);
  EXPECT_TRUE(ref.empty());
  try {
    ref.align_binned(cspt::Image(512, 512), 3.0);
    FAIL();
  } catch (const cspt::Error& e) {
    EXPECT_EQ(e.field(), "count");
  }
  try {
    ref.add(cspt::Image(1000, 1024), 0.0, 0, 0, 1.0);
    FAIL();
  } catch (const cspt::ConfigError& e) {
    EXPECT_EQ(e.field(), "image size");
  }
  try {
    ref.add_binned(cspt::Image(512, 512), 0.0, 0, 0, 0.0);
    FAIL();
  } catch (const cspt::ConfigError& e) {
    EXPECT_EQ(e.field(), "weight");
  }
  AlignFilter f;
  f.pad_factor = 0.5;
  try {
    SeriesReference bad(kSize, kSize, kAxisDeg, 0.0, f);
    FAIL();
  } catch (const cspt::ConfigError& e) {
    EXPECT_EQ(e.field(), "pad_factor");
  }
  try {
    SeriesReference bad(kSize, kSize, kAxisDeg, 95.0);
    FAIL();
  } catch (const cspt::ConfigError& e) {
    EXPECT_EQ(e.field(), "reference_tilt_deg");
  }
}

// ---- binning ------------------------------------------------------------------------------------

TEST(ImageAlignTest, binning_factor_is_the_smallest_that_fits) {
  EXPECT_EQ(bisect::binning_factor(4096, 4096, 512), 8);
  EXPECT_EQ(bisect::binning_factor(3838, 3710, 512), 8);
  EXPECT_EQ(bisect::binning_factor(1024, 1024, 512), 2);
  EXPECT_EQ(bisect::binning_factor(512, 100, 512), 1);
  EXPECT_EQ(bisect::binning_factor(100, 513, 512), 2);
}

TEST(ImageAlignTest, uint16_and_float_binning_agree_with_block_sums) {
  const int nx = 1001, ny = 777, f = 3;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> dist(0, 65535);
  std::vector<std::uint16_t> raw(std::size_t(nx) * ny);
  for (auto& v : raw) v = std::uint16_t(dist(rng));
  const std::vector<float> as_float(raw.begin(), raw.end());
  const cspt::Image bu = bisect::bin_image(raw.data(), nx, ny, f, 2.0);
  const cspt::Image bf = bisect::bin_image(as_float.data(), nx, ny, f, 2.0);
  ASSERT_EQ(bu.nx(), 333);
  ASSERT_EQ(bu.ny(), 259);
  EXPECT_DOUBLE_EQ(bu.pixel_size_A(), 6.0);
  EXPECT_EQ(bu.values(), bf.values());
  for (int y : {0, 100, 258})
    for (int x : {0, 57, 332}) {
      double sum = 0;
      for (int j = 0; j < f; ++j)
        for (int i = 0; i < f; ++i) sum += raw[std::size_t(y * f + j) * nx + std::size_t(x * f + i)];
      EXPECT_EQ(bu.at(x, y), float(sum));
    }
}

TEST(ImageAlignTest, binned_mrc_read_equals_binning_in_memory) {
  const int nx = 640, ny = 480, f = 4;
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> dist(0, 4000);
  std::vector<std::uint16_t> raw(std::size_t(nx) * ny);
  for (auto& v : raw) v = std::uint16_t(dist(rng));
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid());
  const std::string mode6 = (dir / ("bisect_align_u16_" + tag + ".mrc")).string();
  const std::string mode2 = (dir / ("bisect_align_f32_" + tag + ".mrc")).string();
  cspt::io::write_mrc_image_uint16(mode6, raw.data(), nx, ny, 5.0);
  cspt::Image as_float(nx, ny, 5.0);
  std::copy(raw.begin(), raw.end(), as_float.data());
  cspt::io::write_mrc_stack(mode2, {as_float});
  const cspt::Image expected = bisect::bin_image(raw.data(), nx, ny, f, 5.0);
  for (const std::string& path : {mode6, mode2}) {
    const cspt::Image got = bisect::read_binned_mrc_section(path, 0, f);
    EXPECT_EQ(got.values(), expected.values()) << path;
    EXPECT_NEAR(got.pixel_size_A(), 20.0, 1e-4) << path;
  }
  EXPECT_THROW(bisect::read_binned_mrc_section(mode6, 1, f), cspt::IoError);
  std::filesystem::remove(mode6);
  std::filesystem::remove(mode2);
}

}  // namespace
