// PNG writing (signature, IHDR, IDAT, IEND; zlib for compression and CRC-32) and raster helpers.
#include "cspt/io/png.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>

#include "cspt/io/atomic_file.hpp"
#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char((v >> shift) & 0xffu));
}

/// Appends one chunk: length, type, data, CRC-32 over type and data.
void put_chunk(std::string& out, const char type[4], const unsigned char* data, std::size_t n) {
  put_u32(out, std::uint32_t(n));
  const std::size_t type_at = out.size();
  out.append(type, 4);
  out.append(reinterpret_cast<const char*>(data), n);
  const auto* p = reinterpret_cast<const Bytef*>(out.data() + type_at);
  put_u32(out, std::uint32_t(::crc32(::crc32(0L, Z_NULL, 0), p, uInt(4 + n))));
}

std::string encode_png(const std::string& path, const RgbImage& im) {
  const std::size_t w = std::size_t(im.width), h = std::size_t(im.height);
  const std::size_t row = 1 + 3 * w;  // filter byte 0, then RGB triples
  std::vector<unsigned char> raw(row * h);
  for (std::size_t y = 0; y < h; ++y) {
    unsigned char* dst = raw.data() + y * row;
    dst[0] = 0;
    for (std::size_t x = 0; x < w; ++x) {
      const Rgb& c = im.pixels[y * w + x];
      dst[1 + 3 * x] = c.r;
      dst[2 + 3 * x] = c.g;
      dst[3 + 3 * x] = c.b;
    }
  }
  if (raw.size() > std::numeric_limits<uInt>::max())  // one chunk, crc32 on uInt lengths
    throw IoError(path, "image", std::to_string(w) + " x " + std::to_string(h), "at most 4 GiB of pixel data");
  uLongf zlen = ::compressBound(uLong(raw.size()));
  std::vector<unsigned char> z(zlen);
  if (::compress2(z.data(), &zlen, raw.data(), uLong(raw.size()), 6) != Z_OK)
    throw IoError(path, "image", "", "zlib compression to succeed");

  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put_u32(ihdr, std::uint32_t(w));
  put_u32(ihdr, std::uint32_t(h));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // depth 8, RGB, deflate, filter 0, no interlace
  put_chunk(out, "IHDR", reinterpret_cast<const unsigned char*>(ihdr.data()), ihdr.size());
  put_chunk(out, "IDAT", z.data(), zlen);
  put_chunk(out, "IEND", nullptr, 0);
  return out;
}


}  // namespace

void write_png(const std::string& path, const RgbImage& image) {
  if (image.width < 1 || image.height < 1)
    throw IoError(path, "image size", std::to_string(image.width) + " x " + std::to_string(image.height),
                  "at least 1 x 1 pixels");
  if (image.pixels.size() != std::size_t(image.width) * std::size_t(image.height))
    throw IoError(path, "pixels", std::to_string(image.pixels.size()),
                  "width * height = " + std::to_string(std::size_t(image.width) * std::size_t(image.height)));
  const std::string bytes = encode_png(path, image);
  write_file_atomically(path, bytes);
}

RgbImage grey_picture(const Image& image, double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi))
    throw ConfigError("grey_picture", "lo, hi", std::to_string(lo) + ", " + std::to_string(hi), "finite");
  RgbImage out{image.nx(), image.ny(), std::vector<Rgb>(image.size(), Rgb{0, 0, 0})};
  const double scale = hi > lo ? 255.0 / (hi - lo) : 0.0;
  for (int r = 0; r < image.ny(); ++r) {
    for (int x = 0; x < image.nx(); ++x) {
      const double v = image.at(x, image.ny() - 1 - r);
      unsigned char g = 0;
      if (std::isnan(v)) g = 0;
      else if (hi > lo) g = (unsigned char)std::lround(std::clamp((v - lo) * scale, 0.0, 255.0));
      else g = v < lo ? 0 : v > lo ? 255 : 128;
      out.at(x, r) = Rgb{g, g, g};
    }
  }
  return out;
}

std::pair<double, double> percentile_range(const Image& image, double lo_pct, double hi_pct) {
  if (!(0.0 <= lo_pct && lo_pct <= hi_pct && hi_pct <= 100.0))
    throw ConfigError("percentile_range", "lo_pct, hi_pct", std::to_string(lo_pct) + ", " + std::to_string(hi_pct),
                      "0 <= lo_pct <= hi_pct <= 100");
  std::vector<float> v;
  v.reserve(image.size());
  for (float f : image.values())
    if (std::isfinite(f)) v.push_back(f);
  if (v.empty()) return {0.0, 0.0};
  // Linear interpolation between order statistics k and k + 1 at position p/100 * (n - 1).
  const auto quantile = [&v](double pct) {
    const double pos = pct / 100.0 * double(v.size() - 1);
    const std::size_t k = std::min(std::size_t(pos), v.size() - 1);
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
    const double a = v[k];
    const double frac = pos - double(k);
    if (frac <= 0.0 || k + 1 >= v.size()) return a;
    const double b = *std::min_element(v.begin() + std::ptrdiff_t(k) + 1, v.end());
    return a + frac * (b - a);
  };
  const double lo = quantile(lo_pct);
  const double hi = quantile(hi_pct);
  return {lo, hi};
}

