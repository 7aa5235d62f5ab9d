// Extraction of particle projections from raw tilt series.
#include "cspt/recon/extract.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "cspt/core/euler.hpp"
#include "cspt/core/tilt_geometry.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"

namespace cspt {

std::vector<ProjectionRecord> projections_from_tilt_ctf(const Project& project, GeometrySource geometry,
                                                        double handedness) {
  const bool use_truth = geometry == GeometrySource::truth;
  if (use_truth && !project.truth) throw IoError("project", "/truth", "missing", "a simulated project");
  const auto& particles = use_truth ? project.truth->particles : project.particles;
  std::vector<ProjectionRecord> out;
  for (std::size_t i = 0; i < particles.size(); ++i) {
    const auto& p = particles[i];
    const auto& ts = project.tilt_series.at(std::size_t(p.tilt_series));
    const auto& tilts = use_truth ? project.truth->tilts.at(std::size_t(p.tilt_series)) : ts.tilts;
    const double hand = handedness != 0.0 ? handedness : (ts.defocus_handedness != 0.0 ? ts.defocus_handedness : 1.0);
    for (std::size_t t = 0; t < tilts.size(); ++t) {
      const auto& tr = tilts[t];
      if (tr.defocus_u_A <= 0) {
        throw IoError("project", "/tilt_series/" + ts.name + "/tilts/defocus_u_A", std::to_string(tr.defocus_u_A),
                      "a fitted defocus for every tilt (run cspt ctf first)");
      }
      const TiltImageGeometry g{tr.refined_tilt_deg, tr.tilt_axis_deg, tr.shift_x_A, tr.shift_y_A};
      const double dz = -hand * height_A(g, Eigen::Vector3d(p.x_A, p.y_A, p.z_A));
      out.push_back({int(i), int(t), tr.defocus_u_A + dz, tr.defocus_v_A + dz, tr.defocus_angle_deg, 0.0});
    }
  }
  return out;
}

ParticleSet extract_particles(const Project& project, const std::string& project_dir, int box,
                              const std::string& stack_path, GeometrySource geometry, bool relion_contrast,
                              std::size_t* skipped) {
  const bool use_truth = geometry == GeometrySource::truth;
  if (use_truth && !project.truth) throw IoError(project_dir, "/truth", "missing", "a simulated project");
  const auto& particles = use_truth ? project.truth->particles : project.particles;
  const auto& projections = use_truth ? project.truth->projections : project.projections;
  const double px = project.optics.pixel_size_A;

  ParticleSet set;
  set.source = project_dir;
  set.stack_paths = {stack_path};
  set.box_px = box;
  set.pixel_size_A = px;
  set.n_particles = int(particles.size());
  set.relion_ctf_sign = relion_contrast;
  const float contrast_sign = relion_contrast ? -1.0f : 1.0f;

  // Projections grouped by tilt series so each raw stack is opened once.
  std::vector<std::vector<std::size_t>> by_series(project.tilt_series.size());
  for (std::size_t i = 0; i < projections.size(); ++i)
    by_series.at(std::size_t(particles.at(std::size_t(projections[i].particle)).tilt_series)).push_back(i);
  // Canonical order, whatever the order of the records: by particle, then by tilt, so that all
  // projections of a particle are contiguous in the stack.
  for (auto& list : by_series)
    std::sort(list.begin(), list.end(), [&](std::size_t a, std::size_t b) {
      return std::pair(projections[a].particle, projections[a].tilt) < std::pair(projections[b].particle, projections[b].tilt);
    });

  io::MrcStackWriter writer(stack_path, box, box, px);
  int section = 0;
  std::size_t outside = 0;
  std::vector<int> kept_per_particle(particles.size(), 0);
  for (std::size_t s = 0; s < project.tilt_series.size(); ++s) {
    if (by_series[s].empty()) continue;
    const auto& ts = project.tilt_series[s];
    const auto& tilts = use_truth ? project.truth->tilts.at(s) : ts.tilts;
    io::MrcReader raw((std::filesystem::path(project_dir) / ts.stack_path).string());
    const int nx = raw.header().nx, ny = raw.header().ny;
    // One tilt image in memory at a time: boxes are written to the stack tilt by tilt, and the
    // projection list (particle, tilt order) points at them.
    std::vector<std::vector<std::size_t>> by_tilt(tilts.size());
    for (std::size_t i : by_series[s]) by_tilt.at(std::size_t(projections[i].tilt)).push_back(i);
    std::vector<Projection> series_projections;
    std::vector<std::pair<int, int>> keys;  // (particle, tilt) of each, for the final order
    for (std::size_t k = 0; k < tilts.size(); ++k) {
      if (by_tilt[k].empty()) continue;
      const auto& t = tilts[k];
      const Image im = raw.read_section(t.section);
      const double mean = std::accumulate(im.values().begin(), im.values().end(), 0.0) / double(im.size());
      const TiltImageGeometry g{t.refined_tilt_deg, t.tilt_axis_deg, t.shift_x_A, t.shift_y_A};
      for (std::size_t i : by_tilt[k]) {
        const auto& pr = projections[i];
        const auto& p = particles[std::size_t(pr.particle)];
        const Eigen::Vector2d u = project_point_A(g, Eigen::Vector3d(p.x_A, p.y_A, p.z_A)) / px + Eigen::Vector2d(nx / 2, ny / 2);
        const int ix = int(std::lround(u.x())), iy = int(std::lround(u.y()));
        if (ix - box / 2 < 0 || iy - box / 2 < 0 || ix - box / 2 + box > nx || iy - box / 2 + box > ny) {
          ++outside;  // the particle keeps its other tilts
          continue;
        }
        Image cut(box, box, px);
        for (int y = 0; y < box; ++y)
          for (int x = 0; x < box; ++x)
            cut.at(x, y) = mean > 0 ? contrast_sign * float(im.at(ix - box / 2 + x, iy - box / 2 + y) / mean - 1.0) : 0.0f;
        ++kept_per_particle[std::size_t(pr.particle)];
        writer.append(cut);
        Projection proj;
        proj.image = {0, section++};
        const auto e = euler_zyz_from_matrix(projection_matrix(g, matrix_from_euler_zyz({p.rot_deg, p.tilt_deg, p.psi_deg})));
        proj.rot_deg = e.rot_deg;
        proj.tilt_deg = e.tilt_deg;
        proj.psi_deg = e.psi_deg;
        // The particle sits at (u - i) pixels from the box centre; RELION's origin is minus that.
        proj.shift_x_A = -(u.x() - ix) * px;
        proj.shift_y_A = -(u.y() - iy) * px;
        proj.ctf.voltage_kV = project.optics.voltage_kV;
        proj.ctf.cs_mm = project.optics.cs_mm;
        proj.ctf.amplitude_contrast = project.optics.amplitude_contrast;
        proj.ctf.defocus_u_A = pr.defocus_u_A;
        proj.ctf.defocus_v_A = pr.defocus_v_A;
        proj.ctf.defocus_angle_deg = pr.defocus_angle_deg;
        proj.particle = pr.particle;
        proj.half = p.half;
        proj.tilt = pr.tilt;
        series_projections.push_back(proj);
        keys.emplace_back(pr.particle, pr.tilt);
      }
    }
    std::vector<std::size_t> order(series_projections.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    for (std::size_t i : order) set.projections.push_back(series_projections[i]);
  }
  if (section == 0) throw IoError(project_dir, "projections", "0", "at least one projection to extract");
  std::vector<char> has_records(particles.size(), 0);
  for (const auto& pr : projections) has_records[std::size_t(pr.particle)] = 1;
  for (std::size_t i = 0; i < particles.size(); ++i) {
    if (has_records[i] && kept_per_particle[i] == 0) {
      throw IoError(project_dir, "particle " + std::to_string(i),
                    "(" + std::to_string(particles[i].x_A) + ", " + std::to_string(particles[i].y_A) + ", " +
                        std::to_string(particles[i].z_A) + ") A",
                    "a position whose box lies inside at least one tilt image");
    }
  }
  if (skipped) *skipped = outside;
  writer.close();
  return set;
}

}  // namespace cspt
