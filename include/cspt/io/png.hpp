// A small PNG writer (8-bit RGB, no interlace) and raster helpers for diagnostic pictures and plots.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cspt/core/image.hpp"

namespace cspt::io {

struct Rgb {
  unsigned char r, g, b;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};

/// 8-bit RGB raster, row 0 at the top. Pixel (x, y) is pixels[y * width + x].
struct RgbImage {
  int width = 0, height = 0;
  std::vector<Rgb> pixels;

  Rgb& at(int x, int y) { return pixels[std::size_t(y) * std::size_t(width) + std::size_t(x)]; }
  const Rgb& at(int x, int y) const { return pixels[std::size_t(y) * std::size_t(width) + std::size_t(x)]; }
};

/// Writes `image` as a PNG (colour type 2, bit depth 8, filter 0 on every row, zlib-compressed IDAT).
/// Atomic: "<path>.tmp-<pid>" is written, synced and renamed over path. Throws IoError when the
/// image is malformed (width or height < 1, pixels.size() != width * height) or the file cannot be
/// written.
void write_png(const std::string& path, const RgbImage& image);

/// Grey picture of a float image: values mapped linearly from [lo, hi] to 0..255 (clamped, rounded);
/// NaN is black. MRC row order (y up) is flipped so that y points up in the picture: picture row r
/// is image row ny - 1 - r. When hi <= lo, values below lo are black, above lo white, equal grey 128.
/// Throws ConfigError for a non-finite lo or hi.
RgbImage grey_picture(const Image& image, double lo, double hi);

/// lo/hi at the given percentiles (e.g. 0.5 and 99.5) of the image's finite values, linearly
/// interpolated between order statistics (as numpy.percentile). {0, 0} when no value is finite.
/// Throws ConfigError unless 0 <= lo_pct <= hi_pct <= 100.
std::pair<double, double> percentile_range(const Image& image, double lo_pct, double hi_pct);

/// Draws a 1-px line (Bresenham) from (x0, y0) to (x1, y1) inclusive, pixel coordinates with y down.
/// Pixels outside the raster are skipped.
void draw_line(RgbImage& im, int x0, int y0, int x1, int y1, Rgb colour);

/// Fills the rectangle with corners (x0, y0) and (x1, y1), both inclusive, in any order; clipped.
void fill_rect(RgbImage& im, int x0, int y0, int x1, int y1, Rgb colour);

/// A simple line plot on a white background: all curves' (x, y) points scaled together into the
/// plot area of a width x height raster, with black axes (left and bottom) and tick marks at 0, 1/4,
/// ..., 1 of each axis; a grey line marks y = 0 when it lies inside the range. Curve i is drawn in
/// colours[i] as a polyline through its points in order; a non-finite point breaks the line. Used
/// for 1D CTF fit profiles. Throws ConfigError when width < 32, height < 32 or
/// colours.size() < curves.size().
RgbImage line_plot(const std::vector<std::vector<std::pair<double, double>>>& curves,
                   const std::vector<Rgb>& colours, int width, int height);

}  // namespace cspt::io
