// Figure data of the FSC curves (paper Fig. 5c): the gold-standard curves of every refinement
// iteration, their 0.143 resolutions, and the FSC of the final map against a simulation's true map.
#pragma once

#include <string>
#include <vector>

#include "cspt/core/volume.hpp"
#include "cspt/report/csv_table.hpp"

namespace cspt::report {

/// One iteration's curves as `cspt refine` writes them to iter_NNN/fsc.csv (one value per shell
/// 0 .. box/2; shell i is at i / (box * pixel size) per Angstrom).
struct FscCurves {
  int iteration = 0;
  std::vector<double> frequency_per_A, unmasked, masked, randomized, corrected;
  /// The box size the shells come from: 2 (shells - 1).
  int box_px() const { return 2 * (int(frequency_per_A.size()) - 1); }
  /// Pixel size implied by the last shell, Nyquist (1 / (2 f_last)); 0 with fewer than two shells.
  double pixel_size_A() const;
};

/// Reads an fsc.csv (columns frequency_per_A, fsc_unmasked, fsc_masked, fsc_masked_randomized,
/// fsc_corrected); IoError naming the file for a missing column or fewer than two shells.
FscCurves parse_fsc_curves(const NumericCsv& csv, int iteration);

/// Resolution (A) where `fsc` first drops below `threshold` after shell 0, interpolated linearly in
/// frequency between the shells around the crossing (as cspt refine computes it); the Nyquist
/// resolution when it never drops below.
double crossing_resolution_A(const FscCurves& c, const std::vector<double>& fsc, double threshold);

/// Long table of every iteration's curves: iteration, shell, frequency_per_A, resolution_A,
/// fsc_unmasked, fsc_masked, fsc_masked_randomized, fsc_corrected.
Table fsc_curves_table(const std::vector<FscCurves>& iterations);

/// Per iteration: iteration, resolution_corrected_A, resolution_masked_A, resolution_unmasked_A
/// (all at FSC 0.143).
Table fsc_resolution_table(const std::vector<FscCurves>& iterations);

/// FSC of a map against the true map, unmasked and with `mask` (empty volume = no masked curve),
/// one value per shell 0 .. n/2.
struct TruthFsc {
  std::vector<double> frequency_per_A, unmasked, masked;
  double resolution_0p5_A = 0.0;    ///< masked (or unmasked without a mask) curve at 0.5
  double resolution_0p143_A = 0.0;  ///< the same curve at 0.143
};

/// Both volumes cubic, of equal size; ConfigError naming the sizes otherwise.
TruthFsc fsc_against_truth(const Volume& map, const Volume& truth, const Volume& mask, int threads = 1);

/// shell, frequency_per_A, resolution_A, fsc_unmasked, fsc_masked.
Table truth_fsc_table(const TruthFsc& f);

}  // namespace cspt::report
