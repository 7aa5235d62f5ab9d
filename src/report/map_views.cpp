// Central sections and projections of a map, with statistics and enlarged grey pictures.
#include "cspt/report/map_views.hpp"

#include <algorithm>
#include <cmath>

#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {

const char* axis_name(Axis a) { return a == Axis::x ? "x" : a == Axis::y ? "y" : "z"; }

/// Image size for a view along `axis` and the voxel behind image pixel (i, j) at depth k.
struct Slicer {
  const Volume& v;
  Axis axis;
  int width() const { return axis == Axis::x ? v.ny() : v.nx(); }
  int height() const { return axis == Axis::z ? v.ny() : v.nz(); }
  int depth() const { return axis == Axis::x ? v.nx() : axis == Axis::y ? v.ny() : v.nz(); }
  float at(int i, int j, int k) const {
    if (axis == Axis::z) return v.at(i, j, k);
    if (axis == Axis::y) return v.at(i, k, j);
    return v.at(k, i, j);
  }
};

void require_volume(const Volume& v) {
  if (v.nx() < 1 || v.ny() < 1 || v.nz() < 1)
    throw ConfigError("map views", "volume size", std::to_string(v.nx()) + "x" + std::to_string(v.ny()) + "x" + std::to_string(v.nz()),
                      "at least one voxel");
}

}  // namespace

Image central_section(const Volume& v, Axis axis) {
  require_volume(v);
  const Slicer s{v, axis};
  Image im(s.width(), s.height(), v.pixel_size_A());
  const int k = s.depth() / 2;
  for (int j = 0; j < s.height(); ++j)
    for (int i = 0; i < s.width(); ++i) im.at(i, j) = s.at(i, j, k);
  return im;
}

Image projection(const Volume& v, Axis axis) {
  require_volume(v);
  const Slicer s{v, axis};
  Image im(s.width(), s.height(), v.pixel_size_A());
  for (int j = 0; j < s.height(); ++j)
    for (int i = 0; i < s.width(); ++i) {
      double sum = 0.0;  // double: a 512-voxel column of floats would lose digits
      for (int k = 0; k < s.depth(); ++k) sum += s.at(i, j, k);
      im.at(i, j) = float(sum);
    }
  return im;
}

std::vector<MapView> map_views(const Volume& v) {
  std::vector<MapView> views;
  for (bool proj : {false, true})
    for (Axis a : {Axis::x, Axis::y, Axis::z}) {
      MapView m;
      m.axis = a;
      m.is_projection = proj;
      m.name = std::string(proj ? "projection_" : "section_") + axis_name(a);
      m.image = proj ? projection(v, a) : central_section(v, a);
      const auto [lo, hi] = io::percentile_range(m.image, 0.5, 99.5);
      m.display_lo = lo;
      m.display_hi = hi;
      views.push_back(std::move(m));
    }
  return views;
}

Table map_views_table(const std::vector<MapView>& views) {
  Table t({"view", "kind", "axis", "width_px", "height_px", "min", "max", "mean", "sd", "display_lo", "display_hi"});
  for (const auto& m : views) {
    const auto& px = m.image.values();
    double lo = px.empty() ? 0.0 : px[0], hi = lo, sum = 0.0, sum2 = 0.0;
    for (float f : px) {
      lo = std::min(lo, double(f));
      hi = std::max(hi, double(f));
      sum += f;
    }
    const double mean = px.empty() ? 0.0 : sum / double(px.size());
    for (float f : px) sum2 += (f - mean) * (f - mean);
    const double sd = px.empty() ? 0.0 : std::sqrt(sum2 / double(px.size()));
    t.add_row({m.name, std::string(m.is_projection ? "projection" : "section"), std::string(axis_name(m.axis)),
               double(m.image.nx()), double(m.image.ny()), lo, hi, mean, sd, m.display_lo, m.display_hi});
  }
  return t;
}

io::RgbImage view_picture(const MapView& view, int zoom) {
  const io::RgbImage small = io::grey_picture(view.image, view.display_lo, view.display_hi);
  zoom = std::max(1, zoom);
  io::RgbImage big;
  big.width = small.width * zoom;
  big.height = small.height * zoom;
  big.pixels.resize(std::size_t(big.width) * std::size_t(big.height));
  for (int y = 0; y < big.height; ++y)
    for (int x = 0; x < big.width; ++x) big.at(x, y) = small.at(x / zoom, y / zoom);
  return big;
}

int zoom_for(int n, int min_px) { return n >= min_px || n < 1 ? 1 : (min_px + n - 1) / n; }

}  // namespace cspt::report
