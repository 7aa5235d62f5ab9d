// Figure data of particle orientations: the distribution of view directions (a 2D histogram of the
// ZYZ rot and tilt angles) and, for simulations, the angular error of every particle.
#pragma once

#include <string>
#include <vector>

#include "cspt/core/euler.hpp"
#include "cspt/project/project.hpp"
#include "cspt/report/csv_table.hpp"

namespace cspt::report {

/// Counts of view directions: rot in [-180, 180] split into n_rot bins, tilt in [0, 180] into
/// n_tilt bins. Bin (i, j) = counts[j * n_rot + i]; the upper edges (rot = 180, tilt = 180) fall in
/// the last bins. Psi (the in-plane angle) plays no part.
struct AngularHistogram {
  int n_rot = 36, n_tilt = 18;
  std::vector<double> counts;
  double count(int rot_bin, int tilt_bin) const { return counts[std::size_t(tilt_bin) * std::size_t(n_rot) + std::size_t(rot_bin)]; }
};

/// Histogram of the view directions of `angles`. Each is first brought to the canonical range of
/// euler_zyz_from_matrix (tilt in [0, 180], rot in (-180, 180]; rot 0 at tilt 0 or 180), so that
/// equivalent triples land in the same bin. ConfigError unless n_rot, n_tilt >= 1.
AngularHistogram angular_histogram(const std::vector<EulerZyzDeg>& angles, int n_rot, int n_tilt);

/// rot_lo_deg, rot_hi_deg, tilt_lo_deg, tilt_hi_deg, count: one row per bin.
Table angular_histogram_table(const AngularHistogram& h);

/// The particles' orientations (rot, tilt, psi) in project order.
std::vector<EulerZyzDeg> particle_angles(const Project& p);

/// Per particle, the symmetry-aware angle (degrees) of the rotation between its refined and its true
/// orientation (cspt::symmetric_angle_deg); particles are matched by index. Empty without truth.
std::vector<double> angular_errors_deg(const Project& p, const std::string& symmetry);

/// particle, tilt_series, angular_error_deg: one row per entry of `errors`.
Table angular_error_table(const Project& p, const std::vector<double>& errors);

/// Counts in n bins of equal width over [lo, hi]: bin i covers [lo + i w, lo + (i+1) w); values
/// below lo count in the first bin and values at or above hi in the last (nothing is dropped);
/// NaN is skipped. ConfigError unless n >= 1 and hi > lo.
struct Histogram {
  std::vector<double> edges, counts;
};
Histogram histogram(const std::vector<double>& values, double lo, double hi, int n);

/// bin_lo, bin_hi, count.
Table histogram_table(const Histogram& h);

}  // namespace cspt::report
