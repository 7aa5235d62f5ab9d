// Fourier shell correlation, the phase-randomisation masking correction, and resolution estimates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cspt/core/volume.hpp"
#include "cspt/parallel/context.hpp"
#include "cspt/recon/volume_slab.hpp"

namespace cspt {

/// FSC between two cubic volumes of the same size, one value per shell 0..n/2. Shell of a voxel =
/// round(|k|) with k in cycles per box, over the non-redundant half transform (as RELION counts).
std::vector<double> fourier_shell_correlation(const Volume& a, const Volume& b, int threads = 1);

/// Spatial frequency (1/A) of shell i for box n.
inline double shell_frequency_per_A(int shell, int n, double pixel_size_A) {
  return shell / (n * pixel_size_A);
}

/// Resolution (A) where `fsc` first falls below `threshold` after shell 0, with linear interpolation
/// in frequency between the two shells around the crossing. If it never falls below, the Nyquist
/// resolution 2 * pixel_size_A.
double resolution_at_threshold_A(const std::vector<double>& fsc, double threshold, int n, double pixel_size_A);

/// Copy of `v` whose Fourier phases beyond shell `from_shell` (exclusive) are replaced by random
/// ones (amplitudes kept), deterministically for a seed: the phase of a coefficient depends only on
/// the seed and the coefficient's index, so a distributed transform draws the same phases.
Volume randomize_phases_beyond(const Volume& v, int from_shell, std::uint64_t seed, int threads = 1);

/// The gold-standard FSC set of curves, as RELION's post-processing computes them (Chen et al. 2013).
struct GoldStandardFsc {
  std::vector<double> unmasked, masked, randomized_masked, corrected;
  int randomize_from_shell = 0;  ///< first shell whose phases were randomised
  double resolution_A = 0.0;     ///< corrected FSC at 0.143
  double resolution_unmasked_A = 0.0;
};

/// FSC of the halves without and with the mask, and the masked FSC corrected by phase randomisation
/// beyond the shell where the unmasked FSC first drops below 0.8.
GoldStandardFsc gold_standard_fsc(const Volume& half1, const Volume& half2, const Volume& mask,
                                  std::uint64_t seed = 20140101, int threads = 1);

/// Collective: the same curves for volumes spread over the ranks in the layout ctx.slab_layout(n),
/// computed with distributed transforms, so that no rank ever holds a whole volume. Every rank
/// returns the curves.
GoldStandardFsc gold_standard_fsc_collective(parallel::Context& ctx, const VolumeSlab& half1, const VolumeSlab& half2,
                                             const VolumeSlab& mask, std::uint64_t seed = 20140101, int threads = 1);

/// The curves as CSV text: shell, frequency_per_A, resolution_A, fsc_unmasked, fsc_masked,
/// fsc_masked_randomized, fsc_corrected (one line per shell, with a header).
std::string fsc_table_csv(const GoldStandardFsc& f, int n, double pixel_size_A);

}  // namespace cspt
