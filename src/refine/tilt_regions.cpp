// Per-region tilt shifts: the region grid, the assignment of particles, and the table of corrections.
#include "cspt/refine/tilt_regions.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "cspt/refine/refine_model.hpp"
#include "cspt/util/error.hpp"

namespace cspt {

TiltRegionGrid parse_tilt_region_grid(const std::string& text, const std::string& section, const std::string& key) {
  const std::string expected = "NX,NY or NX,NY,NZ: regions per axis, integers 1..16 (1,1 = off)";
  std::vector<int> n;
  std::stringstream ss(text);
  std::string cell;
  while (std::getline(ss, cell, ',')) {
    std::size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(cell, &used);
    } catch (const std::exception&) {
      throw ConfigError(section, key, text, expected);
    }
    while (used < cell.size() && cell[used] == ' ') ++used;
    if (used != cell.size() || v < 1 || v > 16) throw ConfigError(section, key, text, expected);
    n.push_back(v);
  }
  if (n.size() < 2 || n.size() > 3 || text.back() == ',') throw ConfigError(section, key, text, expected);
  TiltRegionGrid g;
  g.nx = n[0];
  g.ny = n[1];
  g.nz = n.size() == 3 ? n[2] : 1;
  return g;
}

namespace {

// Cell of value v in [lo, hi] divided into n equal parts (a degenerate span is one cell).
int cell_of(double v, double lo, double hi, int n) {
  if (n <= 1 || hi <= lo) return 0;
  return std::clamp(int(std::floor((v - lo) / (hi - lo) * n)), 0, n - 1);
}

}  // namespace

TiltRegions assign_tilt_regions(const RefineModel& model, const TiltRegionGrid& grid) {
  TiltRegions r;
  r.grid = grid;
  if (!grid.on()) return r;
  const std::size_t n_series = model.tilts.size();
  std::vector<Eigen::Vector3d> lo(n_series, Eigen::Vector3d::Constant(1e300)), hi(n_series, Eigen::Vector3d::Constant(-1e300));
  for (const auto& p : model.particles) {
    lo[std::size_t(p.series)] = lo[std::size_t(p.series)].cwiseMin(p.position_A);
    hi[std::size_t(p.series)] = hi[std::size_t(p.series)].cwiseMax(p.position_A);
  }
  r.particles.assign(n_series, std::vector<int>(std::size_t(grid.count()), 0));
  for (const auto& p : model.particles) {
    const auto s = std::size_t(p.series);
    const int ix = cell_of(p.position_A.x(), lo[s].x(), hi[s].x(), grid.nx);
    const int iy = cell_of(p.position_A.y(), lo[s].y(), hi[s].y(), grid.ny);
    const int iz = cell_of(p.position_A.z(), lo[s].z(), hi[s].z(), grid.nz);
    const int region = (iz * grid.ny + iy) * grid.nx + ix;
    r.region_of_particle.push_back(region);
    ++r.particles[s][std::size_t(region)];
  }
  for (std::size_t s = 0; s < n_series; ++s)
    r.shift_A.emplace_back(std::size_t(grid.count()) * model.tilts[s].size(), Eigen::Vector2d::Zero());
  return r;
}

Eigen::Vector2d region_shift_A(const RefineModel& model, const RefineProjection& j) {
  const TiltRegions& r = model.regions;
  if (!r.enabled()) return Eigen::Vector2d::Zero();
  const auto s = std::size_t(j.series);
  const auto region = std::size_t(r.region_of_particle[std::size_t(j.particle)]);
  return r.shift_A[s][region * model.tilts[s].size() + std::size_t(j.tilt)];
}

std::string region_shifts_csv(const RefineModel& model) {
  std::string out = "series,region,tilt,particles,shift_x_A,shift_y_A\n";
  const TiltRegions& r = model.regions;
  if (!r.enabled()) return out;
  char line[160];
  for (std::size_t s = 0; s < model.tilts.size(); ++s)
    for (int g = 0; g < r.grid.count(); ++g)
      for (std::size_t t = 0; t < model.tilts[s].size(); ++t) {
        const Eigen::Vector2d& d = r.shift_A[s][std::size_t(g) * model.tilts[s].size() + t];
        // %.17g: a resumed run continues from exactly the values the uninterrupted one had.
        std::snprintf(line, sizeof line, "%zu,%d,%zu,%d,%.17g,%.17g\n", s, g, t, r.particles[s][std::size_t(g)], d.x(), d.y());
        out += line;
      }
  return out;
}

void read_region_shifts_csv(const std::string& path, const std::string& text, RefineModel& model) {
  TiltRegions& r = model.regions;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  int n = 1;
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    std::size_t s = 0, t = 0;
    int g = 0, count = 0;
    double x = 0, y = 0;
    const bool ok = std::sscanf(line.c_str(), "%zu,%d,%zu,%d,%lf,%lf", &s, &g, &t, &count, &x, &y) == 6 &&
                    r.enabled() && s < model.tilts.size() && g >= 0 && g < r.grid.count() &&
                    t < model.tilts[s].size() && count == r.particles[s][std::size_t(g)];
    if (!ok)
      throw IoError(path, "line " + std::to_string(n), line,
                    "series,region,tilt,particles,shift_x_A,shift_y_A of this run's regions");
    r.shift_A[s][std::size_t(g) * model.tilts[s].size() + t] = {x, y};
    ++rows;
  }
  std::size_t expected = 0;
  for (const auto& v : r.shift_A) expected += v.size();
  if (rows != expected)
    throw IoError(path, "rows", std::to_string(rows), std::to_string(expected) + ", one per series, region and tilt");
}

}  // namespace cspt
