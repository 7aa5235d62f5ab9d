// Band of Fourier samples between two resolution limits.
#include "cspt/refine/fourier_band.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cspt/util/error.hpp"

namespace cspt {

FourierBand make_fourier_band(int box_px, double pixel_size_A, double low_resolution_A, double high_resolution_A) {
  if (box_px < 8) throw ConfigError("refine", "box_px", std::to_string(box_px), "at least 8");
  if (!(pixel_size_A > 0)) throw ConfigError("refine", "pixel_size_A", std::to_string(pixel_size_A), "> 0");
  if (!(high_resolution_A > 0) || !(low_resolution_A > high_resolution_A)) {
    throw ConfigError("refine", "resolution limits",
                      std::to_string(low_resolution_A) + " / " + std::to_string(high_resolution_A) + " A",
                      "low > high > 0");
  }
  FourierBand b;
  b.box_px = box_px;
  b.pixel_size_A = pixel_size_A;
  const double extent = box_px * pixel_size_A;
  b.shell_lo = std::max(1, int(std::lround(extent / low_resolution_A)));
  b.shell_hi = std::min(box_px / 2 - 1, int(std::lround(extent / high_resolution_A)));
  if (b.shell_hi < b.shell_lo) {
    throw ConfigError("refine", "resolution limits",
                      std::to_string(low_resolution_A) + " / " + std::to_string(high_resolution_A) + " A",
                      "a band holding at least one Fourier shell of a " + std::to_string(box_px) + " px box");
  }
  const int nxh = box_px / 2 + 1;
  for (int row = 0; row < box_px; ++row) {
    const int ky = row < (box_px + 1) / 2 ? row : row - box_px;
    for (int kx = 0; kx < nxh; ++kx) {
      if (kx == 0 && ky <= 0) continue;
      const int s = int(std::lround(std::sqrt(double(kx * kx + ky * ky))));
      if (s < b.shell_lo || s > b.shell_hi) continue;
      b.kx.push_back(kx);
      b.ky.push_back(ky);
      b.half_plane.push_back(row * nxh + kx);
      b.shell.push_back(s);
    }
  }
  return b;
}

}  // namespace cspt
