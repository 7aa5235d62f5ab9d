// Figure data of the acquisition (paper Figs. 1b and 2c-d) from bisect-track's record: the ROI
// pattern with each ROI's tracking trajectory and defocus, the targeting and defocus errors per tilt
// (median and interquartile range over ROIs), and the time the session took.
#pragma once

#include <string>
#include <vector>

#include "cspt/project/project.hpp"
#include "cspt/report/csv_table.hpp"

namespace cspt::report {

/// A column of an acquisition table by name, or nullptr.
const AcquisitionColumn* find_column(const AcquisitionTable& t, const std::string& name);

/// The per-ROI tables ("roi_<id>") of a record, in the record's order.
std::vector<const AcquisitionTable*> roi_tables(const AcquisitionRecord& r);

/// One Record image of one ROI.
struct TrajectoryPoint {
  std::string roi;                       ///< the id after "roi_"
  int tilt_index = 0;
  double tilt_deg = 0.0;
  double anchor_x_um = 0.0, anchor_y_um = 0.0;     ///< the ROI's first commanded image shift
  double residual_x_nm = 0.0, residual_y_nm = 0.0; ///< where the ROI was found, from the correlation
  /// Defocus of the image in um, positive = underfocus: the CTF estimate (ctf_defocus_um) when the
  /// record has one, else the focus the tracker set (focus_um); both are stored with SerialEM's sign
  /// (negative = underfocus) and flipped here.
  double defocus_um = 0.0;
  bool from_ctf = false;
  bool accepted = true;
};

/// Every Record of every ROI table, in table then row order. A table lacking tilt_index, tilt_deg,
/// command_x_um, command_y_um, residual_x_nm or residual_y_nm is skipped.
std::vector<TrajectoryPoint> roi_trajectories(const AcquisitionRecord& r);

/// How much the residuals are enlarged on the ROI map (the paper uses 5): the 1-2-5 number that
/// draws the 95th percentile of the residual lengths closest to a third of the smallest distance
/// between two ROIs (a percentile, so that a few failed correlations do not shrink everything);
/// 1 when there is no residual or only one ROI.
double trajectory_exaggeration(const std::vector<TrajectoryPoint>& pts);

/// roi, tilt_index, tilt_deg, anchor_x_um, anchor_y_um, residual_x_nm, residual_y_nm, plot_x_um,
/// plot_y_um (anchor + exaggeration * residual), defocus_um, defocus_source (ctf|focus), accepted.
Table trajectory_table(const std::vector<TrajectoryPoint>& pts, double exaggeration);

/// Quantile q of the finite values, linearly interpolated between order statistics (as
/// numpy.quantile); NaN when none is finite.
double quantile(std::vector<double> values, double q);

/// Per tilt (grouped by tilt index): the median tilt angle, count, and q25 / median / q75 of one
/// value per ROI.
struct TiltSpread {
  int tilt_index = 0;
  double tilt_deg = 0.0;
  int n = 0;
  double q25 = 0.0, median = 0.0, q75 = 0.0;
};
std::vector<TiltSpread> spread_per_tilt(const std::vector<int>& tilt_index, const std::vector<double>& tilt_deg,
                                        const std::vector<double>& values);

/// Targeting residuals per tilt over the ROIs (Fig. 2c): tilt_index, tilt_deg, n,
/// residual_x_nm_q25, residual_x_nm_median, residual_x_nm_q75, and the same for y.
Table targeting_table(const std::vector<TrajectoryPoint>& pts);

/// One record of a simulated acquisition's truth.json (bisect-track simulate).
struct TrackTruthRecord {
  std::string roi;
  int tilt_index = 0;  ///< the n-th record of its ROI
  double tilt_deg = 0.0, targeting_nm = 0.0, defocus_error_um = 0.0;
};

/// Parses truth.json ({"records": [{"roi", "tilt_deg", "targeting_nm", "defocus_error_um"}, ...]});
/// IoError naming `source` when it is not such a document.
std::vector<TrackTruthRecord> parse_track_truth(const std::string& source, const std::string& json_text);

/// True targeting error and defocus error per tilt (Fig. 2c-d against the truth): tilt_index,
/// tilt_deg, n, targeting_nm_q25, targeting_nm_median, targeting_nm_q75, defocus_error_um_q25,
/// defocus_error_um_median, defocus_error_um_q75.
Table truth_error_table(const std::vector<TrackTruthRecord>& records);

/// When each tilt started: tilt_index, tilt_deg, start_min (minutes after the first event of any
/// table), records (ROI images taken at that tilt).
Table acquisition_timeline_table(const AcquisitionRecord& r);

/// Session length in minutes (first to last time_s over every table) divided by the number of
/// ROI tables: the time one tilt series costs when all are collected in parallel. NaN without times.
double minutes_per_tilt_series(const AcquisitionRecord& r);

}  // namespace cspt::report
