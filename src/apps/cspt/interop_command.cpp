// cspt export imod / cspt import imod: tilt angles and alignments as IMOD files, per tilt series.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <filesystem>

#include "apps/cspt/cli.hpp"
#include "apps/cspt/commands.hpp"
#include "apps/cspt/output_dir.hpp"
#include "cspt/io/imod.hpp"
#include "cspt/io/mdoc_import.hpp"
#include "cspt/io/relion_tomo.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace {
namespace fs = std::filesystem;

/// Tilts of a series in stack order (IMOD files list views by section).
std::vector<std::size_t> stack_order(const std::vector<TiltRecord>& tilts) {
  std::vector<std::size_t> order(tilts.size());
  for (std::size_t i = 0; i < tilts.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return tilts[a].section < tilts[b].section; });
  return order;
}

}  // namespace

/// cspt import mdoc: a tilt series (stack + .mdoc) added to a project (created if missing).
int import_mdoc(parallel::Context& ctx, std::vector<std::string> args) {
  std::string project_path, stack, mdoc, name;
  double cs = 2.7, q0 = 0.07;
  CLI::App cli{"Add a SerialEM tilt series (stack + .mdoc) to a project.", "cspt import mdoc"};
  cli.add_option("-p,--project", project_path, "project file (created if missing)")->required();
  cli.add_option("--stack", stack, "raw tilt stack (MRC)")->required();
  cli.add_option("--mdoc", mdoc, "SerialEM .mdoc (default: STACK.mdoc)");
  cli.add_option("--name", name, "tilt-series name (default: the stack's file name)");
  cli.add_option("--cs", cs, "spherical aberration, mm (new project)");
  cli.add_option("--amp-contrast", q0, "amplitude contrast (new project)");
  if (!parse_command_line(cli, args, ctx.is_root())) return 0;
  if (!ctx.is_root()) return 0;
  if (mdoc.empty()) mdoc = stack + ".mdoc";
  if (name.empty()) name = fs::path(stack).stem().string();
  Project p;
  const bool exists = fs::exists(project_path);
  if (exists) p = io::read_project(project_path);
  double px = 0, kv = 300;
  const fs::path base = fs::absolute(project_path).parent_path();
  TiltSeriesRecord ts = io::tilt_series_from_mdoc(mdoc, stack, name, px, kv);
  ts.stack_path = fs::relative(fs::absolute(stack), base).string();
  ts.mdoc_path = fs::relative(fs::absolute(mdoc), base).string();
  if (px <= 0) throw IoError(mdoc, "PixelSpacing", "missing", "the pixel size in the .mdoc globals");
  for (const auto& other : p.tilt_series)
    if (other.name == name) throw ConfigError("command line", "--name", name, "a name not already in " + project_path);
  if (!exists) {
    p.optics.voltage_kV = kv;
    p.optics.cs_mm = cs;
    p.optics.amplitude_contrast = q0;
    p.optics.pixel_size_A = px;
    p.optics.detector_nx_px = ts.nx_px;
    p.optics.detector_ny_px = ts.ny_px;
    p.created_by = "cspt import mdoc 0.1.0";
  } else if (std::abs(p.optics.pixel_size_A - px) > 0.005 * px) {
    throw IoError(mdoc, "PixelSpacing", std::to_string(px), "the project's pixel size " + std::to_string(p.optics.pixel_size_A));
  }
  p.tilt_series.push_back(ts);
  io::write_project(project_path, p);
  std::printf("cspt import mdoc: %s, %zu tilts (%.1f to %.1f deg) into %s\n", name.c_str(), ts.tilts.size(),
              std::min_element(ts.tilts.begin(), ts.tilts.end(), [](auto& a, auto& b) { return a.nominal_tilt_deg < b.nominal_tilt_deg; })->nominal_tilt_deg,
              std::max_element(ts.tilts.begin(), ts.tilts.end(), [](auto& a, auto& b) { return a.nominal_tilt_deg < b.nominal_tilt_deg; })->nominal_tilt_deg,
              project_path.c_str());
  return 0;
}

