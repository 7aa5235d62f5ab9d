// Single-image CTF fit against the file's pixel size and the nominal defocus.
#include "cspt/ctf/ctf_plausibility.hpp"

#include <cmath>
#include <cstdio>

namespace cspt {

void check_fit_against_metadata(CtfFit& fit, double pixel_size_A, const MicrographMetadata& m) {
  if (!fit.confident) return;
  char reason[320];
  if (m.file_pixel_size_A > 0 && std::abs(pixel_size_A / m.file_pixel_size_A - 1.0) > kPixelSizeTolerance) {
    std::snprintf(reason, sizeof reason,
                  "the pixel size given (%.4g A) differs from %s (%.4g A) by %.0f%%: check the pixel size", pixel_size_A,
                  m.file_pixel_source.c_str(), m.file_pixel_size_A,
                  100.0 * std::abs(pixel_size_A / m.file_pixel_size_A - 1.0));
    fit.confident = false;
    fit.reason = reason;
    return;
  }
  const double mean = 0.5 * (fit.defocus1_A + fit.defocus2_A);
  if (m.nominal_underfocus_A > 0 && mean > 0) {
    const double ratio = mean / m.nominal_underfocus_A;
    if (ratio > kNominalDefocusFactor || ratio < 1.0 / kNominalDefocusFactor) {
      // Rings fix defocus x pixel^2: the pixel size that would put this fit on the nominal defocus.
      std::snprintf(reason, sizeof reason,
                    "the fitted defocus (%.0f A) is %.2f times the nominal %.0f A (%s): check the pixel size "
                    "(%.4g A given; %.4g A would match)",
                    mean, ratio, m.nominal_underfocus_A, m.nominal_source.c_str(), pixel_size_A,
                    pixel_size_A * std::sqrt(ratio));
      fit.confident = false;
      fit.reason = reason;
    }
  }
}

}  // namespace cspt
