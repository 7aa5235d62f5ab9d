// Reconstruction against analytic ground truth: Gaussian-atom phantoms projected in real space.
#include "cspt/recon/reconstruct.hpp"

#include <gtest/gtest.h>

#include <random>

#include "cspt/core/euler.hpp"
#include "cspt/core/symmetry.hpp"
#include "cspt/recon/fsc.hpp"
#include "cspt/recon/mask.hpp"
#include "cspt/util/error.hpp"
#include "memory_image_source.hpp"
#include "phantom.hpp"

namespace cspt {
namespace {

constexpr int kBox = 64;
constexpr double kPixelA = 2.0;

struct Dataset {
  ParticleSet set;
  std::vector<Image> images;
};

// Noise-free analytic projections at uniform orientations with random shifts.
Dataset make_dataset(const std::vector<test::GaussianAtom>& atoms, int n, std::uint64_t seed, double max_shift_A,
                     int box = kBox) {
  Dataset d;
  d.set.pixel_size_A = kPixelA;
  d.set.box_px = box;
  d.set.n_particles = n;
  const auto eulers = test::uniform_orientations(n, seed);
  for (int i = 0; i < n; ++i) {
    Projection p;
    p.rot_deg = eulers[i].rot_deg;
    p.tilt_deg = eulers[i].tilt_deg;
    p.psi_deg = eulers[i].psi_deg;
    p.shift_x_A = max_shift_A * std::sin(1.7 * i);
    p.shift_y_A = max_shift_A * std::cos(2.3 * i);
    p.image.section = i;
    p.particle = i;
    p.half = 1 + i % 2;
    const auto a = matrix_from_euler_zyz({p.rot_deg, p.tilt_deg, p.psi_deg});
    d.images.push_back(test::phantom_projection(atoms, box, kPixelA, a, p.shift_x_A, p.shift_y_A));
    d.set.projections.push_back(p);
  }
  return d;
}

TEST(ReconstructTest, noise_free_projections_reproduce_the_truth_to_0_8_nyquist) {
  const auto atoms = test::random_phantom(250, 40.0, 11);
  const Volume truth = test::phantom_map(atoms, kBox, kPixelA);
  const auto d = make_dataset(atoms, 3000, 5, 3.0);
  test::MemoryImageSource src(d.images);
  ReconstructOptions opts;
  opts.apply_ctf = false;
  opts.threads = 2;
  auto ctx = parallel::make_local_context();
  const Volume mask = soft_sphere_mask(kBox, kPixelA, 55.0, 6.0);
  const auto r = reconstruct_collective(*ctx, d.set, src, opts, mask);
  const auto fsc = fourier_shell_correlation(r.map, truth);
  const int limit = int(0.8 * kBox / 2);
  for (int s = 1; s <= limit; ++s) EXPECT_GE(fsc[s], 0.95) << "shell " << s;
  // Amplitude: the map is on the truth's scale (within 10%) where the signal is strong.
  EXPECT_NEAR(test::correlation(r.map.values(), truth.values()), 1.0, 0.02);
  double peak_map = 0, peak_truth = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    peak_map = std::max(peak_map, double(r.map.data()[i]));
    peak_truth = std::max(peak_truth, double(truth.data()[i]));
  }
  EXPECT_NEAR(peak_map / peak_truth, 1.0, 0.1);
  // Half-maps agree with each other: the gold-standard resolution reaches near Nyquist.
  EXPECT_LT(r.fsc.resolution_A, 2.0 * kPixelA * 1.15);
}

TEST(ReconstructTest, wrong_euler_convention_is_detected) {
  // Negative control: the same images reconstructed with transposed rotations do not match.
  const auto atoms = test::random_phantom(250, 40.0, 11);
  const Volume truth = test::phantom_map(atoms, kBox, kPixelA);
  auto d = make_dataset(atoms, 600, 5, 0.0);
  for (auto& p : d.set.projections) {
    const auto e = euler_zyz_from_matrix(matrix_from_euler_zyz({p.rot_deg, p.tilt_deg, p.psi_deg}).transpose());
    p.rot_deg = e.rot_deg;
    p.tilt_deg = e.tilt_deg;
    p.psi_deg = e.psi_deg;
  }
  test::MemoryImageSource src(d.images);
  ReconstructOptions opts;
  opts.apply_ctf = false;
  auto ctx = parallel::make_local_context();
  const auto r = reconstruct_collective(*ctx, d.set, src, opts, soft_sphere_mask(kBox, kPixelA, 55.0, 6.0));
  const auto fsc = fourier_shell_correlation(r.map, truth);
  EXPECT_LT(fsc[10], 0.5);
}

}  // namespace
}  // namespace cspt

