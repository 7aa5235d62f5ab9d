// Astigmatic CTF estimation from one image, optionally tilted (CTFFIND4's tilted mode as anchor,
// algorithms.md 2.2): tiles' power spectra stretched to a common defocus along the known gradient,
// background-subtracted amplitude spectrum, 1D defocus search, 2D refinement of defocus 1 and 2 and
// the astigmatism angle, a fit score and a fit resolution.
#pragma once

#include <string>
#include <vector>

#include "cspt/core/ctf.hpp"
#include "cspt/core/image.hpp"

namespace cspt {

struct CtfSearchOptions {
  double min_resolution_A = 30.0;   ///< fit from this resolution ...
  double max_resolution_A = 5.0;    ///< ... to this one (raised to 2.2 x pixel when finer than that)
  double min_defocus_A = 5000.0, max_defocus_A = 50000.0, defocus_step_A = 100.0;
  double max_astigmatism_A = 3000.0;
  int tile_px = 512;                ///< power-spectrum tiles (halved until they fit the image)
  bool fit_phase_shift = false;     ///< also fit an additional phase shift (phase plate), 0-180 degrees
};

/// The tilt of the image, from alignment: the CTF of each tile is then that of its own height.
struct TiltForCtf {
  double tilt_deg = 0.0;
  double axis_deg = 0.0;      ///< tilt axis CCW from image +y (IMOD), docs/conventions.md
  double handedness = 1.0;    ///< +1: higher = less underfocus
};

struct CtfFit {
  double defocus1_A = 0.0, defocus2_A = 0.0, astig_angle_deg = 0.0;  ///< cisTEM convention, defocus1 >= defocus2
  double phase_shift_deg = 0.0;   ///< fitted only with CtfSearchOptions::fit_phase_shift
  double score = 0.0;             ///< normalised correlation of the model CTF^2 with the spectrum
  double fit_resolution_A = 0.0;  ///< finest resolution to which the Thon rings match the model
  bool confident = false;
  std::string reason;             ///< why confidence is low ("" when confident)
};

/// One-dimensional profiles for plots: spatial frequency (1/A), background-subtracted amplitude and
/// the fitted model in radial bins; the ring-by-ring agreement used for the fit resolution (one value
/// per Thon period, at the period's mean frequency).
struct CtfDiagnostics {
  std::vector<double> frequency_per_A, spectrum, model;
  std::vector<double> agreement_frequency_per_A, agreement;
  Image spectrum_2d;  ///< background-subtracted amplitude spectrum, centred, model in the left half
};

/// Estimate the CTF of `image` (pixel size and optics from `optics`; its defocus fields are ignored).
/// Never throws on data: a blank, flat or ring-less image gives `confident = false` with a reason.
CtfFit estimate_ctf(const Image& image, const CtfParams& optics, double pixel_size_A, const CtfSearchOptions& opts,
                    const TiltForCtf& tilt = {}, CtfDiagnostics* diagnostics = nullptr);

/// Score of a given fit against the image's spectrum stretched for `tilt` (with its handedness):
/// used to decide the handedness of the defocus gradient from the data.
double ctf_fit_score(const Image& image, const CtfParams& optics, double pixel_size_A, const CtfSearchOptions& opts,
                     const TiltForCtf& tilt, const CtfFit& fit);

}  // namespace cspt