/// cspt export relion / cspt import relion: RELION-5 tilt-series STAR files.
int relion_tilt_series(parallel::Context& ctx, const std::string& direction, std::vector<std::string> args) {
  std::string project_path, path;
  CLI::App cli{"RELION-5 tomography STAR files of the tilt series.", "cspt " + direction + " relion"};
  cli.add_option("-p,--project", project_path, "project file")->required();
  if (direction == "export") cli.add_option("-o,--out", path, "folder for tilt_series.star and tilt_series/")->required();
  else cli.add_option("--star", path, "a RELION-5 tilt_series.star")->required();
  if (!parse_command_line(cli, args, ctx.is_root())) return 0;
  if (!ctx.is_root()) return 0;
  const std::string project_dir = fs::absolute(project_path).parent_path().string();
  if (direction == "export") {
    const Project p = io::read_project(project_path);
    io::write_relion5_tilt_series(path, p, project_dir);
    std::printf("cspt export relion: %zu tilt series to %s/tilt_series.star\n", p.tilt_series.size(), path.c_str());
    return 0;
  }
  Project p;
  if (fs::exists(project_path)) p = io::read_project(project_path);
  const std::size_t before = p.tilt_series.size();
  io::read_relion5_tilt_series(path, p, project_dir);
  for (std::size_t i = before; i < p.tilt_series.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (p.tilt_series[j].name == p.tilt_series[i].name)
        throw IoError(path, "rlnTomoName", p.tilt_series[i].name, "a name not already in " + project_path);
  if (p.created_by.empty()) p.created_by = "cspt import relion 0.1.0";
  io::write_project(project_path, p);
  std::printf("cspt import relion: %zu tilt series into %s\n", p.tilt_series.size() - before, project_path.c_str());
  return 0;
}

/// cspt import coords: particle positions from a plain list (x y z per line, tomogram pixels at a
/// stated binning, origin at the tomogram's first voxel), added to a tilt series as picks.
int import_coords(parallel::Context& ctx, std::vector<std::string> args) {
  std::string project_path, file, series;
  double binning = 1.0, tomo_z_px = 0.0;
  CLI::App cli{"Particle picks from a coordinate list (x y z in tomogram pixels).", "cspt import coords"};
  cli.add_option("-p,--project", project_path, "project file")->required();
  cli.add_option("--series", series, "tilt-series name the particles belong to")->required();
  cli.add_option("--file", file, "text file: x y z per line (pixels of the binned tomogram)")->required();
  cli.add_option("--binning", binning, "binning of the tomogram the coordinates refer to");
  cli.add_option("--tomo-z-px", tomo_z_px, "tomogram thickness in unbinned pixels (z origin at its first slice)")->required();
  if (!parse_command_line(cli, args, ctx.is_root())) return 0;
  if (!ctx.is_root()) return 0;
  if (binning <= 0) throw ConfigError("command line", "--binning", std::to_string(binning), "> 0");
  Project p = io::read_project(project_path);
  int index = -1;
  for (std::size_t i = 0; i < p.tilt_series.size(); ++i)
    if (p.tilt_series[i].name == series) index = int(i);
  if (index < 0) throw ConfigError("command line", "--series", series, "a tilt series of " + project_path);
  const auto& ts = p.tilt_series[std::size_t(index)];
  const double px = p.optics.pixel_size_A;
  std::ifstream in(file);
  if (!in) throw IoError(file, "file", "", "a readable coordinate list");
  std::string line;
  int number = 0, added = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    std::istringstream ss(line);
    double x, y, z;
    if (!(ss >> x >> y >> z)) throw IoError(file + ":" + std::to_string(number), "line", line, "x y z (numbers)");
    // Tomogram pixels (binned, origin at the first voxel) -> Angstrom from the tomogram centre, whose
    // x and y extents are the tilt images' and whose z extent is --tomo-z-px.
    ParticleRecord r;
    r.tilt_series = index;
    r.x_A = (x * binning - ts.nx_px / 2.0) * px;
    r.y_A = (y * binning - ts.ny_px / 2.0) * px;
    r.z_A = (z * binning - tomo_z_px / 2.0) * px;
    r.half = 1 + int(p.particles.size()) % 2;
    p.particles.push_back(r);
    ++added;
  }
  if (added == 0) throw IoError(file, "coordinates", "0", "at least one particle");
  io::write_project(project_path, p);
  std::printf("cspt import coords: %d particles into %s of %s\n", added, series.c_str(), project_path.c_str());
  return 0;
}

