// The text tables a refinement run writes and reads back: the extraction list, per-projection
// poses, per-tilt geometry, per-exposure scores and per-shell weight tables (CSV with a header).
#pragma once

#include <string>
#include <vector>

#include "cspt/project/project.hpp"
#include "cspt/refine/exposure_weights.hpp"
#include "cspt/refine/refine_model.hpp"

namespace cspt {

/// `particle,tilt,section,centre_x_A,centre_y_A`, one line per box.
std::string extraction_csv(const std::vector<ExtractedBox>& boxes);
/// Parse extraction_csv's text; IoError naming `path` and the line for a malformed line.
std::vector<ExtractedBox> parse_extraction_csv(const std::string& path, const std::string& text);

/// One line per projection: particle, half, series, tilt, acquisition order, RELION angles, shift,
/// defocus, score, and the unconstrained mode's own rotation vector (deg) and shift (A).
std::string projections_csv(const RefineModel& model);
/// Read back the unconstrained corrections and scores written by projections_csv (resuming).
void read_projection_corrections(const std::string& path, RefineModel& model);

/// One line per tilt: geometry and defocus offset, with the truth's geometry when the project has it.
std::string tilts_csv(const RefineModel& model, const Project& project);

/// A per-exposure, per-shell table (weights or cumulative contributions): one line per exposure.
template <class T>
std::string shell_table_csv(const std::vector<std::vector<T>>& table);

/// acquisition_order, mean_tilt_deg, mean_score, n_projections, prior_dose_e_per_A2; with `fits`
/// (one per exposure) and a non-empty `fit_column`, also that column holding each fit's decay
/// (fitted_exposure_e_per_A2 or fitted_bfactor_A2; empty where an exposure was not fitted).
std::string exposure_scores_csv(const std::vector<ExposureInfo>& exposures, const std::vector<double>& mean_tilt_deg,
                                const std::vector<ExposureFit>& fits = {}, const std::string& fit_column = "");

}  // namespace cspt
