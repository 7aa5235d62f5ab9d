// Orientation figure data: view-direction histogram, angular errors against the truth, histograms.
#include "cspt/report/orientation_data.hpp"

#include <algorithm>
#include <cmath>

#include "cspt/refine/truth_metrics.hpp"
#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {

/// Bin of v among n equal bins over [lo, hi); below lo the first, at or above hi the last.
int bin_of(double v, double lo, double hi, int n) {
  if (!(v >= lo)) return 0;
  if (v >= hi) return n - 1;
  return std::min(n - 1, int((v - lo) / (hi - lo) * n));
}

}  // namespace

AngularHistogram angular_histogram(const std::vector<EulerZyzDeg>& angles, int n_rot, int n_tilt) {
  if (n_rot < 1 || n_tilt < 1)
    throw ConfigError("angular histogram", "bins", std::to_string(n_rot) + " x " + std::to_string(n_tilt), "at least 1 x 1");
  AngularHistogram h;
  h.n_rot = n_rot;
  h.n_tilt = n_tilt;
  h.counts.assign(std::size_t(n_rot) * std::size_t(n_tilt), 0.0);
  for (const auto& a : angles) {
    const EulerZyzDeg c = euler_zyz_from_matrix(matrix_from_euler_zyz(a));
    if (!std::isfinite(c.rot_deg) || !std::isfinite(c.tilt_deg)) continue;
    const int i = bin_of(c.rot_deg, -180.0, 180.0, n_rot), j = bin_of(c.tilt_deg, 0.0, 180.0, n_tilt);
    h.counts[std::size_t(j) * std::size_t(n_rot) + std::size_t(i)] += 1.0;
  }
  return h;
}

Table angular_histogram_table(const AngularHistogram& h) {
  Table t({"rot_lo_deg", "rot_hi_deg", "tilt_lo_deg", "tilt_hi_deg", "count"});
  const double wr = 360.0 / h.n_rot, wt = 180.0 / h.n_tilt;
  for (int j = 0; j < h.n_tilt; ++j)
    for (int i = 0; i < h.n_rot; ++i)
      t.add_row({-180.0 + i * wr, -180.0 + (i + 1) * wr, j * wt, (j + 1) * wt, h.count(i, j)});
  return t;
}

std::vector<EulerZyzDeg> particle_angles(const Project& p) {
  std::vector<EulerZyzDeg> a;
  a.reserve(p.particles.size());
  for (const auto& q : p.particles) a.push_back({q.rot_deg, q.tilt_deg, q.psi_deg});
  return a;
}

std::vector<double> angular_errors_deg(const Project& p, const std::string& symmetry) {
  std::vector<double> errors;
  if (!p.truth) return errors;
  const std::size_t n = std::min(p.particles.size(), p.truth->particles.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto &a = p.particles[i], &b = p.truth->particles[i];
    errors.push_back(symmetric_angle_deg(matrix_from_euler_zyz({a.rot_deg, a.tilt_deg, a.psi_deg}),
                                         matrix_from_euler_zyz({b.rot_deg, b.tilt_deg, b.psi_deg}), symmetry));
  }
  return errors;
}

Table angular_error_table(const Project& p, const std::vector<double>& errors) {
  Table t({"particle", "tilt_series", "angular_error_deg"});
  for (std::size_t i = 0; i < errors.size(); ++i)
    t.add_row({double(i), i < p.particles.size() ? double(p.particles[i].tilt_series) : std::nan(""), errors[i]});
  return t;
}

Histogram histogram(const std::vector<double>& values, double lo, double hi, int n) {
  if (n < 1 || !(hi > lo)) throw ConfigError("histogram", "range", std::to_string(lo) + " .. " + std::to_string(hi),
                                             "hi > lo and at least one bin");
  Histogram h;
  for (int i = 0; i <= n; ++i) h.edges.push_back(lo + (hi - lo) * i / n);
  h.counts.assign(std::size_t(n), 0.0);
  for (double v : values)
    if (!std::isnan(v)) h.counts[std::size_t(bin_of(v, lo, hi, n))] += 1.0;
  return h;
}

Table histogram_table(const Histogram& h) {
  Table t({"bin_lo", "bin_hi", "count"});
  for (std::size_t i = 0; i < h.counts.size(); ++i) t.add_row({h.edges[i], h.edges[i + 1], h.counts[i]});
  return t;
}

}  // namespace cspt::report
