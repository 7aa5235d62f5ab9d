// Report section "Orientations": the distribution of particle view directions, and of the view
// directions of every projection when the refinement wrote them.
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cspt/report/orientation_data.hpp"
#include "cspt/report/svg_plot.hpp"
#include "cspt/util/error.hpp"
#include "report_parts.hpp"

namespace cspt::report::detail {
namespace fs = std::filesystem;
namespace {

constexpr int kRotBins = 36, kTiltBins = 18;  // 10-degree bins

std::string distribution_svg(const AngularHistogram& h, const std::string& title) {
  HeatMap m;
  m.title = title;
  m.x_label = "rot (deg)";
  m.y_label = "tilt (deg)";
  m.colour_label = "count";
  m.nx = h.n_rot;
  m.ny = h.n_tilt;
  m.values = h.counts;
  m.x_extent = {-180.0, 180.0};
  m.y_extent = {0.0, 180.0};
  return heat_map_svg(m);
}

/// The angles of projections.csv, read line by line: the table has a line per particle and tilt
/// (over a million for a paper-sized dataset), of which only three columns are needed here.
std::vector<EulerZyzDeg> projection_angles(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) throw IoError(path, "header line", "", "a CSV header naming the columns");
  const NumericCsv header = parse_numeric_csv(path, line + "\n");
  const int r = header.index("rot_deg"), t = header.index("tilt_deg"), p = header.index("psi_deg");
  if (r < 0 || t < 0 || p < 0) throw IoError(path, "columns", line, "rot_deg, tilt_deg and psi_deg");
  std::vector<EulerZyzDeg> angles;
  std::vector<double> cells;
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    cells.clear();
    for (const char* c = line.c_str();; ++c) {
      char* end = nullptr;
      cells.push_back(std::strtod(c, &end));
      c = std::strchr(end, ',');
      if (!c) break;
    }
    if (cells.size() != header.columns.size())
      throw IoError(path, "line " + std::to_string(n), line, std::to_string(header.columns.size()) + " columns");
    angles.push_back({cells[std::size_t(r)], cells[std::size_t(t)], cells[std::size_t(p)]});
  }
  return angles;
}

}  // namespace

Section orientation_section(const ReportData& d, FigureWriter& w) {
  Section s{"orientations", "Orientations",
            "How the particles' view directions cover the sphere: counts in 10-degree bins of the ZYZ angles rot and "
            "tilt (psi, the in-plane angle, does not change the view). Bins near tilt 0 and 180 cover less of the "
            "sphere, so they hold fewer views even for a uniform distribution.",
            {}, {}, {}};
  const Project& p = d.oriented();
  if (p.particles.empty()) {
    s.absent.push_back("The project has no particles: no angular distribution.");
  } else {
    s.facts.push_back({"orientations from", d.oriented_source});
    const AngularHistogram h = angular_histogram(particle_angles(p), kRotBins, kTiltBins);
    s.figures.push_back(w.svg_figure("angular_distribution", "Particle view directions",
                                     "Orientations of the " + std::to_string(p.particles.size()) +
                                         " particles in the tomogram frame.",
                                     distribution_svg(h, "Particle view directions"),
                                     {{"angular_distribution", angular_histogram_table(h)}}));
  }
  const fs::path proj = d.refine && !d.refine->last_dir.empty() ? fs::path(d.refine->last_dir) / "projections.csv" : fs::path();
  if (!proj.empty() && fs::exists(proj)) {
    const auto angles = projection_angles(proj.string());
    const AngularHistogram h = angular_histogram(angles, kRotBins, kTiltBins);
    s.figures.push_back(w.svg_figure("projection_distribution", "Projection view directions",
                                     "View directions of all " + std::to_string(angles.size()) +
                                         " particle projections (each particle seen at every tilt), last iteration.",
                                     distribution_svg(h, "Projection view directions"),
                                     {{"projection_distribution", angular_histogram_table(h)}}));
  }
  return s;
}

}  // namespace cspt::report::detail
