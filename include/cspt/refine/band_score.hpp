// The refinement score of one projection against one reference slice: a normalised, CTF-modulated,
// noise-whitened correlation over a band of Fourier shells (algorithms.md 5.3, evaluate-only).
#pragma once

#include <complex>
#include <vector>

#include "cspt/core/ctf.hpp"
#include "cspt/fft/plan.hpp"
#include "cspt/refine/fourier_band.hpp"

namespace cspt {

/// A particle projection prepared for scoring on a band: the transform of the masked image with its
/// origin moved to the box centre, divided by the noise amplitude of its shell (the image's own
/// rotational power average, as cisTEM whitens particles).
struct BandImage {
  std::vector<std::complex<float>> x;  ///< X / sigma per band sample
  std::vector<float> inv_sigma;        ///< 1 / sigma per band sample
  double x_norm2 = 0.0;                ///< sum of |x|^2 over the band
};

/// Turns particle boxes into BandImages. One per thread (it owns FFT buffers).
class BandImagePreparer {
 public:
  /// `mask_radius_A`/`mask_edge_A`: soft circular mask applied around the box centre before the FFT.
  BandImagePreparer(const FourierBand& band, double mask_radius_A, double mask_edge_A);
  /// `image`: box x box floats, x fastest (our contrast: protein dark).
  void prepare(const float* image, BandImage& out);

 private:
  const FourierBand* band_;
  int box_;
  std::vector<float> mask_;
  fft::AlignedBuffer<float> real_;
  fft::AlignedBuffer<std::complex<float>> spectrum_;
  const fft::RealToComplex* plan_;
};

/// CTF / sigma at the band samples of `image` (our sign convention), for band_score's model.
void band_ctf_over_sigma(const FourierBand& band, const CtfParams& ctf, const BandImage& image, float* out);

/// Per-thread scratch for band_score (phase tables) and band_score_shift_map (FFT buffers).
struct BandScoreScratch {
  std::vector<std::complex<float>> phase_x, phase_y;
  fft::AlignedBuffer<std::complex<float>> half_plane;
  fft::AlignedBuffer<float> map;
};

/// The score of one projection: the model M = (CTF/sigma) * slice * exp(2 pi i k.s / box), where the
/// shift s = (shift_x_A, shift_y_A) / pixel follows RELION's origin convention (the particle sits at
/// -s from the box centre), correlated with the whitened image:
///   S = sum Re(x conj M) / sqrt(sum |x|^2 * sum |M|^2)   over the band, in [-1, 1].
/// Returns 0 when the model vanishes on the band.
double band_score(const FourierBand& band, const BandImage& image, const float* ctf_over_sigma,
                  const std::complex<float>* slice, double shift_x_A, double shift_y_A, BandScoreScratch& scratch);

/// As band_score, also adding each shell's sums of Re(x conj M), |x|^2 and |M|^2 into
/// num[s - band.shell_lo], xx[...], mm[...] (band.shell_hi - band.shell_lo + 1 entries each): the
/// shell-wise correlation of a set of projections with their references.
double band_score_by_shell(const FourierBand& band, const BandImage& image, const float* ctf_over_sigma,
                           const std::complex<float>* slice, double shift_x_A, double shift_y_A,
                           BandScoreScratch& scratch, double* num, double* xx, double* mm);

/// band_score at every whole-pixel change d of the shift at once: out[(dy mod box) * box + (dx mod
/// box)] = band_score(..., shift_x_A + dx * pixel, shift_y_A + dy * pixel, ...) for |dx|, |dy| <
/// box / 2, by one inverse FFT of the band's products (the score's norms do not depend on the
/// shift, its numerator is a Fourier sum over the band). box * box floats.
void band_score_shift_map(const FourierBand& band, const BandImage& image, const float* ctf_over_sigma,
                          const std::complex<float>* slice, double shift_x_A, double shift_y_A,
                          BandScoreScratch& scratch, float* out);

}  // namespace cspt
