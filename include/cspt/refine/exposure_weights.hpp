// Per-exposure frequency weights ("self-tuning, data-driven exposure weighting" of BISECT):
// one weight per exposure and Fourier shell, normalised across exposures at every shell.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace cspt {

/// How the exposures of a tilt series (or the frames of a movie) are weighted against each other.
///  - none:    no weighting (1 for every non-empty exposure);
///  - dose:    Grant & Grigorieff radiation-damage weight from the known exposure (algorithms.md 3.5);
///  - data:    the released BISECT / nextPYP formula driven by per-exposure scores (algorithms.md 4.1);
///  - bfactor: VARIANT, not in the released code: a B-factor per exposure driven by the same scores
///             (algorithms.md 4.3).
///  - fitted_exposure: VARIANT, ours: the Grant–Grigorieff frequency dependence with each exposure's
///             accumulated exposure fitted to its measured correlation with the reference, so no
///             dose record is needed (docs/refinement.md).
enum class ExposureWeighting { none, dose, data, bfactor, fitted_exposure };

/// "none" | "dose" | "data" | "bfactor" | "fitted-exposure" (exact, lower case). Anything else throws
/// ConfigError(context, "exposure_weighting", name, <the choices>).
ExposureWeighting parse_exposure_weighting(const std::string& name,
                                           const std::string& context = "exposure_weighting");

/// The name parse_exposure_weighting accepts for `w`.
std::string to_string(ExposureWeighting w);

struct ExposureWeightOptions {
  ExposureWeighting method = ExposureWeighting::data;
  int fraction = 4;          ///< F of algorithms 4.1 (dose_weighting_fraction), >= 1
  double transition = 0.75;  ///< T of algorithms 4.1 (dose_weighting_transition), > 0
  bool multiply = true;      ///< multiply the normalised weights by the number of non-empty exposures (mean 1)
  double bfactor_max_A2 = 150.0;  ///< bfactor variant: B_f = bfactor_max_A2 * r_f (r_f as in 4.1), >= 0
  double voltage_kV = 300.0;      ///< dose and fitted-exposure variants, in [100, 300]
};

/// Input per exposure (index = acquisition order, 0 = first exposed).
struct ExposureInfo {
  double mean_score = 0.0;        ///< mean refinement score of the projections of this exposure (data, bfactor)
  std::size_t n_projections = 0;  ///< 0 = empty exposure: weight 0 everywhere
  double prior_dose_e_per_A2 = 0.0;  ///< dose variant: exposure before this one started, e/A^2
  double dose_e_per_A2 = 0.0;        ///< dose variant: exposure of this image, e/A^2
  /// bfactor and fitted-exposure variants: the exposure's correlation with the reference per Fourier
  /// shell (index = shell, NaN = not measured) and the Fourier samples behind each value. When
  /// present, the exposure's scale and decay are fitted to them (see fit_exposure_decay).
  std::vector<double> shell_correlation, shell_samples;
};

/// Number of Fourier shells of a weight table for a box of box_px pixels: box_px / 2 + 2
/// (shells 0 .. box_px/2 + 1, so that rounding |k| up near Nyquist still finds a shell).
int exposure_weight_shells(int box_px);

/// The score dependency r_f of algorithms.md 4.1 for every exposure (0 for empty ones):
/// a_f = (S_f - min S) / (max S - min S), the min and max taken over non-empty exposures with
/// S_f > 0; r_f = 1 - a_f^F. Choices where 4.1 is silent:
///  - a non-empty exposure with S_f <= 0 is treated like the worst one: a_f = 0, r_f = 1 (it would
///    otherwise fall below the minimum and get a_f < 0);
///  - when max S == min S (one positive score, or all positive scores equal) the exposures with
///    S_f > 0 get a_f = 1 (r_f = 0); those with S_f <= 0 keep a_f = 0;
///  - when no non-empty exposure has S_f > 0, every exposure gets a_f = 1: all equal.
/// Scores are used as given, in double precision (no integer truncation, the 4.1 quirk).
/// Throws ConfigError for a non-finite score of a non-empty exposure or fraction < 1.
std::vector<double> exposure_score_dependency(const std::vector<ExposureInfo>& exposures, int fraction);

