// Figure data of the final map: central sections and projections along x, y and z, as images, their
// statistics, and the grey pictures the page shows.
#pragma once

#include <string>
#include <vector>

#include "cspt/core/image.hpp"
#include "cspt/core/volume.hpp"
#include "cspt/io/png.hpp"
#include "cspt/report/csv_table.hpp"

namespace cspt::report {

enum class Axis { x, y, z };

/// The plane through the centre voxel (n/2) perpendicular to `axis`. The image's own axes are, in
/// order: for z, (x, y); for y, (x, z); for x, (y, z).
Image central_section(const Volume& v, Axis axis);

/// The sum of the voxels along `axis` (same image axes as central_section).
Image projection(const Volume& v, Axis axis);

/// One picture of the map.
struct MapView {
  std::string name;  ///< e.g. "section_z", "projection_x"
  Axis axis = Axis::z;
  bool is_projection = false;
  Image image;
  double display_lo = 0.0, display_hi = 0.0;  ///< grey range: the 0.5th and 99.5th percentiles
};

/// Sections along x, y, z, then projections along x, y, z.
std::vector<MapView> map_views(const Volume& v);

/// view, kind (section|projection), axis, width_px, height_px, min, max, mean, sd, display_lo,
/// display_hi: one row per view.
Table map_views_table(const std::vector<MapView>& views);

/// The view as a grey picture (y up), each pixel enlarged `zoom` times (nearest neighbour) so that
/// small boxes stay visible.
io::RgbImage view_picture(const MapView& view, int zoom);

/// The zoom that makes an n-pixel box at least `min_px` wide (1 when it already is).
int zoom_for(int n, int min_px);

}  // namespace cspt::report
