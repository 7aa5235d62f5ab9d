// Dose-symmetric tilt-series acquisition orders: one block-based generator, presets as data.
#pragma once

#include <string>
#include <vector>

namespace cspt {

/// Parameters of a grouped dose-symmetric scheme (acquisition.md 6.2). Tilts lie on the grid
/// start_deg + k * step_deg within [max_neg_deg, max_pos_deg] (absolute angles, max_neg_deg <= start_deg
/// <= max_pos_deg). Magnitudes m = |k| = 1, 2, ... are cut into consecutive blocks: within a block the
/// leading sign visits the block's magnitudes in ascending order, then the other sign visits the same
/// magnitudes; the leading sign alternates from block to block, starting with first_sign (+1 or -1).
/// Magnitudes beyond the listed blocks form one final block (the "run to end" remainder); an empty
/// block_sizes means blocks of 1 throughout (Hagen et al. 2017). A side that reaches its limit is
/// skipped, so the other side's remaining angles follow as one run.
struct TiltSchemeParams {
  double start_deg = 0;
  double step_deg = 3;
  double max_pos_deg = 60;
  double max_neg_deg = -60;
  int first_sign = +1;
  std::vector<int> block_sizes;
};

/// The tilt angles in acquisition order, beginning with start_deg. Throws ConfigError on bad
/// parameters (step_deg <= 0, limits on the wrong side of start_deg, first_sign not +-1, a block
/// size < 1, non-finite values).
std::vector<double> dose_symmetric_order(const TiltSchemeParams& p);

/// Named schemes: "bisect60" (the BISECT paper's +-60/3 list), "bisect36" (its +-36/3 list) and
/// "hagen" (+-60/3, blocks of 1). Throws ConfigError, listing the valid names, on any other name.
TiltSchemeParams tilt_scheme_preset(const std::string& name);

/// dose_symmetric_order(tilt_scheme_preset(preset)).
std::vector<double> tilt_scheme(const std::string& preset);

}  // namespace cspt