/// The weight table: weights[f][i] for exposure f at Fourier shell i = 0 .. box_px/2 + 1 (|k| in
/// pixels of the box; s = i / box_px cycles per pixel, i / (box_px * pixel_size_A) per Angstrom).
/// Normalised over exposures at every shell (sum over non-empty f = 1, times the number of non-empty
/// exposures when `multiply`); empty exposures get 0 everywhere. The normalisation is done in the log
/// domain, so a shell where every raw weight underflows still gets its largest one(s) (no 0/0).
///  - none: 1 for every non-empty exposure, whatever `multiply` (no weighting at all).
///  - dose: the attenuation a_f(s) of exposure_attenuation (Grant–Grigorieff) at
///    s_A = i / (box_px * pixel_size_A), normalised; equal doses give equal weights. A weight w scales
///    both the inserted data (signal a_f CTF V) and its CTF^2, so the SNR of the sum,
///    (sum w a CTF^2)^2 / sum w^2 CTF^2, is largest for w proportional to a_f (docs/refinement.md).
///  - data: algorithms 4.1 exactly: r_f from exposure_score_dependency, W_f = exp(-T r_f^4 exp(7.62 s))
///    with s in cycles/pixel, normalised; all equal when max == min.
///  - bfactor (variant, algorithms 4.3; the paper's "isotropic B-factors"): W_f = A_f exp(-B_f s_A^2 / 4).
///    With shell correlations, A_f and B_f are fitted: the signal amplitude of exposure f at shell s,
///    a = C / sqrt(1 - C^2) from its correlation C with the reference, is fitted by least squares
///    (weights = samples) as A_f exp(-B_f s^2/4) times that of the best-scoring exposure, B_f on a
///    10 A^2 grid in [-100, 3000] with A_f in closed form; the weight of a signal of amplitude a is
///    proportional to a (as for `dose`). Without shell data: B_f = bfactor_max_A2 * r_f, A_f = 1, and
///    with s_A in 1/Angstrom, normalised. The best exposure has B = 0, the worst bfactor_max_A2.
///  - fitted-exposure (variant): W_f = A_f exp(-dN_f / (2 N_e(s_A))) from fit_exposure_decay, i.e.
///    the dose weight of the exposure the data show, normalised. If any non-empty exposure could not
///    be fitted (fewer than 3 shells in the scoring band), the whole table is `data`'s instead.
/// Throws ConfigError when the list is empty, every exposure is empty, box_px < 2, pixel_size_A <= 0,
/// options are out of range, or (for the method in use) a score or dose is not finite / negative.
std::vector<std::vector<float>> exposure_weight_table(const std::vector<ExposureInfo>& exposures, int box_px,
                                                      double pixel_size_A, const ExposureWeightOptions& opts);

/// One exposure's fit of its shell correlations (fit_exposure_decay).
struct ExposureFit {
  bool fitted = false;    ///< false: empty exposure, no shell data, or fewer than 3 usable shells
  double log_scale = 0.0; ///< log A_f
  /// bfactor: B_f (A^2); fitted_exposure: the exposure beyond the best-scoring exposure's (e/A^2).
  double decay = 0.0;
};

/// Fits every exposure's signal amplitude per shell, a = C / sqrt(1 - C^2) from its correlation C
/// with the reference (sqrt of the SSNR), relative to the best-scoring exposure's: a_f(s) =
/// A_f D(s) a_best(s), by least squares weighted by the Fourier samples behind each C (about their
/// inverse variance), the decay on a grid and A_f in closed form. Shell 0 and shells where the best
/// exposure's correlation is not positive are left out.
///  - bfactor: D = exp(-B s^2 / 4), B in [-100, 3000] A^2 at 10 A^2;
///  - fitted_exposure: D = exp(-dN / (2 N_e(s))) with N_e the Grant–Grigorieff critical exposure
///    (algorithms.md 3.5) at the run's voltage, dN in [-30, 600] e/A^2 at 0.5: how much more exposure
///    the exposure's signal looks to have seen than the best one's. As the attenuation is
///    exp(-N / (2 N_e)), the ratio of two exposures' depends on the difference of their
///    exposures only, so dN estimates N_f - N_best without any dose record. Exposure only
///    accumulates, so the dN are then made non-decreasing in acquisition order (pool adjacent
///    violators, weighted by the Fisher information of each estimate) and each A_f refitted.
/// Other methods: every entry unfitted. Throws as exposure_weight_table for bad options.
std::vector<ExposureFit> fit_exposure_decay(const std::vector<ExposureInfo>& exposures, int box_px,
                                            double pixel_size_A, const ExposureWeightOptions& opts);

/// The weighted least-squares fit of `values` by a non-decreasing sequence (pool adjacent
/// violators): runs that fall are replaced by their weighted mean. Throws ConfigError for a
/// non-finite value, a negative or non-finite weight, or lists of different lengths.
std::vector<double> non_decreasing_fit(const std::vector<double>& values, const std::vector<double>& weights);

/// Fig. 4b of the paper: cumulative contribution of exposures 0..f at every shell, i.e.
/// cum[f][i] = sum_{f' <= f} weights[f'][i] / sum_all weights[.][i] (0 where the column sums to 0).
/// The last row is exactly 1 where the column sum is positive. Throws ConfigError for rows of
/// different lengths or a negative or non-finite weight.
std::vector<std::vector<double>> cumulative_contribution(const std::vector<std::vector<float>>& weights);

}  // namespace cspt
