// Figure data of the self-tuning exposure weighting (paper Fig. 4): the mean particle score of every
// exposure against tilt angle and acquisition order (4a), and the weight of every exposure at every
// spatial frequency with the cumulative contributions (4b).
#pragma once

#include <vector>

#include "cspt/report/csv_table.hpp"

namespace cspt::report {

/// One iteration's per-exposure scores as `cspt refine` writes them to iter_NNN/tilt_scores.csv.
/// Index = acquisition order (0 = first exposed).
struct TiltScores {
  int iteration = 0;
  std::vector<double> mean_tilt_deg, mean_score, n_projections, prior_dose_e_per_A2;
};

/// Reads tilt_scores.csv (columns acquisition_order, mean_tilt_deg, mean_score, n_projections,
/// prior_dose_e_per_A2); rows are put at their acquisition order. IoError for a missing column or
/// an order that is negative, repeated or not an integer.
TiltScores parse_tilt_scores(const NumericCsv& csv, int iteration);

/// iteration, acquisition_order, mean_tilt_deg, mean_score, n_projections, prior_dose_e_per_A2;
/// exposures without projections are kept (mean_score as written, usually 0).
Table tilt_scores_table(const std::vector<TiltScores>& iterations);

/// The exposure weights of one iteration: weights[f][i] of exposure f (acquisition order) at shell i,
/// shell i at i / (box * pixel size) per Angstrom, and the cumulative contribution of exposures 0..f
/// at each shell (cspt::cumulative_contribution: the last row is 1 wherever a shell has weight).
struct WeightMap {
  std::vector<std::vector<double>> weights, cumulative;
  std::vector<double> frequency_per_A;
  std::vector<double> mean_tilt_deg;  ///< per exposure, NaN when unknown
};

/// From weights.csv (acquisition_order, shell_0, shell_1, ...). IoError naming the file for rows out
/// of order, a non-finite or negative weight, or no shell columns. mean_tilt_deg may be shorter than
/// the table (missing entries become NaN).
WeightMap weight_map(const NumericCsv& weights_csv, int box_px, double pixel_size_A,
                     const std::vector<double>& mean_tilt_deg);

/// acquisition_order, mean_tilt_deg, shell, frequency_per_A, weight, cumulative_contribution.
Table weight_map_table(const WeightMap& m);

/// The box a weight table was made for: its shells are 0 .. box/2 + 1, so box = 2 (shells - 2).
int box_from_weight_shells(int shells);

}  // namespace cspt::report
