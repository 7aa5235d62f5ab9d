// Extraction of particle projections from raw tilt series.
#include "cspt/recon/extract.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "cspt/core/euler.hpp"
#include "cspt/core/tilt_geometry.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/recon/box_cut.hpp"
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

namespace {

/// A read of one tilt series' raw stack failed; `error` names the stack, the series and the section.
struct UnreadableStack {
  IoError error;
};

/// Runs a read of series `series`' raw stack, turning its failure into UnreadableStack.
template <class F>
auto reading(const std::string& series, F&& read) {
  try {
    return read();
  } catch (const Error& e) {
    throw UnreadableStack{in_tilt_series(e, series)};
  }
}

/// What the cut of one tilt series shares with the others.
struct CutState {
  const Project& project;
  const std::vector<ParticleRecord>& particles;
  const std::vector<ProjectionRecord>& projections;
  std::string project_dir;
  int box = 0;   ///< output box (binned pixels)
  int bin = 1;
  double raw_px = 0.0;
  float contrast_sign = 1.0f;
  std::optional<io::MrcStackWriter>& writer;  ///< empty: metadata only (on-the-fly extraction)
  int sections = 0;                           ///< boxes placed so far (the stack's sections)
  std::size_t outside = 0;
  std::vector<int> kept_per_particle;
};

Projection projection_of(const CutState& c, const ProjectionRecord& pr, const TiltImageGeometry& g,
                         const Eigen::Vector2d& u, int ix, int iy, int section) {
  const auto& p = c.particles[std::size_t(pr.particle)];
  Projection proj;
  proj.image = {0, section};
  const auto e = euler_zyz_from_matrix(projection_matrix(g, matrix_from_euler_zyz({p.rot_deg, p.tilt_deg, p.psi_deg})));
  proj.rot_deg = e.rot_deg;
  proj.tilt_deg = e.tilt_deg;
  proj.psi_deg = e.psi_deg;
  // The particle sits at (u - i) pixels from the box centre; RELION's origin is minus that.
  // In Angstrom, the same at any binning: the binned box keeps the raw box's centre.
  proj.shift_x_A = -(u.x() - ix) * c.raw_px;
  proj.shift_y_A = -(u.y() - iy) * c.raw_px;
  proj.ctf.voltage_kV = c.project.optics.voltage_kV;
  proj.ctf.cs_mm = c.project.optics.cs_mm;
  proj.ctf.amplitude_contrast = c.project.optics.amplitude_contrast;
  proj.ctf.defocus_u_A = pr.defocus_u_A;
  proj.ctf.defocus_v_A = pr.defocus_v_A;
  proj.ctf.defocus_angle_deg = pr.defocus_angle_deg;
  proj.particle = pr.particle;
  proj.half = p.half;
  proj.tilt = pr.tilt;
  return proj;
}

/// One projection cut from a series, with where it was cut (raw stack index `raw_stack`).
struct Cut {
  Projection projection;
  RawCut raw;
};

/// Cuts the projections `list` of tilt series `ts` into the stack, tilt by tilt; returns them in
/// canonical order (particle, tilt), each with its raw cut in stack `raw_stack`. A failed read
/// throws UnreadableStack.
std::vector<Cut> cut_series(CutState& c, const TiltSeriesRecord& ts, const std::vector<TiltRecord>& tilts,
                            const std::vector<std::size_t>& list, int raw_stack) {
  const std::string raw_path = (std::filesystem::path(c.project_dir) / ts.stack_path).string();
  const io::MrcReader raw = reading(ts.name, [&] { return io::MrcReader(raw_path); });
  const int nx = raw.header().nx, ny = raw.header().ny, raw_box = c.box * c.bin;
  if (raw_box > nx || raw_box > ny) {
    throw ConfigError(raw_path, "box x bin", std::to_string(c.box) + " x " + std::to_string(c.bin) + " = " +
                      std::to_string(raw_box) + " px",
                      "a raw box no larger than the tilt images (" + std::to_string(nx) + " x " + std::to_string(ny) + " px)");
  }
  // One tilt image in memory at a time: boxes are written to the stack tilt by tilt, and the
  // projection list (particle, tilt order) points at them.
  std::vector<std::vector<std::size_t>> by_tilt(tilts.size());
  for (std::size_t i : list) by_tilt.at(std::size_t(c.projections[i].tilt)).push_back(i);
  std::vector<Cut> series_projections;
  std::vector<std::pair<int, int>> keys;  // (particle, tilt) of each, for the final order
  for (std::size_t k = 0; k < tilts.size(); ++k) {
    if (by_tilt[k].empty()) continue;
    const auto& t = tilts[k];
    // Metadata only: the positions need the stack's size, not its pixels.
    const Image im = c.writer ? reading(ts.name, [&] { return raw.read_section(t.section); }) : Image();
    const double mean = c.writer ? tilt_image_mean(im) : 0.0;
    const TiltImageGeometry g{t.refined_tilt_deg, t.tilt_axis_deg, t.shift_x_A, t.shift_y_A};
    for (std::size_t i : by_tilt[k]) {
      const auto& pr = c.projections[i];
      const auto& p = c.particles[std::size_t(pr.particle)];
      const Eigen::Vector2d u = project_point_A(g, Eigen::Vector3d(p.x_A, p.y_A, p.z_A)) / c.raw_px + Eigen::Vector2d(nx / 2, ny / 2);
      const int ix = int(std::lround(u.x())), iy = int(std::lround(u.y()));
      if (!box_inside_image(nx, ny, ix, iy, raw_box)) {
        ++c.outside;  // the particle keeps its other tilts
        continue;
      }
      ++c.kept_per_particle[std::size_t(pr.particle)];
      const int section = c.sections++;
      if (c.writer) c.writer->append(cut_box(im, mean, ix, iy, c.box, c.bin, c.contrast_sign));
      series_projections.push_back({projection_of(c, pr, g, u, ix, iy, section), {raw_stack, t.section, ix, iy}});
      keys.emplace_back(pr.particle, pr.tilt);
    }
  }
  std::vector<std::size_t> order(series_projections.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  std::vector<Cut> out;
  for (std::size_t i : order) out.push_back(series_projections[i]);
  return out;
}

}  // namespace

ParticleSet extract_particles(const Project& project, const std::string& project_dir, int box,
                              const std::string& stack_path, GeometrySource geometry, bool relion_contrast,
                              std::size_t* skipped, UnreadableSeries on_unreadable,
                              std::vector<SkippedSeries>* skipped_series) {
  ExtractOptions o;
  o.box_px = box;
  o.geometry = geometry;
  o.relion_contrast = relion_contrast;
  o.on_unreadable = on_unreadable;
  return extract_particles(project, project_dir, o, stack_path, skipped, skipped_series);
}

ParticleSet extract_particles(const Project& project, const std::string& project_dir, const ExtractOptions& opts,
                              const std::string& stack_path, std::size_t* skipped,
                              std::vector<SkippedSeries>* skipped_series) {
  const int box = opts.box_px;
  if (opts.bin < 1) throw ConfigError(project_dir, "bin", std::to_string(opts.bin), "an integer >= 1");
  const GeometrySource geometry = opts.geometry;
  const bool use_truth = geometry == GeometrySource::truth;
  if (use_truth && !project.truth) throw IoError(project_dir, "/truth", "missing", "a simulated project");
  const auto& particles = use_truth ? project.truth->particles : project.particles;
  const auto& projections = use_truth ? project.truth->projections : project.projections;
  const double raw_px = project.optics.pixel_size_A;
  const double px = raw_px * opts.bin;

  ParticleSet set;
  set.source = project_dir;
  set.stack_paths = {stack_path};
  set.box_px = box;
  set.pixel_size_A = px;
  set.n_particles = int(particles.size());
  set.relion_ctf_sign = opts.relion_contrast;
  set.bin = opts.bin;

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

  std::optional<io::MrcStackWriter> writer;
  if (!stack_path.empty()) writer.emplace(stack_path, box, box, px);
  CutState c{project, particles, projections, project_dir, box, opts.bin, raw_px, opts.relion_contrast ? -1.0f : 1.0f,
             writer, 0, 0, std::vector<int>(particles.size(), 0)};
  std::vector<char> series_left_out(project.tilt_series.size(), 0);
  for (std::size_t s = 0; s < project.tilt_series.size(); ++s) {
    if (by_series[s].empty()) continue;
    const auto& ts = project.tilt_series[s];
    const auto& tilts = use_truth ? project.truth->tilts.at(s) : ts.tilts;
    // A series that fails half-way is taken back whole: no orphan boxes stay in the stack.
    const auto mark = writer ? writer->mark() : io::MrcStackWriter::Mark{};
    const int sections_before = c.sections;
    const std::size_t outside_before = c.outside;
    const std::vector<int> kept_before = c.kept_per_particle;
    try {
      const int raw_stack = int(set.raw_stack_paths.size());
      for (auto& cut : cut_series(c, ts, tilts, by_series[s], raw_stack)) {
        set.projections.push_back(cut.projection);
        if (!writer) set.raw_cuts.push_back(cut.raw);
      }
      if (!writer) set.raw_stack_paths.push_back((std::filesystem::path(project_dir) / ts.stack_path).string());
    } catch (const UnreadableStack& u) {
      if (opts.on_unreadable == UnreadableSeries::stop) throw u.error;
      if (writer) writer->rewind(mark);
      c.sections = sections_before;
      c.outside = outside_before;
      c.kept_per_particle = kept_before;
      series_left_out[s] = 1;
      if (skipped_series) skipped_series->push_back({ts.name, u.error.where(), u.error.what()});
    }
  }
  if (c.sections == 0) throw IoError(project_dir, "projections", "0", "at least one projection to extract");
  std::vector<char> has_records(particles.size(), 0);
  for (const auto& pr : projections) has_records[std::size_t(pr.particle)] = 1;
  for (std::size_t i = 0; i < particles.size(); ++i) {
    if (has_records[i] && c.kept_per_particle[i] == 0 && !series_left_out[std::size_t(particles[i].tilt_series)]) {
      throw IoError(project_dir, "particle " + std::to_string(i),
                    "(" + std::to_string(particles[i].x_A) + ", " + std::to_string(particles[i].y_A) + ", " +
                        std::to_string(particles[i].z_A) + ") A",
                    "a position whose box lies inside at least one tilt image");
    }
  }
  if (skipped) *skipped = c.outside;
  if (writer) writer->close();
  return set;
}

}  // namespace cspt