namespace cspt {
namespace {

TEST(ReconstructTest, d3_from_a_sixth_of_the_views_matches_c1_from_all) {
  const auto d3 = point_group("D3");
  const auto atoms = test::random_phantom(40, 40.0, 17, d3.operators);
  const auto all = make_dataset(atoms, 360, 23, 2.0);
  auto ctx = parallel::make_local_context();
  const Volume mask = soft_sphere_mask(kBox, kPixelA, 55.0, 6.0);
  ReconstructOptions opts;
  opts.apply_ctf = false;
  test::MemoryImageSource src_all(all.images);
  const auto c1 = reconstruct_collective(*ctx, all.set, src_all, opts, mask);

  Dataset sixth;
  sixth.set = all.set;
  sixth.set.projections.resize(60);
  sixth.set.n_particles = 60;
  sixth.images.assign(all.images.begin(), all.images.begin() + 60);
  test::MemoryImageSource src_sixth(sixth.images);
  opts.symmetry = "D3";
  const auto sym = reconstruct_collective(*ctx, sixth.set, src_sixth, opts, mask);
  const auto fsc = fourier_shell_correlation(sym.map, c1.map);
  for (int s = 1; s <= int(0.8 * kBox / 2); ++s) EXPECT_GE(fsc[s], 0.99) << "shell " << s;

  // Negative control: the same sixth without symmetry misses most of Fourier space.
  opts.symmetry = "C1";
  const auto thin = reconstruct_collective(*ctx, sixth.set, src_sixth, opts, mask);
  const auto fsc_thin = fourier_shell_correlation(thin.map, c1.map);
  EXPECT_LT(fsc_thin[int(0.8 * kBox / 2)], 0.95);
}

TEST(ReconstructTest, thread_count_changes_nothing_beyond_rounding) {
  const auto atoms = test::random_phantom(150, 40.0, 3);
  const auto d = make_dataset(atoms, 400, 9, 2.0);
  test::MemoryImageSource src(d.images);
  auto ctx = parallel::make_local_context();
  const Volume mask = soft_sphere_mask(kBox, kPixelA, 55.0, 6.0);
  ReconstructOptions opts;
  opts.apply_ctf = false;
  const auto one = reconstruct_collective(*ctx, d.set, src, opts, mask);
  const auto again = reconstruct_collective(*ctx, d.set, src, opts, mask);
  EXPECT_EQ(one.half1.values(), again.half1.values());  // same thread count: identical bits
  opts.threads = 3;
  const auto three = reconstruct_collective(*ctx, d.set, src, opts, mask);
  double diff = 0, ref = 0;
  for (std::size_t i = 0; i < one.map.size(); ++i) {
    diff += std::pow(double(one.map.data()[i]) - three.map.data()[i], 2);
    ref += std::pow(double(one.map.data()[i]), 2);
  }
  EXPECT_LT(std::sqrt(diff / ref), 1e-5);
}

class OddSizes : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(OddSizes, reproduce_the_truth) {
  // Odd boxes and odd padded grids exercise every n/2 and wrap-around in the pipeline.
  const auto [box, pad] = GetParam();
  const auto atoms = test::random_phantom(120, 28.0, 31);
  const Volume truth = test::phantom_map(atoms, box, kPixelA);
  const auto d = make_dataset(atoms, 1500, 3, 2.5, box);
  test::MemoryImageSource src(d.images);
  auto ctx = parallel::make_local_context();
  ReconstructOptions opts;
  opts.apply_ctf = false;
  opts.pad = pad;
  const auto r = reconstruct_collective(*ctx, d.set, src, opts, soft_sphere_mask(box, kPixelA, 40.0, 6.0));
  const auto fsc = fourier_shell_correlation(r.map, truth);
  for (int s = 1; s <= int(0.8 * box / 2); ++s) EXPECT_GE(fsc[s], 0.95) << "shell " << s;
}

INSTANTIATE_TEST_SUITE_P(ReconstructTest, OddSizes,
                         ::testing::Values(std::pair{49, 2}, std::pair{50, 3}, std::pair{49, 3}, std::pair{48, 1}));

TEST(ReconstructTest, frequency_weights_scale_each_projection_per_shell) {
  const auto atoms = test::random_phantom(150, 40.0, 3);
  const Volume truth = test::phantom_map(atoms, kBox, kPixelA);
  auto d = make_dataset(atoms, 800, 9, 1.0);
  auto ctx = parallel::make_local_context();
  const Volume mask = soft_sphere_mask(kBox, kPixelA, 55.0, 6.0);
  ReconstructOptions opts;
  opts.apply_ctf = false;
  test::MemoryImageSource clean(d.images);
  const auto plain = reconstruct_collective(*ctx, d.set, clean, opts, mask);

  // A weight that is the same for every projection cancels between numerator and denominator.
  d.set.frequency_weights = {std::vector<float>(kBox, 0.5f)};
  for (auto& p : d.set.projections) p.weight_table = 0;
  const auto halved = reconstruct_collective(*ctx, d.set, clean, opts, mask);
  EXPECT_GT(test::correlation(halved.half1.values(), plain.half1.values()), 1.0 - 1e-6);

  // Weight 0 beyond shell 12 removes everything beyond it.
  std::vector<float> lowpass(kBox, 1.0f);
  for (int s = 13; s < kBox; ++s) lowpass[s] = 0.0f;
  d.set.frequency_weights = {lowpass};
  const auto cut = reconstruct_collective(*ctx, d.set, clean, opts, mask);
  const auto f = fourier_shell_correlation(cut.half1, truth);
  EXPECT_GT(f[10], 0.95);
  EXPECT_LT(std::abs(f[20]), 0.2);

  // Down-weighting the projections that are mostly noise gives a better map than weighting all alike:
  // what exposure weighting relies on.
  std::vector<Image> noisy = d.images;
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0.0f, 3.0f);
  for (std::size_t i = 0; i < noisy.size(); i += 2)
    for (float& x : noisy[i].values()) x += g(rng);
  test::MemoryImageSource mixed(noisy);
  d.set.frequency_weights = {std::vector<float>(kBox, 1.0f), std::vector<float>(kBox, 0.02f)};
  for (std::size_t i = 0; i < d.set.projections.size(); ++i) d.set.projections[i].weight_table = 0;
  const auto equal = reconstruct_collective(*ctx, d.set, mixed, opts, mask);
  for (std::size_t i = 0; i < d.set.projections.size(); i += 2) d.set.projections[i].weight_table = 1;
  const auto weighted = reconstruct_collective(*ctx, d.set, mixed, opts, mask);
  const auto fe = fourier_shell_correlation(equal.map, truth), fw = fourier_shell_correlation(weighted.map, truth);
  EXPECT_GT(fw[20], fe[20] + 0.05);
}

TEST(ReconstructTest, max_resolution_limits_the_map) {
  const auto atoms = test::random_phantom(150, 40.0, 3);
  const auto d = make_dataset(atoms, 400, 9, 0.0);
  test::MemoryImageSource src(d.images);
  auto ctx = parallel::make_local_context();
  ReconstructOptions opts;
  opts.apply_ctf = false;
  opts.max_resolution_A = 10.0;  // shell 64 * 2 / 10 = 12.8
  const auto r = reconstruct_collective(*ctx, d.set, src, opts, soft_sphere_mask(kBox, kPixelA, 55.0, 6.0));
  const auto truth = test::phantom_map(atoms, kBox, kPixelA);
  const auto f = fourier_shell_correlation(r.half1, truth);
  EXPECT_GT(f[10], 0.9);
  EXPECT_LT(std::abs(f[20]), 0.1);
}

}  // namespace
}  // namespace cspt

