// The Fourier samples refinement scores: the non-redundant half of a particle box's transform
// between a low and a high resolution limit.
#pragma once

#include <cstddef>
#include <vector>

namespace cspt {

/// A band of Fourier samples of a box x box image: every (kx, ky) with kx > 0, or kx = 0 and ky > 0
/// (each Friedel pair once), whose shell round(|k|) lies in [shell_lo, shell_hi]. Frequencies are
/// in pixels of the box (cycles per box).
struct FourierBand {
  int box_px = 0;
  double pixel_size_A = 0.0;
  int shell_lo = 1, shell_hi = 0;
  std::vector<int> kx, ky;      ///< per sample
  std::vector<int> half_plane;  ///< per sample: index into the FFTW half plane (row * (box/2+1) + kx)
  std::vector<int> shell;       ///< per sample: round(|k|)
  std::size_t size() const { return kx.size(); }
};

/// The band between low_resolution_A and high_resolution_A (both Angstrom; shells from
/// round(box*px/low) to round(box*px/high), never shell 0 and never beyond box/2 - 1).
/// Throws ConfigError when the limits are not positive or leave no sample.
FourierBand make_fourier_band(int box_px, double pixel_size_A, double low_resolution_A, double high_resolution_A);

}  // namespace cspt
