// Figure data of the per-tilt CTF (paper Fig. 3): fitted defocus and astigmatism across every tilt
// series, the choice of example power spectra, and for simulations the fit's error per tilt.
#pragma once

#include <string>
#include <vector>

#include "cspt/project/project.hpp"
#include "cspt/report/csv_table.hpp"

namespace cspt::report {

/// Astigmatism angle difference a - b in degrees, wrapped to (-90, 90] (the angle has period 180).
double astigmatism_angle_difference_deg(double a_deg, double b_deg);

/// One row per tilt of every series (in acquisition order): series, series_index, tilt_index,
/// acquisition_order, tilt_deg (nominal), fitted (1/0), defocus_u_A, defocus_v_A,
/// defocus_mean_A = (u + v) / 2, astigmatism_A = |u - v|, astigmatism_angle_deg, ctf_score,
/// ctf_resolution_A. A tilt is fitted when defocus_u_A > 0; unfitted tilts have NaN CTF columns.
Table ctf_per_tilt_table(const Project& p);

/// The fitted mean defocus of every tilt relative to the first-acquired tilt of its series: one row
/// per fitted tilt: series, tilt_index, acquisition_order, tilt_deg, defocus_change_A (mean defocus
/// minus that of acquisition order 0; NaN when order 0 is not fitted).
Table defocus_change_table(const Project& p);

/// Against the truth of a simulation, one row per tilt that is fitted and has a true record:
/// series, tilt_index, acquisition_order, tilt_deg, fitted_mean_A, true_mean_A, mean_error_A
/// (fitted - true), fitted_astigmatism_A, true_astigmatism_A, astigmatism_error_A (fitted - true),
/// angle_error_deg (astigmatism_angle_difference_deg(fitted, true)). Empty without truth.
Table ctf_error_table(const Project& p);

/// Indices of the tilts of `ts` whose nominal angles are nearest to each target (paper Fig. 3a uses
/// -51, 0 and +51 degrees), without repeats, in the order of the targets.
std::vector<int> example_tilts(const TiltSeriesRecord& ts, const std::vector<double>& targets_deg);

/// The PNG `cspt ctf --diagnostics` writes for tilt i of `ts`: "<name>_<section, 2 digits>_<nominal
/// tilt, %+05.1f>.png", e.g. "ts_001_00_+00.0.png".
std::string ctf_diagnostics_name(const TiltSeriesRecord& ts, int i);

}  // namespace cspt::report
