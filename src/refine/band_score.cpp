// Preparation of particle projections for scoring, and the band score itself.
#include "cspt/refine/band_score.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace cspt {

BandImagePreparer::BandImagePreparer(const FourierBand& band, double mask_radius_A, double mask_edge_A)
    : band_(&band),
      box_(band.box_px),
      mask_(std::size_t(band.box_px) * band.box_px),
      real_(std::size_t(band.box_px) * band.box_px),
      spectrum_(std::size_t(band.box_px) * (band.box_px / 2 + 1)),
      plan_(&fft::cached_forward_plan(band.box_px, band.box_px)) {
  const double c = box_ / 2, px = band.pixel_size_A;
  for (int y = 0; y < box_; ++y)
    for (int x = 0; x < box_; ++x) {
      const double r = std::hypot(x - c, y - c) * px;
      double v = 0.0;
      if (r <= mask_radius_A) v = 1.0;
      else if (mask_edge_A > 0 && r < mask_radius_A + mask_edge_A)
        v = 0.5 * (1.0 + std::cos(std::numbers::pi * (r - mask_radius_A) / mask_edge_A));
      mask_[std::size_t(y) * box_ + x] = float(v);
    }
}

void BandImagePreparer::prepare(const float* image, BandImage& out) {
  const std::size_t n = std::size_t(box_) * box_;
  // Subtract the mean under the mask so the soft edge does not print the mask itself.
  double sw = 0.0, swx = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sw += mask_[i];
    swx += double(mask_[i]) * image[i];
  }
  const float mean = sw > 0 ? float(swx / sw) : 0.0f;
  for (std::size_t i = 0; i < n; ++i) real_[i] = (image[i] - mean) * mask_[i];
  plan_->execute(real_.data(), spectrum_.data());

  // Noise power per shell over the whole half plane (shells up to the band's top).
  const int nxh = box_ / 2 + 1, top = band_->shell_hi;
  std::vector<double> power(std::size_t(top) + 1, 0.0);
  std::vector<int> count(std::size_t(top) + 1, 0);
  for (int row = 0; row < box_; ++row) {
    const int ky = row < (box_ + 1) / 2 ? row : row - box_;
    for (int kx = 0; kx < nxh; ++kx) {
      const int s = int(std::lround(std::sqrt(double(kx * kx + ky * ky))));
      if (s > top) continue;
      power[std::size_t(s)] += std::norm(spectrum_[std::size_t(row) * nxh + kx]);
      ++count[std::size_t(s)];
    }
  }
  double floor = 0.0;
  for (int s = band_->shell_lo; s <= top; ++s) floor = std::max(floor, power[std::size_t(s)] / std::max(1, count[std::size_t(s)]));
  floor *= 1e-12;
  const std::size_t m = band_->size();
  out.x.resize(m);
  out.inv_sigma.resize(m);
  double norm2 = 0.0;
  for (std::size_t i = 0; i < m; ++i) {
    const std::size_t s = std::size_t(band_->shell[i]);
    const double var = std::max(floor, power[s] / std::max(1, count[s]));
    const float inv = var > 0 ? float(1.0 / std::sqrt(var)) : 0.0f;
    // Origin from pixel 0 to the box centre: multiply by exp(2 pi i k (box/2) / box) = (-1)^(kx+ky).
    const float sign = ((band_->kx[i] + band_->ky[i]) & 1) ? -1.0f : 1.0f;
    const std::complex<float> v = spectrum_[std::size_t(band_->half_plane[i])] * (sign * inv);
    out.x[i] = v;
    out.inv_sigma[i] = inv;
    norm2 += std::norm(v);
  }
  out.x_norm2 = norm2;
}

void band_ctf_over_sigma(const FourierBand& band, const CtfParams& ctf, const BandImage& image, float* out) {
  const CtfEvaluator eval(ctf);
  const double f = 1.0 / (band.box_px * band.pixel_size_A);
  for (std::size_t i = 0; i < band.size(); ++i) out[i] = float(eval(band.kx[i] * f, band.ky[i] * f)) * image.inv_sigma[i];
}