namespace cspt {
namespace {

double relative_rms_difference(const Volume& a, const Volume& b) {
  double diff = 0, ref = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += std::pow(double(a.data()[i]) - b.data()[i], 2);
    ref += std::pow(double(a.data()[i]), 2);
  }
  return std::sqrt(diff / ref);
}

// Slab insertion (compact grids, points routed by plane) must give the full grids' maps: same sums,
// only the order of additions differs. Odd sizes, a radius limit, symmetry and threads included.
TEST(ReconstructTest, every_insertion_mode_gives_the_full_grids_maps) {
  const auto atoms = test::random_phantom(120, 28.0, 41);
  struct Case {
    int box, pad, threads;
    double maxres_A;
    const char* sym;
  };
  for (const Case c : {Case{48, 2, 1, 0.0, "C1"}, Case{45, 2, 2, 0.0, "C1"}, Case{40, 3, 1, 9.0, "D3"}}) {
    const auto d = make_dataset(atoms, 700, 17, 2.0, c.box);
    test::MemoryImageSource src(d.images);
    auto ctx = parallel::make_local_context();
    const Volume mask = soft_sphere_mask(c.box, kPixelA, 0.4 * c.box * kPixelA, 6.0);
    ReconstructOptions opts;
    opts.apply_ctf = false;
    opts.pad = c.pad;
    opts.threads = c.threads;
    opts.max_resolution_A = c.maxres_A;
    opts.symmetry = c.sym;
    opts.insertion = InsertionMode::full_grids;
    const auto full = reconstruct_collective(*ctx, d.set, src, opts, mask);
    EXPECT_EQ(full.insertion, InsertionMode::full_grids);
    for (auto mode : {InsertionMode::send_to_owners, InsertionMode::own_slab}) {
      opts.insertion = mode;
      const auto slab = reconstruct_collective(*ctx, d.set, src, opts, mask);
      SCOPED_TRACE(std::string(insertion_mode_name(mode)) + " box " + std::to_string(c.box));
      EXPECT_EQ(slab.insertion, mode);
      EXPECT_LT(relative_rms_difference(full.half1, slab.half1), 1e-5);
      EXPECT_LT(relative_rms_difference(full.half2, slab.half2), 1e-5);
      EXPECT_LT(relative_rms_difference(full.map, slab.map), 1e-5);
      EXPECT_NEAR(full.fsc.resolution_A, slab.fsc.resolution_A, 1e-6);
    }
  }
}

TEST(ReconstructTest, insertion_mode_names_round_trip_and_bad_names_are_refused) {
  for (auto m : {InsertionMode::automatic, InsertionMode::full_grids, InsertionMode::send_to_owners,
                 InsertionMode::own_slab})
    EXPECT_EQ(parse_insertion_mode(insertion_mode_name(m), "insertion"), m);
  try {
    parse_insertion_mode("slabs", "insertion");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("one of auto, full-grids, send-to-owners, own-slab"), std::string::npos);
  }
}

}  // namespace
}  // namespace cspt