void draw_line(RgbImage& im, int x0, int y0, int x1, int y1, Rgb colour) {
  const long long w = im.width, h = im.height;
  // Nothing to draw when both ends lie beyond the same edge.
  if ((x0 < 0 && x1 < 0) || (y0 < 0 && y1 < 0) || (x0 >= w && x1 >= w) || (y0 >= h && y1 >= h)) return;
  long long x = x0, y = y0;
  const long long dx = std::llabs((long long)x1 - x0), dy = -std::llabs((long long)y1 - y0);
  const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  long long err = dx + dy;
  for (;;) {
    if (x >= 0 && x < w && y >= 0 && y < h) im.at(int(x), int(y)) = colour;
    if (x == x1 && y == y1) break;
    const long long e2 = 2 * err;
    if (e2 >= dy) { err += dy; x += sx; }
    if (e2 <= dx) { err += dx; y += sy; }
  }
}

void fill_rect(RgbImage& im, int x0, int y0, int x1, int y1, Rgb colour) {
  const int xa = std::max(std::min(x0, x1), 0), xb = std::min(std::max(x0, x1), im.width - 1);
  const int ya = std::max(std::min(y0, y1), 0), yb = std::min(std::max(y0, y1), im.height - 1);
  for (int y = ya; y <= yb; ++y)
    for (int x = xa; x <= xb; ++x) im.at(x, y) = colour;
}

RgbImage line_plot(const std::vector<std::vector<std::pair<double, double>>>& curves,
                   const std::vector<Rgb>& colours, int width, int height) {
  if (width < 32 || height < 32)
    throw ConfigError("line_plot", "size", std::to_string(width) + " x " + std::to_string(height),
                      "at least 32 x 32 pixels");
  if (colours.size() < curves.size())
    throw ConfigError("line_plot", "colours", std::to_string(colours.size()),
                      "one per curve (" + std::to_string(curves.size()) + ")");
  const Rgb white{255, 255, 255}, black{0, 0, 0}, grey{180, 180, 180};
  RgbImage im{width, height, std::vector<Rgb>(std::size_t(width) * std::size_t(height), white)};
  // Plot area [left, right] x [top, bottom] in pixels; the margins hold the axes and ticks.
  const int left = 8, right = width - 5, top = 4, bottom = height - 9;

  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const auto& c : curves)
    for (const auto& [x, y] : c)
      if (std::isfinite(x) && std::isfinite(y)) {
        xmin = std::min(xmin, x), xmax = std::max(xmax, x);
        ymin = std::min(ymin, y), ymax = std::max(ymax, y);
      }
  if (!(xmin <= xmax)) xmin = 0, xmax = 1, ymin = 0, ymax = 1;  // no finite point
  if (xmax - xmin <= 0) xmin -= 0.5, xmax += 0.5;
  if (ymax - ymin <= 0) ymin -= 0.5, ymax += 0.5;
  const double pad = 0.05 * (ymax - ymin);
  ymin -= pad, ymax += pad;
  const auto px = [&](double x) {
    return left + int(std::lround(std::clamp((x - xmin) / (xmax - xmin), 0.0, 1.0) * (right - left)));
  };
  const auto py = [&](double y) {
    return bottom - int(std::lround(std::clamp((y - ymin) / (ymax - ymin), 0.0, 1.0) * (bottom - top)));
  };

  if (ymin < 0 && ymax > 0) draw_line(im, left, py(0.0), right, py(0.0), grey);
  draw_line(im, left, top, left, bottom, black);
  draw_line(im, left, bottom, right, bottom, black);
  for (int i = 0; i <= 4; ++i) {
    const int tx = left + (right - left) * i / 4, ty = bottom - (bottom - top) * i / 4;
    draw_line(im, tx, bottom + 1, tx, bottom + 4, black);
    draw_line(im, left - 4, ty, left - 1, ty, black);
  }

  for (std::size_t ci = 0; ci < curves.size(); ++ci) {
    bool have_prev = false;
    int qx = 0, qy = 0;
    for (const auto& [x, y] : curves[ci]) {
      if (!std::isfinite(x) || !std::isfinite(y)) {
        have_prev = false;
        continue;
      }
      const int ax = px(x), ay = py(y);
      draw_line(im, have_prev ? qx : ax, have_prev ? qy : ay, ax, ay, colours[ci]);
      qx = ax, qy = ay, have_prev = true;
    }
  }
  return im;
}

}  // namespace cspt::io