namespace {

template <bool kShells>
double score_impl(const FourierBand& band, const BandImage& image, const float* ctf_over_sigma,
                  const std::complex<float>* slice, double shift_x_A, double shift_y_A, BandScoreScratch& scratch,
                  double* shell_num, double* shell_xx, double* shell_mm) {
  const int box = band.box_px, half = box / 2;
  const double two_pi_over_n = 2.0 * std::numbers::pi / box;
  const double sx = shift_x_A / band.pixel_size_A, sy = shift_y_A / band.pixel_size_A;
  // Phase tables by recurrence in double: exp(i a k) for k = 0..half and ky = -half..half.
  scratch.phase_x.resize(std::size_t(half) + 1);
  scratch.phase_y.resize(std::size_t(box) + 1);
  {
    const std::complex<double> step = std::polar(1.0, two_pi_over_n * sx);
    std::complex<double> v = 1.0;
    for (int k = 0; k <= half; ++k, v *= step) scratch.phase_x[std::size_t(k)] = std::complex<float>(v);
    const std::complex<double> stepy = std::polar(1.0, two_pi_over_n * sy);
    std::complex<double> up = 1.0, down = 1.0;
    for (int k = 0; k <= half; ++k) {
      scratch.phase_y[std::size_t(half + k)] = std::complex<float>(up);
      scratch.phase_y[std::size_t(half - k)] = std::complex<float>(down);
      up *= stepy;
      down *= std::conj(stepy);
    }
  }
  const std::complex<float>* px = scratch.phase_x.data();
  const std::complex<float>* py = scratch.phase_y.data() + half;
  const std::complex<float>* x = image.x.data();
  const int* kx = band.kx.data();
  const int* ky = band.ky.data();
  double num = 0.0, mm = 0.0;
  const std::size_t n = band.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::complex<float> m = slice[i] * (px[kx[i]] * py[ky[i]]) * ctf_over_sigma[i];
    const double xm = double(x[i].real() * m.real() + x[i].imag() * m.imag());
    const double m2 = double(m.real() * m.real() + m.imag() * m.imag());
    num += xm;
    mm += m2;
    if constexpr (kShells) {
      const std::size_t s = std::size_t(band.shell[i] - band.shell_lo);
      shell_num[s] += xm;
      shell_mm[s] += m2;
      shell_xx[s] += double(std::norm(x[i]));
    }
  }
  if (!(mm > 0) || !(image.x_norm2 > 0)) return 0.0;
  return num / std::sqrt(mm * image.x_norm2);
}

}  // namespace

double band_score(const FourierBand& band, const BandImage& image, const float* ctf_over_sigma,
                  const std::complex<float>* slice, double shift_x_A, double shift_y_A, BandScoreScratch& scratch) {
  return score_impl<false>(band, image, ctf_over_sigma, slice, shift_x_A, shift_y_A, scratch, nullptr, nullptr, nullptr);
}

double band_score_by_shell(const FourierBand& band, const BandImage& image, const float* ctf_over_sigma,
                           const std::complex<float>* slice, double shift_x_A, double shift_y_A,
                           BandScoreScratch& scratch, double* num, double* xx, double* mm) {
  return score_impl<true>(band, image, ctf_over_sigma, slice, shift_x_A, shift_y_A, scratch, num, xx, mm);
}

void band_score_shift_map(const FourierBand& band, const BandImage& image, const float* ctf_over_sigma,
                          const std::complex<float>* slice, double shift_x_A, double shift_y_A,
                          BandScoreScratch& scratch, float* out) {
  const int box = band.box_px, nxh = box / 2 + 1;
  const std::size_t n_half = std::size_t(box) * nxh, n_real = std::size_t(box) * box;
  if (scratch.half_plane.size() != n_half) scratch.half_plane = fft::AlignedBuffer<std::complex<float>>(n_half);
  if (scratch.map.size() != n_real) scratch.map = fft::AlignedBuffer<float>(n_real);
  // The products q = x conj(M(s0)) with M(s0) the model at the current shift; the score at s0 + d
  // is sum Re(q exp(-2 pi i k.d / box)) / norm. With Y = conj(q) on the band's half plane (and its
  // Hermitian mirror on the kx = 0 column) the inverse FFT gives sum Y exp(+2 pi i k.d / box) over
  // the full plane = 2 Re sum_band q exp(-2 pi i k.d / box).
  std::complex<float>* y = scratch.half_plane.data();
  std::fill(y, y + n_half, std::complex<float>(0.0f, 0.0f));
  const double two_pi_over_n = 2.0 * std::numbers::pi / box;
  const double sx = shift_x_A / band.pixel_size_A, sy = shift_y_A / band.pixel_size_A;
  double mm = 0.0;
  for (std::size_t i = 0; i < band.size(); ++i) {
    const int kx = band.kx[i], ky = band.ky[i];
    const std::complex<double> phase = std::polar(1.0, two_pi_over_n * (kx * sx + ky * sy));
    const std::complex<double> m = std::complex<double>(slice[i]) * phase * double(ctf_over_sigma[i]);
    mm += std::norm(m);
    const std::complex<double> q = std::complex<double>(image.x[i]) * std::conj(m);
    y[band.half_plane[i]] = std::complex<float>(std::conj(q));
    if (kx == 0) y[std::size_t((box - ky) % box) * nxh] = std::complex<float>(q);
  }
  if (!(mm > 0) || !(image.x_norm2 > 0)) {
    std::fill(out, out + n_real, 0.0f);
    return;
  }
  fft::cached_inverse_plan(box, box).execute(y, scratch.map.data());
  const float scale = float(0.5 / std::sqrt(mm * image.x_norm2));
  const float* m = scratch.map.data();
  for (std::size_t i = 0; i < n_real; ++i) out[i] = m[i] * scale;
}

}  // namespace cspt
