// RELION-5 tilt-series STAR export and import.
//
// Per tilt image: rlnTomoNominalStageTiltAngle (nominal), rlnTomoYTilt (refined), rlnTomoXTilt 0,
// rlnTomoZRot = our tilt-axis angle, rlnTomoXShiftAngst/YShiftAngst = px (-A^-1 D) as RELION derives
// them from an IMOD .xf (so our half-pixel centre offset goes through the .xf conversion),
// rlnTomoNominalDefocus in um with SerialEM's sign, rlnDefocusU/V in A underfocus,
// rlnMicrographPreExposure = prior dose, rlnTomoTiltMovieIndex = acquisition order + 1.
#include "cspt/io/relion_tomo.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cspt/io/imod.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/star.hpp"
#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {
namespace fs = std::filesystem;

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

double to_double(const std::string& file, const StarTable& t, std::size_t row, const std::string& col) {
  const int c = t.column(col);
  if (c < 0) throw IoError(file, col, "missing", "a column of data_" + t.name);
  const std::string& s = t.rows[row][std::size_t(c)];
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v))
    throw IoError(file + ":" + std::to_string(t.row_line(row)), col, s, "a number");
  return v;
}

const std::string& text(const std::string& file, const StarTable& t, std::size_t row, const std::string& col) {
  const int c = t.column(col);
  if (c < 0) throw IoError(file, col, "missing", "a column of data_" + t.name);
  return t.rows[row][std::size_t(c)];
}

}  // namespace

void write_relion5_tilt_series(const std::string& dir, const Project& p, const std::string& project_dir) {
  fs::create_directories(fs::path(dir) / "tilt_series");
  StarTable global;
  global.name = "global";
  global.columns = {"rlnTomoName", "rlnTomoTiltSeriesStarFile", "rlnVoltage", "rlnSphericalAberration",
                    "rlnAmplitudeContrast", "rlnMicrographOriginalPixelSize", "rlnTomoHand", "rlnTomoTiltSeriesPixelSize",
                    "rlnOpticsGroupName"};
  const double px = p.optics.pixel_size_A;
  for (const auto& ts : p.tilt_series) {
    const std::string ts_star = (fs::path("tilt_series") / (ts.name + ".star")).string();
    global.rows.push_back({ts.name, (fs::path(dir) / ts_star).string(), num(p.optics.voltage_kV), num(p.optics.cs_mm),
                           num(p.optics.amplitude_contrast), num(px), num(ts.defocus_handedness == 0 ? 1.0 : ts.defocus_handedness),
                           num(px), "optics1"});
    StarTable t;
    t.name = ts.name;
    t.columns = {"rlnMicrographName", "rlnTomoTiltMovieIndex", "rlnTomoNominalStageTiltAngle", "rlnTomoNominalTiltAxisAngle",
                 "rlnTomoNominalDefocus", "rlnMicrographPreExposure", "rlnMicrographDose", "rlnDefocusU", "rlnDefocusV",
                 "rlnDefocusAngle", "rlnCtfFigureOfMerit", "rlnCtfMaxResolution", "rlnTomoXTilt", "rlnTomoYTilt",
                 "rlnTomoZRot", "rlnTomoXShiftAngst", "rlnTomoYShiftAngst"};
    const std::string stack = fs::relative(fs::absolute(fs::path(project_dir) / ts.stack_path), fs::absolute(dir)).string();
    for (const auto& r : ts.tilts) {
      const XfTransform xf = xf_from_geometry(r.tilt_axis_deg, r.shift_x_A, r.shift_y_A, ts.nx_px, ts.ny_px, px);
      const double det = xf.a11 * xf.a22 - xf.a12 * xf.a21;
      const double rx = -px * (xf.a22 * xf.dx - xf.a12 * xf.dy) / det, ry = -px * (-xf.a21 * xf.dx + xf.a11 * xf.dy) / det;
      t.rows.push_back({std::to_string(r.section + 1) + "@" + stack, std::to_string(r.acquisition_order + 1),
                        num(r.nominal_tilt_deg), num(r.tilt_axis_deg), num(-r.target_defocus_A / 1e4),
                        num(r.prior_dose_e_per_A2), num(r.dose_e_per_A2), num(r.defocus_u_A), num(r.defocus_v_A),
                        num(r.defocus_angle_deg), num(r.ctf_score), num(r.ctf_resolution_A), "0", num(r.refined_tilt_deg),
                        num(r.tilt_axis_deg), num(rx), num(ry)});
    }
    write_star((fs::path(dir) / ts_star).string(), StarFile{{t}});
  }
  write_star((fs::path(dir) / "tilt_series.star").string(), StarFile{{global}});
}

