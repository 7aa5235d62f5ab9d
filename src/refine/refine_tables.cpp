// Text tables of a refinement run.
#include "cspt/refine/refine_tables.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <sstream>

#include <Eigen/Geometry>

#include "cspt/core/euler.hpp"
#include "cspt/util/error.hpp"

namespace cspt {

// ---- extraction table: one line per projection, written once per run ----

std::string extraction_csv(const std::vector<ExtractedBox>& boxes) {
  std::string s = "particle,tilt,section,centre_x_A,centre_y_A\n";
  char line[160];
  for (const auto& b : boxes) {
    std::snprintf(line, sizeof line, "%d,%d,%d,%.6f,%.6f\n", b.particle, b.tilt, b.section, b.centre_A.x(), b.centre_A.y());
    s += line;
  }
  return s;
}

std::vector<ExtractedBox> parse_extraction_csv(const std::string& path, const std::string& text) {
  std::vector<ExtractedBox> boxes;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  int n = 1;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    ExtractedBox b;
    double x = 0, y = 0;
    if (std::sscanf(line.c_str(), "%d,%d,%d,%lf,%lf", &b.particle, &b.tilt, &b.section, &x, &y) != 5) {
      throw IoError(path, "line " + std::to_string(n), line, "particle,tilt,section,centre_x_A,centre_y_A");
    }
    b.centre_A = {x, y};
    boxes.push_back(b);
  }
  return boxes;
}

// ---- per-projection table (poses, scores, and the unconstrained corrections for resuming) ----

namespace {
Eigen::Vector3d rotation_vector_deg(const Eigen::Matrix3d& r) {
  const Eigen::AngleAxisd aa(r);
  return aa.axis() * aa.angle() * 180.0 / std::numbers::pi;
}
}  // namespace

std::string projections_csv(const RefineModel& model) {
  std::string s =
      "particle,half,series,tilt,acquisition_order,rot_deg,tilt_deg,psi_deg,shift_x_A,shift_y_A,defocus_u_A,defocus_v_A,"
      "defocus_angle_deg,score,extra_wx_deg,extra_wy_deg,extra_wz_deg,extra_shift_x_A,extra_shift_y_A\n";
  char line[512];
  for (const auto& j : model.projections) {
    const ProjectionPose pose = projection_pose(model, j);
    const auto e = euler_zyz_from_matrix(pose.a);
    const Eigen::Vector3d w = rotation_vector_deg(j.extra_rotation);
    std::snprintf(line, sizeof line, "%d,%d,%d,%d,%d,%.5f,%.5f,%.5f,%.4f,%.4f,%.2f,%.2f,%.3f,%.6f,%.8f,%.8f,%.8f,%.6f,%.6f\n",
                  j.particle, model.particles[std::size_t(j.particle)].half, j.series, j.tilt, model.tilts[std::size_t(j.series)][std::size_t(j.tilt)].acquisition_order,
                  e.rot_deg, e.tilt_deg, e.psi_deg, pose.shift_x_A, pose.shift_y_A, pose.ctf.defocus_u_A,
                  pose.ctf.defocus_v_A, pose.ctf.defocus_angle_deg, j.score, w.x(), w.y(), w.z(), j.extra_shift_A.x(),
                  j.extra_shift_A.y());
    s += line;
  }
  return s;
}

void read_projection_corrections(const std::string& path, RefineModel& model) {
  std::ifstream in(path);
  if (!in) throw IoError(path, "file", "", "the per-projection table of the iteration to resume");
  std::string line;
  std::getline(in, line);
  std::size_t k = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> v;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) v.push_back(std::atof(cell.c_str()));
    if (v.size() != 19 || k >= model.projections.size()) {
      throw IoError(path, "line " + std::to_string(k + 2), line, "19 columns, one line per projection");
    }
    auto& j = model.projections[k++];
    j.extra_rotation = rotation_from_vector_deg({v[14], v[15], v[16]});
    j.extra_shift_A = {v[17], v[18]};
    j.score = v[13];
  }
  if (k != model.projections.size()) {
    throw IoError(path, "projections", std::to_string(k), std::to_string(model.projections.size()));
  }
}

std::string tilts_csv(const RefineModel& model, const Project& project) {
  std::string t = "series,tilt,acquisition_order,reference,tilt_deg,axis_deg,shift_x_A,shift_y_A,defocus_offset_A";
  if (project.truth) t += ",true_tilt_deg,true_axis_deg,true_shift_x_A,true_shift_y_A";
  t += "\n";
  for (std::size_t s = 0; s < model.tilts.size(); ++s)
    for (std::size_t k = 0; k < model.tilts[s].size(); ++k) {
      const auto& rt = model.tilts[s][k];
      char line[320];
      std::snprintf(line, sizeof line, "%zu,%zu,%d,%d,%.4f,%.4f,%.3f,%.3f,%.1f", s, k, rt.acquisition_order,
                    int(rt.reference), rt.geometry.tilt_deg, rt.geometry.axis_deg, rt.geometry.shift_x_A,
                    rt.geometry.shift_y_A, rt.defocus_offset_A);
      t += line;
      if (project.truth) {
        const auto& tr = project.truth->tilts.at(s).at(k);
        std::snprintf(line, sizeof line, ",%.4f,%.4f,%.3f,%.3f", tr.refined_tilt_deg, tr.tilt_axis_deg, tr.shift_x_A,
                      tr.shift_y_A);
        t += line;
      }
      t += "\n";
    }
  return t;
}

template <class T>
std::string shell_table_csv(const std::vector<std::vector<T>>& table) {
  std::string out = "acquisition_order";
  const std::size_t shells = table.empty() ? 0 : table.front().size();
  for (std::size_t i = 0; i < shells; ++i) out += ",shell_" + std::to_string(i);
  out += "\n";
  char cell[32];
  for (std::size_t o = 0; o < table.size(); ++o) {
    out += std::to_string(o);
    for (const T v : table[o]) {
      std::snprintf(cell, sizeof cell, ",%.6g", double(v));
      out += cell;
    }
    out += "\n";
  }
  return out;
}

template std::string shell_table_csv<float>(const std::vector<std::vector<float>>&);
template std::string shell_table_csv<double>(const std::vector<std::vector<double>>&);

std::string exposure_scores_csv(const std::vector<ExposureInfo>& exposures, const std::vector<double>& mean_tilt_deg,
                                const std::vector<ExposureFit>& fits, const std::string& fit_column) {
  const bool with_fit = !fit_column.empty() && fits.size() == exposures.size();
  std::string out = "acquisition_order,mean_tilt_deg,mean_score,n_projections,prior_dose_e_per_A2";
  out += with_fit ? "," + fit_column + "\n" : "\n";
  char line[200];
  for (std::size_t o = 0; o < exposures.size(); ++o) {
    std::snprintf(line, sizeof line, "%zu,%.3f,%.6f,%zu,%.3f", o, o < mean_tilt_deg.size() ? mean_tilt_deg[o] : 0.0,
                  exposures[o].mean_score, exposures[o].n_projections, exposures[o].prior_dose_e_per_A2);
    out += line;
    if (with_fit) {
      if (fits[o].fitted) std::snprintf(line, sizeof line, ",%.3f", fits[o].decay);
      else std::snprintf(line, sizeof line, ",");
      out += line;
    }
    out += "\n";
  }
  return out;
}

}  // namespace cspt
