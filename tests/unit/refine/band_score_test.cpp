// The band score against exact projections of Gaussian atoms (not the projector under test): it
// peaks at the true orientation and at the true shift with RELION's origin sign, falls with
// orientation error, and turns negative with the CTF sign flipped.
#include "cspt/refine/band_score.hpp"

#include <gtest/gtest.h>

#include "cspt/core/euler.hpp"
#include "cspt/fft/transforms.hpp"
#include "cspt/recon/projector.hpp"
#include "cspt/refine/refine_model.hpp"
#include "phantom.hpp"

namespace cspt {
namespace {

constexpr int kBox = 64;
constexpr double kPx = 2.0;

// The exact projection multiplied by the CTF (our sign: protein dark at low frequency).
Image with_ctf(const Image& im, const CtfParams& ctf) {
  FourierImage f = fft::forward(im);
  const CtfEvaluator eval(ctf);
  for (int row = 0; row < f.ny(); ++row)
    for (int kx = 0; kx < f.nx_half(); ++kx) {
      const double sx = kx / (kBox * kPx), sy = f.frequency(row) / (kBox * kPx);
      f.at(kx, row) *= float(eval(sx, sy));
    }
  return fft::inverse(f);
}

struct Fixture {
  std::vector<test::GaussianAtom> atoms = test::random_phantom(150, 36.0, 5);
  Projector projector{test::phantom_map(atoms, kBox, kPx), 2};
  FourierBand band = make_fourier_band(kBox, kPx, 100.0, 6.0);
  CtfParams ctf;
  Fixture() {
    // Little defocus: the CTF's delocalisation (lambda * defocus * s, 16 A at 6 A) stays inside the
    // mask, so the masked image still matches its model.
    ctf.defocus_u_A = 5000;
    ctf.defocus_v_A = 4500;
    ctf.defocus_angle_deg = 30;
  }
  double score(const Image& image, const Eigen::Matrix3d& a, double sx, double sy, const CtfParams& c) {
    BandImagePreparer prep(band, 56.0, 6.0);
    BandImage prepared;
    prep.prepare(image.data(), prepared);
    std::vector<float> ctf_w(band.size());
    band_ctf_over_sigma(band, c, prepared, ctf_w.data());
    std::vector<std::complex<float>> slice(band.size());
    projector.project_at(a, band.kx, band.ky, slice.data());
    BandScoreScratch scratch;
    return band_score(band, prepared, ctf_w.data(), slice.data(), sx, sy, scratch);
  }
};

TEST(BandScoreTest, peaks_at_the_true_pose_with_relion_shift_sign) {
  Fixture f;
  const Eigen::Matrix3d a = matrix_from_euler_zyz({40, 70, 110});
  const Image image = with_ctf(test::phantom_projection(f.atoms, kBox, kPx, a, 4.0, -3.0), f.ctf);
  const double at_truth = f.score(image, a, 4.0, -3.0, f.ctf);
  EXPECT_GT(at_truth, 0.95);
  EXPECT_LT(f.score(image, a, -4.0, 3.0, f.ctf), at_truth - 0.3);  // origin sign flipped
  EXPECT_LT(f.score(image, a, 5.0, -3.0, f.ctf), at_truth);         // 1 A off
  const Eigen::Matrix3d off3 = rotation_from_vector_deg({0, 3, 0}) * a;
  const Eigen::Matrix3d off10 = rotation_from_vector_deg({0, 10, 0}) * a;
  const double s3 = f.score(image, off3, 4.0, -3.0, f.ctf), s10 = f.score(image, off10, 4.0, -3.0, f.ctf);
  EXPECT_LT(s3, at_truth);
  EXPECT_LT(s10, s3);
  EXPECT_LT(f.score(image, a.transpose(), 4.0, -3.0, f.ctf), 0.5);  // A^T is not the same projection
  std::printf("[ info     ] score at truth %.4f, 3 deg off %.4f, 10 deg off %.4f\n", at_truth, s3, s10);
}

TEST(BandScoreTest, ctf_sign_and_defocus_matter) {
  Fixture f;
  const Eigen::Matrix3d a = matrix_from_euler_zyz({10, 50, 200});
  const Image image = with_ctf(test::phantom_projection(f.atoms, kBox, kPx, a), f.ctf);
  const double right = f.score(image, a, 0, 0, f.ctf);
  // CTF -> -CTF (the other sign convention) is the same as inverting the image's contrast.
  Image inverted = image;
  for (float& v : inverted.values()) v = -v;
  EXPECT_LT(f.score(inverted, a, 0, 0, f.ctf), -0.9);
  CtfParams far = f.ctf;
  far.defocus_u_A += 3000;
  far.defocus_v_A += 3000;
  EXPECT_LT(f.score(image, a, 0, 0, far), right - 0.3);
}

TEST(BandScoreTest, noise_alone_scores_near_zero) {
  Fixture f;
  Image noise(kBox, kBox, kPx);
  std::uint64_t state = 12345;
  for (float& v : noise.values()) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    v = float((state >> 11) * (1.0 / 9007199254740992.0) - 0.5);
  }
  const double s = f.score(noise, matrix_from_euler_zyz({0, 30, 0}), 0, 0, f.ctf);
  EXPECT_LT(std::abs(s), 0.1);
}

// The shift map is band_score at every whole-pixel shift change (one inverse FFT instead of box^2
// scores), and on a particle 30 A from where its pose puts it the map's peak is the true shift.
TEST(BandScoreTest, shift_map_equals_the_score_at_every_whole_pixel_shift_and_finds_a_far_particle) {
  Fixture f;
  const Eigen::Matrix3d a = matrix_from_euler_zyz({40, 70, 110});
  const double true_sx = 24.0, true_sy = -18.0;  // the particle sits at -s from the box centre
  const Image image = with_ctf(test::phantom_projection(f.atoms, kBox, kPx, a, true_sx, true_sy), f.ctf);
  BandImagePreparer prep(f.band, 56.0, 6.0);
  BandImage prepared;
  prep.prepare(image.data(), prepared);
  std::vector<float> ctf_w(f.band.size());
  band_ctf_over_sigma(f.band, f.ctf, prepared, ctf_w.data());
  std::vector<std::complex<float>> slice(f.band.size());
  f.projector.project_at(a, f.band.kx, f.band.ky, slice.data());
  BandScoreScratch scratch;
  const double s0x = 1.8, s0y = -0.2;  // the current shift, not a whole pixel
  std::vector<float> map(std::size_t(kBox) * kBox);
  band_score_shift_map(f.band, prepared, ctf_w.data(), slice.data(), s0x, s0y, scratch, map.data());
  const auto at = [&](int dx, int dy) { return map[std::size_t((dy + kBox) % kBox) * kBox + std::size_t((dx + kBox) % kBox)]; };
  double worst = 0.0;
  for (int dy : {-31, -12, -1, 0, 1, 7, 31})
    for (int dx : {-31, -9, -1, 0, 1, 5, 31}) {
      const double direct = band_score(f.band, prepared, ctf_w.data(), slice.data(), s0x + dx * kPx, s0y + dy * kPx, scratch);
      worst = std::max(worst, std::abs(direct - at(dx, dy)));
    }
  EXPECT_LT(worst, 2e-5);
  int best_x = 0, best_y = 0;
  for (int dy = -kBox / 2 + 1; dy < kBox / 2; ++dy)
    for (int dx = -kBox / 2 + 1; dx < kBox / 2; ++dx)
      if (at(dx, dy) > at(best_x, best_y)) best_x = dx, best_y = dy;
  // s0 + d nearest the truth: (truth - s0) / px = (11.1, -8.9), 0.1 px from the whole pixel (11, -9), so
  // the sampled peak is there whatever the compiler's rounding (at 0.35 px it was not: clang found -8).
  EXPECT_EQ(best_x, 11);
  EXPECT_EQ(best_y, -9);
  EXPECT_GT(at(best_x, best_y), 0.5);
  EXPECT_LT(at(0, 0), 0.2);  // at the current shift, 30 A off, the particle hardly scores
}

}  // namespace
}  // namespace cspt
