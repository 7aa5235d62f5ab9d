// Per-tilt CTF figure data: fits across the tilt series, defocus change, errors against the truth.
#include "cspt/report/ctf_data.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace cspt::report {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

bool fitted(const TiltRecord& t) { return t.defocus_u_A > 0; }
double mean_defocus(const TiltRecord& t) { return 0.5 * (t.defocus_u_A + t.defocus_v_A); }

/// The tilt of a series acquired first (acquisition order 0), or -1.
int first_acquired(const TiltSeriesRecord& ts) {
  for (std::size_t i = 0; i < ts.tilts.size(); ++i)
    if (ts.tilts[i].acquisition_order == 0) return int(i);
  return -1;
}

}  // namespace

double astigmatism_angle_difference_deg(double a_deg, double b_deg) {
  double d = std::fmod(a_deg - b_deg, 180.0);
  if (d <= -90.0) d += 180.0;
  if (d > 90.0) d -= 180.0;
  return d;
}

Table ctf_per_tilt_table(const Project& p) {
  Table t({"series", "series_index", "tilt_index", "acquisition_order", "tilt_deg", "fitted", "defocus_u_A", "defocus_v_A",
           "defocus_mean_A", "astigmatism_A", "astigmatism_angle_deg", "ctf_score", "ctf_resolution_A"});
  for (std::size_t s = 0; s < p.tilt_series.size(); ++s) {
    const auto& ts = p.tilt_series[s];
    for (std::size_t i = 0; i < ts.tilts.size(); ++i) {
      const TiltRecord& r = ts.tilts[i];
      const bool ok = fitted(r);
      t.add_row({ts.name, double(s), double(i), double(r.acquisition_order), r.nominal_tilt_deg, ok ? 1.0 : 0.0,
                 ok ? r.defocus_u_A : kNaN, ok ? r.defocus_v_A : kNaN, ok ? mean_defocus(r) : kNaN,
                 ok ? std::abs(r.defocus_u_A - r.defocus_v_A) : kNaN, ok ? r.defocus_angle_deg : kNaN,
                 ok ? r.ctf_score : kNaN, ok && r.ctf_resolution_A > 0 ? r.ctf_resolution_A : kNaN});
    }
  }
  return t;
}

Table defocus_change_table(const Project& p) {
  Table t({"series", "tilt_index", "acquisition_order", "tilt_deg", "defocus_change_A"});
  for (const auto& ts : p.tilt_series) {
    const int first = first_acquired(ts);
    const double ref = first >= 0 && fitted(ts.tilts[std::size_t(first)]) ? mean_defocus(ts.tilts[std::size_t(first)]) : kNaN;
    for (std::size_t i = 0; i < ts.tilts.size(); ++i) {
      const TiltRecord& r = ts.tilts[i];
      if (!fitted(r)) continue;
      t.add_row({ts.name, double(i), double(r.acquisition_order), r.nominal_tilt_deg, mean_defocus(r) - ref});
    }
  }
  return t;
}

Table ctf_error_table(const Project& p) {
  Table t({"series", "tilt_index", "acquisition_order", "tilt_deg", "fitted_mean_A", "true_mean_A", "mean_error_A",
           "fitted_astigmatism_A", "true_astigmatism_A", "astigmatism_error_A", "angle_error_deg"});
  if (!p.truth) return t;
  for (std::size_t s = 0; s < p.tilt_series.size() && s < p.truth->tilts.size(); ++s) {
    const auto& ts = p.tilt_series[s];
    for (std::size_t i = 0; i < ts.tilts.size() && i < p.truth->tilts[s].size(); ++i) {
      const TiltRecord &fit = ts.tilts[i], &tru = p.truth->tilts[s][i];
      if (!fitted(fit)) continue;
      const double fa = fit.defocus_u_A - fit.defocus_v_A, ta = tru.defocus_u_A - tru.defocus_v_A;
      t.add_row({ts.name, double(i), double(fit.acquisition_order), fit.nominal_tilt_deg, mean_defocus(fit),
                 mean_defocus(tru), mean_defocus(fit) - mean_defocus(tru), std::abs(fa), std::abs(ta),
                 std::abs(fa) - std::abs(ta), astigmatism_angle_difference_deg(fit.defocus_angle_deg, tru.defocus_angle_deg)});
    }
  }
  return t;
}

std::vector<int> example_tilts(const TiltSeriesRecord& ts, const std::vector<double>& targets_deg) {
  std::vector<int> picked;
  for (double target : targets_deg) {
    int best = -1;
    for (std::size_t i = 0; i < ts.tilts.size(); ++i) {
      bool taken = false;
      for (int k : picked) taken = taken || k == int(i);
      if (taken) continue;
      if (best < 0 || std::abs(ts.tilts[i].nominal_tilt_deg - target) <
                          std::abs(ts.tilts[std::size_t(best)].nominal_tilt_deg - target))
        best = int(i);
    }
    if (best >= 0) picked.push_back(best);
  }
  return picked;
}

std::string ctf_diagnostics_name(const TiltSeriesRecord& ts, int i) {
  char name[512];
  const TiltRecord& r = ts.tilts.at(std::size_t(i));
  std::snprintf(name, sizeof name, "%s_%02d_%+05.1f.png", ts.name.c_str(), r.section, r.nominal_tilt_deg);
  return name;
}

}  // namespace cspt::report