int run_interop(parallel::Context& ctx, const std::string& direction, std::vector<std::string> args) {
  if (direction == "import" && !args.empty() && args[0] == "coords") return import_coords(ctx, {args.begin() + 1, args.end()});
  if (direction == "import" && !args.empty() && args[0] == "mdoc") return import_mdoc(ctx, {args.begin() + 1, args.end()});
  if (!args.empty() && args[0] == "relion") return relion_tilt_series(ctx, direction, {args.begin() + 1, args.end()});
  if (args.empty() || args[0] != "imod")
    throw ConfigError("command line", "format", args.empty() ? "" : args[0],
                      direction == "import" ? "imod, mdoc, relion or coords" : "imod or relion");
  args.erase(args.begin());
  std::string project_path, dir, geometry = "project";
  CLI::App cli{"IMOD tilt angles (.rawtlt, .tlt) and alignments (.xf), one set per tilt series.", "cspt " + direction + " imod"};
  cli.add_option("-p,--project", project_path, "project file")->required();
  cli.add_option(direction == "export" ? "-o,--out" : "--dir", dir, "folder of NAME.rawtlt, NAME.tlt, NAME.xf")->required();
  if (direction == "export") cli.add_option("--geometry", geometry, "project or truth (a simulation's)");
  if (!parse_command_line(cli, args, ctx.is_root())) return 0;
  if (!ctx.is_root()) return 0;
  Project p = io::read_project(project_path);
  const double px = p.optics.pixel_size_A;
  if (direction == "export") {
    if (geometry == "truth" && !p.truth) throw IoError(project_path, "/truth", "missing", "a simulated project");
    OutputDir out(dir);
    for (std::size_t s = 0; s < p.tilt_series.size(); ++s) {
      const auto& ts = p.tilt_series[s];
      const auto& tilts = geometry == "truth" ? p.truth->tilts[s] : ts.tilts;
      std::vector<double> raw, refined;
      std::vector<io::XfTransform> xf;
      for (auto i : stack_order(tilts)) {
        raw.push_back(tilts[i].nominal_tilt_deg);
        refined.push_back(tilts[i].refined_tilt_deg);
        xf.push_back(io::xf_from_geometry(tilts[i].tilt_axis_deg, tilts[i].shift_x_A, tilts[i].shift_y_A, ts.nx_px, ts.ny_px, px));
      }
      io::write_tilt_angles(out.staged(ts.name + ".rawtlt"), raw);
      io::write_tilt_angles(out.staged(ts.name + ".tlt"), refined);
      io::write_xf(out.staged(ts.name + ".xf"), xf);
    }
    out.commit();
    std::printf("cspt export imod: %zu tilt series to %s\n", p.tilt_series.size(), dir.c_str());
    return 0;
  }
  int imported = 0;
  for (auto& ts : p.tilt_series) {
    const fs::path tlt = fs::path(dir) / (ts.name + ".tlt"), xff = fs::path(dir) / (ts.name + ".xf");
    if (!fs::exists(tlt) && !fs::exists(xff)) continue;
    const auto order = stack_order(ts.tilts);
    if (fs::exists(tlt)) {
      const auto angles = io::read_tilt_angles(tlt.string());
      if (angles.size() != order.size())
        throw IoError(tlt.string(), "lines", std::to_string(angles.size()), std::to_string(order.size()) + " (one per view of " + ts.name + ")");
      for (std::size_t k = 0; k < order.size(); ++k) ts.tilts[order[k]].refined_tilt_deg = angles[k];
    }
    if (fs::exists(xff)) {
      const auto xf = io::read_xf(xff.string());
      if (xf.size() != order.size())
        throw IoError(xff.string(), "lines", std::to_string(xf.size()), std::to_string(order.size()) + " (one per view of " + ts.name + ")");
      for (std::size_t k = 0; k < order.size(); ++k) {
        auto& t = ts.tilts[order[k]];
        io::geometry_from_xf(xf[k], ts.nx_px, ts.ny_px, px, t.tilt_axis_deg, t.shift_x_A, t.shift_y_A);
      }
    }
    ++imported;
  }
  if (imported == 0) throw IoError(dir, "NAME.tlt / NAME.xf", "none found", "IMOD files named after the project's tilt series");
  io::write_project(project_path, p);
  std::printf("cspt import imod: alignments of %d tilt series into %s\n", imported, project_path.c_str());
  return 0;
}

}  // namespace cspt::app
