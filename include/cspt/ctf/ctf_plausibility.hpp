// Whether a single image's CTF fit agrees with what the file and the user say about the image:
// the one check of the pixel size a lone untilted image allows (its rings fix defocus x pixel^2 only).
#pragma once

#include <string>

#include "cspt/ctf/ctf_estimate.hpp"

namespace cspt {

struct MicrographMetadata {
  double file_pixel_size_A = 0.0;     ///< what the file records (0: nothing usable)
  std::string file_pixel_source;      ///< e.g. "the FEI extended header"
  double nominal_underfocus_A = 0.0;  ///< the defocus aimed at (0 or less: unknown)
  std::string nominal_source;         ///< e.g. "--nominal-defocus"
};

/// Tolerances: the pixel size given may differ from the file's by 5% (calibrated against nominal
/// magnification); the fitted defocus may be 1.5x off the aimed one (autofocus and ice-height
/// offsets of several thousand Angstrom are normal; a pixel size 20% wrong moves it by 1.5x).
inline constexpr double kPixelSizeTolerance = 0.05;
inline constexpr double kNominalDefocusFactor = 1.5;

/// Marks a confident `fit` low, with the reason, when the pixel size given contradicts the file's,
/// or when the fitted mean defocus is more than kNominalDefocusFactor from the nominal one; the
/// reason names the pixel size that would put the fit on the nominal defocus. A fit already low
/// is left as it is.
void check_fit_against_metadata(CtfFit& fit, double pixel_size_A, const MicrographMetadata& m);

}  // namespace cspt
