// Refinement references: a map made ready to be projected against particle images.
#pragma once

#include <vector>

#include "cspt/core/volume.hpp"

namespace cspt {

/// `map` weighted per Fourier shell by sqrt(2 FSC / (1 + FSC)) (the figure of merit of a half-map;
/// 0 where the FSC is not positive; no weighting when `fsc` is empty), low-passed by a raised cosine
/// that is 1 up to 0.9 s_max and 0 from 1.1 s_max (s_max = 1 / resolution_A), then multiplied by
/// `mask` (skipped when the mask is empty).
Volume filtered_reference(const Volume& map, const std::vector<double>& fsc, double resolution_A, const Volume& mask,
                          int threads = 1);

}  // namespace cspt
