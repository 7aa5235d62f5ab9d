// Per-region tilt shifts (nextPYP's csp_Grid regions): each series' tomogram is divided into a grid
// of regions by its particles' positions, and every (region, tilt) gets its own 2D shift on top of
// the tilt's geometry, for sample motion that differs across the field of view.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

namespace cspt {

struct RefineModel;
struct RefineProjection;

/// The grid of regions and when a region is refined. 1 x 1 x 1 = regions off.
struct TiltRegionGrid {
  int nx = 1, ny = 1, nz = 1;
  /// A region with fewer particles keeps the tilt's shift (its correction stays zero).
  int min_particles = 5;
  bool on() const { return nx * ny * nz > 1; }
  int count() const { return nx * ny * nz; }
};

/// "NX,NY" or "NX,NY,NZ" (each 1..16); ConfigError(section, key, text, ...) otherwise.
TiltRegionGrid parse_tilt_region_grid(const std::string& text, const std::string& section, const std::string& key);

/// The regions of a model and their shift corrections. Empty `region_of_particle` = regions off.
struct TiltRegions {
  TiltRegionGrid grid;
  std::vector<int> region_of_particle;               ///< per particle: its region in its series
  std::vector<std::vector<int>> particles;           ///< [series][region]: how many particles
  std::vector<std::vector<Eigen::Vector2d>> shift_A; ///< [series][region * n_tilts + tilt]: added to the image position
  bool enabled() const { return !region_of_particle.empty(); }
  /// Whether (series, region) has its own shifts (enough particles).
  bool active(std::size_t series, int region) const {
    return particles[series][std::size_t(region)] >= grid.min_particles;
  }
};

/// Regions from the particles' positions in `model` (the run's start, so the assignment never
/// changes): per series, the box spanned by its particles' (x, y, z) in the tomogram frame, divided
/// evenly into nx x ny x nz. Shifts all zero. Off (empty) when the grid is 1 x 1 x 1.
TiltRegions assign_tilt_regions(const RefineModel& model, const TiltRegionGrid& grid);

/// The region correction of one projection (zero when regions are off).
Eigen::Vector2d region_shift_A(const RefineModel& model, const RefineProjection& j);

/// One line per (series, region, tilt): series,region,tilt,particles,shift_x_A,shift_y_A.
std::string region_shifts_csv(const RefineModel& model);

/// Read the table `region_shifts_csv` wrote into `model.regions` (assigned with the same grid);
/// IoError naming `path` and the line on anything else.
void read_region_shifts_csv(const std::string& path, const std::string& text, RefineModel& model);

}  // namespace cspt