void read_relion5_tilt_series(const std::string& path, Project& p, const std::string& project_dir) {
  const StarFile f = read_star(path);
  const StarTable* g = f.find("global");
  if (!g) throw IoError(path, "data_global", "missing", "a RELION-5 tilt_series.star");
  for (std::size_t i = 0; i < g->rows.size(); ++i) {
    TiltSeriesRecord ts;
    ts.name = text(path, *g, i, "rlnTomoName");
    p.optics.voltage_kV = to_double(path, *g, i, "rlnVoltage");
    p.optics.cs_mm = to_double(path, *g, i, "rlnSphericalAberration");
    p.optics.amplitude_contrast = to_double(path, *g, i, "rlnAmplitudeContrast");
    p.optics.pixel_size_A = to_double(path, *g, i, "rlnTomoTiltSeriesPixelSize");
    ts.defocus_handedness = to_double(path, *g, i, "rlnTomoHand");
    std::string ts_path = text(path, *g, i, "rlnTomoTiltSeriesStarFile");
    if (!fs::exists(ts_path)) ts_path = (fs::path(path).parent_path() / ts_path).string();
    const StarFile tf = read_star(ts_path);
    const StarTable* t = tf.find(ts.name);
    if (!t) throw IoError(ts_path, "data_" + ts.name, "missing", "the block of tilt series " + ts.name);
    const double px = p.optics.pixel_size_A;
    for (std::size_t r = 0; r < t->rows.size(); ++r) {
      TiltRecord rec;
      const std::string& name = text(ts_path, *t, r, "rlnMicrographName");
      const auto at = name.find('@');
      if (at == std::string::npos) throw IoError(ts_path + ":" + std::to_string(t->row_line(r)), "rlnMicrographName", name, "index@stack");
      rec.section = std::stoi(name.substr(0, at)) - 1;
      const fs::path stack = fs::absolute(fs::path(ts_path).parent_path() / ".." / name.substr(at + 1));
      ts.stack_path = fs::relative(stack, fs::absolute(project_dir)).lexically_normal().string();
      rec.acquisition_order = int(to_double(ts_path, *t, r, "rlnTomoTiltMovieIndex")) - 1;
      rec.nominal_tilt_deg = to_double(ts_path, *t, r, "rlnTomoNominalStageTiltAngle");
      rec.refined_tilt_deg = to_double(ts_path, *t, r, "rlnTomoYTilt");
      rec.target_defocus_A = -1e4 * to_double(ts_path, *t, r, "rlnTomoNominalDefocus");
      rec.prior_dose_e_per_A2 = to_double(ts_path, *t, r, "rlnMicrographPreExposure");
      rec.dose_e_per_A2 = t->column("rlnMicrographDose") >= 0 ? to_double(ts_path, *t, r, "rlnMicrographDose") : 0.0;
      rec.defocus_u_A = to_double(ts_path, *t, r, "rlnDefocusU");
      rec.defocus_v_A = to_double(ts_path, *t, r, "rlnDefocusV");
      rec.defocus_angle_deg = to_double(ts_path, *t, r, "rlnDefocusAngle");
      rec.ctf_score = t->column("rlnCtfFigureOfMerit") >= 0 ? to_double(ts_path, *t, r, "rlnCtfFigureOfMerit") : 0.0;
      rec.ctf_resolution_A = t->column("rlnCtfMaxResolution") >= 0 ? to_double(ts_path, *t, r, "rlnCtfMaxResolution") : 0.0;
      rec.tilt_axis_deg = to_double(ts_path, *t, r, "rlnTomoZRot");
      if (ts.nx_px == 0) {
        const MrcHeader h = read_mrc_header(stack.string());
        ts.nx_px = h.nx;
        ts.ny_px = h.ny;
      }
      // Shifts: RELION's px (-A^-1 D) back to our image-centre convention (n/2 rather than IMOD's
      // (n-1)/2): s = px (-A^-1 D) + px ((n-1)/2 - n/2) per axis.
      rec.shift_x_A = to_double(ts_path, *t, r, "rlnTomoXShiftAngst") + px * ((ts.nx_px - 1) / 2.0 - ts.nx_px / 2);
      rec.shift_y_A = to_double(ts_path, *t, r, "rlnTomoYShiftAngst") + px * ((ts.ny_px - 1) / 2.0 - ts.ny_px / 2);
      ts.tilts.push_back(rec);
    }
    // Tilt records are kept in acquisition order, as the project file stores them.
    std::sort(ts.tilts.begin(), ts.tilts.end(),
              [](const TiltRecord& a, const TiltRecord& b) { return a.acquisition_order < b.acquisition_order; });
    p.tilt_series.push_back(ts);
  }
}

}  // namespace cspt::io
